// The record page's spectrum plot: flux against wavelength on a canvas, with a readout.

import { errorMessage, formatValue } from "./common.js";

const section = document.querySelector("[data-spectrum]");
const canvas = document.getElementById("spectrum-canvas");
const status = document.getElementById("spectrum-status");
const readout = document.getElementById("spectrum-readout");
const MARGIN = { left: 84, right: 20, top: 16, bottom: 48 };
const state = { spectrum: null, points: [], cursor: null };

function niceTicks(low, high, count = 6) {
  const span = high - low || Math.abs(high) || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => span / s <= count) || raw;
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}

function extent(values) {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (low === Infinity) return null;
  const pad = (high - low) * 0.05 || Math.abs(high) * 0.05 || 1;
  return [low - pad, high + pad];
}

function draw() {
  const { spectrum } = state;
  const context = canvas.getContext("2d");
  const { width, height } = canvas;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const [x0, x1] = extent(spectrum.wavelength);
  const [y0, y1] = extent(spectrum.flux);
  const sx = (x) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotWidth;
  const sy = (y) => MARGIN.top + plotHeight - ((y - y0) / (y1 - y0)) * plotHeight;
  context.clearRect(0, 0, width, height);
  context.font = "12px system-ui, sans-serif";
  context.strokeStyle = "#d9dde4";
  context.fillStyle = "#394253";
  context.lineWidth = 1;
  for (const t of niceTicks(x0, x1)) {
    context.beginPath();
    context.moveTo(sx(t), MARGIN.top);
    context.lineTo(sx(t), MARGIN.top + plotHeight);
    context.stroke();
    context.textAlign = "center";
    context.fillText(formatValue(t), sx(t), MARGIN.top + plotHeight + 16);
  }
  for (const t of niceTicks(y0, y1, 5)) {
    context.beginPath();
    context.moveTo(MARGIN.left, sy(t));
    context.lineTo(MARGIN.left + plotWidth, sy(t));
    context.stroke();
    context.textAlign = "right";
    context.fillText(formatValue(t), MARGIN.left - 6, sy(t) + 4);
  }
  context.strokeStyle = "#394253";
  context.strokeRect(MARGIN.left, MARGIN.top, plotWidth, plotHeight);
  context.textAlign = "center";
  context.fillText(`Wavelength${spectrum.wavelengthUnit ? ` (${spectrum.wavelengthUnit})` : ""}`, MARGIN.left + plotWidth / 2, height - 8);
  context.save();
  context.translate(16, MARGIN.top + plotHeight / 2);
  context.rotate(-Math.PI / 2);
  context.fillText(`Flux${spectrum.fluxUnit ? ` (${spectrum.fluxUnit})` : ""}`, 0, 0);
  context.restore();
  context.strokeStyle = "#1f5fbf";
  context.lineWidth = 1.5;
  context.beginPath();
  let pen = false;
  state.points = [];
  spectrum.wavelength.forEach((x, i) => {
    const y = spectrum.flux[i];
    if (x === null || y === null) {
      pen = false;
      return;
    }
    state.points.push([sx(x), sy(y), i]);
    if (pen) context.lineTo(sx(x), sy(y));
    else context.moveTo(sx(x), sy(y));
    pen = true;
  });
  context.stroke();
  if (state.cursor !== null) {
    const [px, py] = state.points[state.cursor];
    context.fillStyle = "#d9480f";
    context.beginPath();
    context.arc(px, py, 4, 0, 2 * Math.PI);
    context.fill();
  }
}

function select(index) {
  const count = state.points.length;
  state.cursor = Math.min(count - 1, Math.max(0, index));
  const i = state.points[state.cursor][2];
  const { spectrum } = state;
  readout.textContent =
    `λ = ${formatValue(spectrum.wavelength[i])} ${spectrum.wavelengthUnit}, ` +
    `flux = ${formatValue(spectrum.flux[i])} ${spectrum.fluxUnit}`;
  draw();
}

canvas.addEventListener("mousemove", (event) => {
  if (!state.points.length) return;
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * canvas.width;
  let best = 0;
  state.points.forEach(([px], i) => {
    if (Math.abs(px - x) < Math.abs(state.points[best][0] - x)) best = i;
  });
  select(best);
});
canvas.addEventListener("keydown", (event) => {
  if (!state.points.length) return;
  const step = event.shiftKey ? 10 : 1;
  const moves = { ArrowLeft: -step, ArrowRight: step, Home: -Infinity, End: Infinity };
  if (!(event.key in moves)) return;
  event.preventDefault();
  const next = (state.cursor ?? 0) + moves[event.key];
  select(Number.isFinite(next) ? next : next > 0 ? state.points.length - 1 : 0);
});

async function load() {
  try {
    const response = await fetch(`/api/data/${section.dataset.record}/spectrum`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(await errorMessage(response));
    state.spectrum = await response.json();
    if (!extent(state.spectrum.wavelength) || !extent(state.spectrum.flux)) {
      throw new Error("the spectrum has no finite values");
    }
    draw();
    const binned = state.spectrum.factor > 1 ? `, averaged in bins of ${state.spectrum.factor}` : "";
    status.textContent = `${state.spectrum.sourcePoints} points from ${state.spectrum.extension}${binned}.`;
    section.dataset.state = "ready";
  } catch (error) {
    status.textContent = `The spectrum could not be shown: ${error.message}`;
    status.classList.add("error");
    section.dataset.state = "error";
  }
}

load();
