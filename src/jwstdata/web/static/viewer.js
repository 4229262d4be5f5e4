// The record page's image viewer: pixels from the API, stretched and coloured in the browser.

import { fetchPixels, formatValue } from "./common.js";
import {
  celestialTransform,
  formatDec,
  formatRa,
  percentileLimits,
  renderRGBA,
  sortedFinite,
  zscaleLimits,
} from "./imaging.js";

const MAX_SIDE = 768;
const HISTOGRAM_BINS = 120;

const section = document.querySelector("[data-viewer]");
const canvas = document.getElementById("image-canvas");
const status = document.getElementById("viewer-status");
const controls = {
  stretch: document.getElementById("stretch"),
  clip: document.getElementById("clip"),
  colormap: document.getElementById("colormap"),
  invert: document.getElementById("invert"),
};
const readout = {
  xy: document.getElementById("readout-xy"),
  value: document.getElementById("readout-value"),
  ra: document.getElementById("readout-ra"),
  dec: document.getElementById("readout-dec"),
};
const state = { image: null, sorted: null, wcs: null, limits: null, cursor: null };

function setStatus(text, isError = false) {
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function currentLimits() {
  const { sorted } = state;
  if (controls.stretch.value === "zscale") return zscaleLimits(sorted);
  return percentileLimits(sorted, Number(controls.clip.value));
}

function draw() {
  const { header, data } = state.image;
  state.limits = currentLimits();
  const rgba = renderRGBA(
    data,
    header.width,
    header.height,
    state.limits,
    controls.stretch.value,
    controls.colormap.value,
    controls.invert.checked,
  );
  const context = canvas.getContext("2d");
  context.putImageData(new ImageData(rgba, header.width, header.height), 0, 0);
  canvas.dataset.rendered = `${controls.stretch.value}:${controls.clip.value}:${controls.colormap.value}`;
  drawHistogram();
}

function drawHistogram() {
  const histogram = document.getElementById("histogram");
  const context = histogram.getContext("2d");
  const { sorted, limits } = state;
  const low = Math.min(limits[0], percentileLimits(sorted, 99.8)[0]);
  const high = Math.max(limits[1], percentileLimits(sorted, 99.8)[1]);
  const span = high > low ? high - low : 1;
  const counts = new Array(HISTOGRAM_BINS).fill(0);
  for (const value of sorted) {
    const bin = Math.floor(((value - low) / span) * HISTOGRAM_BINS);
    if (bin >= 0 && bin < HISTOGRAM_BINS) counts[bin] += 1;
  }
  const peak = Math.log10(Math.max(...counts) + 1) || 1;
  const { width, height } = histogram;
  context.clearRect(0, 0, width, height);
  context.fillStyle = "#5b6b85";
  const barWidth = width / HISTOGRAM_BINS;
  counts.forEach((count, i) => {
    const barHeight = (Math.log10(count + 1) / peak) * (height - 6);
    context.fillRect(i * barWidth, height - barHeight, Math.max(1, barWidth - 0.5), barHeight);
  });
  context.strokeStyle = "#d9480f";
  context.lineWidth = 2;
  for (const limit of limits) {
    const x = ((limit - low) / span) * width;
    context.beginPath();
    context.moveTo(x, 0);
    context.lineTo(x, height);
    context.stroke();
  }
  const unit = state.image.header.unit ? ` ${state.image.header.unit}` : "";
  document.getElementById("histogram-caption").textContent =
    `Pixel values (log counts); display range ${formatValue(limits[0])} to ${formatValue(limits[1])}${unit}.`;
}

// Canvas cell -> FITS pixel (1-based, centre of the averaged block) and the value there.
function describe(col, row) {
  const { header, data } = state.image;
  const dataRow = header.height - 1 - row;
  const f = header.factor;
  const x = col * f + (f - 1) / 2 + 1;
  const y = dataRow * f + (f - 1) / 2 + 1;
  readout.xy.textContent = `${x.toFixed(1)}, ${y.toFixed(1)}`;
  const value = data[dataRow * header.width + col];
  readout.value.textContent = `${formatValue(value)}${header.unit && Number.isFinite(value) ? ` ${header.unit}` : ""}`;
  if (state.wcs) {
    const [ra, dec] = state.wcs(x, y);
    readout.ra.textContent = formatRa(ra);
    readout.dec.textContent = formatDec(dec);
  } else {
    readout.ra.textContent = "no celestial WCS";
    readout.dec.textContent = "—";
  }
}

function moveCursor(col, row) {
  const { header } = state.image;
  const c = Math.min(header.width - 1, Math.max(0, col));
  const r = Math.min(header.height - 1, Math.max(0, row));
  state.cursor = [c, r];
  describe(c, r);
}

function showMarker() {
  const marker = document.getElementById("cursor-marker");
  const { header } = state.image;
  const [c, r] = state.cursor;
  marker.style.left = `${canvas.offsetLeft + ((c + 0.5) / header.width) * canvas.clientWidth}px`;
  marker.style.top = `${canvas.offsetTop + ((r + 0.5) / header.height) * canvas.clientHeight}px`;
  marker.hidden = false;
}

function setUpPointer() {
  canvas.addEventListener("mousemove", (event) => {
    if (!state.image) return;
    const box = canvas.getBoundingClientRect();
    const col = Math.floor(((event.clientX - box.left) / box.width) * state.image.header.width);
    const row = Math.floor(((event.clientY - box.top) / box.height) * state.image.header.height);
    moveCursor(col, row);
  });
  canvas.addEventListener("keydown", (event) => {
    if (!state.image) return;
    const step = event.shiftKey ? 10 : 1;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const [col, row] = state.cursor || [
      Math.floor(state.image.header.width / 2),
      Math.floor(state.image.header.height / 2),
    ];
    moveCursor(col + move[0], row + move[1]);
    showMarker();
  });
  canvas.addEventListener("blur", () => {
    document.getElementById("cursor-marker").hidden = true;
  });
  canvas.addEventListener("focus", () => {
    if (state.image && !state.cursor) {
      moveCursor(Math.floor(state.image.header.width / 2), Math.floor(state.image.header.height / 2));
    }
    if (state.image && canvas.matches(":focus-visible")) showMarker();
  });
}

async function load() {
  try {
    const image = await fetchPixels(section.dataset.record, MAX_SIDE);
    const { header } = image;
    state.image = image;
    state.sorted = sortedFinite(image.data);
    if (state.sorted.length === 0) throw new Error("it has no finite pixel values");
    state.wcs = celestialTransform(header.wcs);
    canvas.width = header.width;
    canvas.height = header.height;
    draw();
    const plane = header.plane.length ? `, plane ${header.plane.join(", ")}` : "";
    const scale = header.factor > 1 ? `, averaged ${header.factor}×${header.factor}` : "";
    document.getElementById("viewer-info").textContent =
      `${header.extension} extension${plane}: ${header.sourceWidth} × ${header.sourceHeight} pixels${scale}. ` +
      "Coordinates are FITS pixels (1-based).";
    setStatus("");
    section.dataset.state = "ready";
  } catch (error) {
    setStatus(`The image could not be shown: ${error.message}`, true);
    canvas.closest(".canvas-stage").hidden = true;
    section.querySelector(".viewer-controls").hidden = true;
    section.dataset.state = "error";
  }
}

for (const control of Object.values(controls)) {
  control.addEventListener("change", () => {
    if (state.image && state.sorted.length) draw();
    controls.clip.disabled = controls.stretch.value === "zscale";
  });
}
setUpPointer();
load();
