// The full-resolution viewer: float32 tiles from GET /api/data/{id}/tile at the level that
// fits the zoom, stretched in the browser; a colourbar with typed limits, a N/E compass and
// a scale bar from the server's WCS orientation, and the record's detected sources. The
// astronomer's tools (grid, regions, catalogues, blink) plug in through `viewer` (skytools.js).

import { decodePixels, errorMessage, formatValue } from "./common.js";
import { percentileLimits, renderRGBA, sortedFinite } from "./imaging.js";
import { installTools } from "./skytools.js";

const section = document.querySelector("[data-sky-viewer]");
const SCALE_STEPS = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];

if (section) {
  const recordId = section.dataset.record;
  const $ = (id) => document.getElementById(id);
  const canvas = $("sky-canvas");
  const context = canvas.getContext("2d");
  const controls = { min: $("sky-min"), max: $("sky-max"), stretch: $("sky-stretch"),
    colormap: $("sky-colormap"), sources: $("sky-sources") };
  const state = { info: null, scale: 1, cx: 0, cy: 0, limits: null, sources: null, drag: null };
  const tiles = new Map(); // "z/x/y" -> {data, width, height} | "loading" | "failed"
  const bitmaps = new Map(); // "z/x/y" -> canvas rendered with the current look
  let look = "";
  let loaded = false;

  const setStatus = (text, isError = false) => {
    $("sky-status").textContent = text;
    $("sky-status").classList.toggle("error", isError);
  };

  const level = () => {
    const z = Math.floor(Math.log2(1 / state.scale) + 1e-9);
    return Math.min(state.info.levels - 1, Math.max(0, z));
  };

  const view = () => {
    const halfW = canvas.width / 2 / state.scale;
    const halfH = canvas.height / 2 / state.scale;
    return { left: state.cx - halfW, right: state.cx + halfW,
      bottom: state.cy - halfH, top: state.cy + halfH };
  };

  async function fetchTile(z, x, y) {
    const key = `${z}/${x}/${y}`;
    tiles.set(key, "loading");
    const response = await fetch(`/api/data/${recordId}/tile?z=${z}&x=${x}&y=${y}`, {
      credentials: "same-origin",
    });
    if (!response.ok) {
      tiles.set(key, "failed");
      setStatus(await errorMessage(response), true);
      return;
    }
    const { header, data } = decodePixels(await response.arrayBuffer());
    tiles.set(key, { data, width: header.width, height: header.height });
    draw();
  }

  function bitmap(key, tile) {
    if (bitmaps.has(key)) return bitmaps.get(key);
    const rgba = renderRGBA(tile.data, tile.width, tile.height, state.limits,
      controls.stretch.value, controls.colormap.value, false);
    const off = document.createElement("canvas");
    off.width = tile.width;
    off.height = tile.height;
    off.getContext("2d").putImageData(new ImageData(rgba, tile.width, tile.height), 0, 0);
    bitmaps.set(key, off);
    return off;
  }

  function drawTiles(z) {
    const { info } = state;
    const factor = 2 ** z;
    const span = info.tileSize * factor;
    const v = view();
    const last = [Math.ceil(info.width / span) - 1, Math.ceil(info.height / span) - 1];
    let pending = 0;
    context.imageSmoothingEnabled = false;
    for (let ty = Math.max(0, Math.floor(v.bottom / span)); ty <= Math.min(last[1], Math.floor(v.top / span)); ty += 1) {
      for (let tx = Math.max(0, Math.floor(v.left / span)); tx <= Math.min(last[0], Math.floor(v.right / span)); tx += 1) {
        const key = `${z}/${tx}/${ty}`;
        const tile = tiles.get(key);
        if (tile === undefined) fetchTile(z, tx, ty);
        if (!tile || typeof tile === "string") {
          pending += tile === "failed" ? 0 : 1;
          continue;
        }
        const top = ty * span + tile.height * factor;
        context.drawImage(bitmap(key, tile), (tx * span - v.left) * state.scale,
          (v.top - top) * state.scale, tile.width * factor * state.scale,
          tile.height * factor * state.scale);
      }
    }
    return pending;
  }

  function drawCompass() {
    const o = state.info.orientation;
    if (!o) return;
    const origin = [canvas.width - 60, 60];
    context.strokeStyle = context.fillStyle = "#ffd54f";
    context.lineWidth = 2;
    context.font = "bold 14px sans-serif";
    for (const [name, vector] of [["N", o.north], ["E", o.east]]) {
      const end = [origin[0] + vector[0] * 36, origin[1] - vector[1] * 36];
      context.beginPath();
      context.moveTo(...origin);
      context.lineTo(...end);
      context.stroke();
      context.fillText(name, origin[0] + vector[0] * 48 - 5, origin[1] - vector[1] * 48 + 5);
    }
    const angle = (Math.atan2(o.north[0], o.north[1]) * 180) / Math.PI;
    canvas.dataset.north = angle.toFixed(2); // degrees from screen-up to north, clockwise
  }

  function drawScaleBar() {
    const o = state.info.orientation;
    if (!o) return;
    const pixelsPerArcsec = state.scale / o.pixelScale;
    const length = SCALE_STEPS.find((s) => s * pixelsPerArcsec >= 60) || SCALE_STEPS.at(-1);
    const width = length * pixelsPerArcsec;
    const label = length >= 60 ? `${length / 60}′` : `${length}″`;
    const y = canvas.height - 24;
    context.strokeStyle = context.fillStyle = "#ffffff";
    context.lineWidth = 3;
    context.beginPath();
    context.moveTo(20, y);
    context.lineTo(20 + width, y);
    context.stroke();
    context.font = "13px sans-serif";
    context.fillText(label, 20, y - 8);
    canvas.dataset.scaleBar = `${label}:${width.toFixed(1)}`;
  }

  function drawSources() {
    if (!controls.sources.checked || !state.sources) return;
    const v = view();
    context.strokeStyle = "#00e5ff";
    context.lineWidth = 1.5;
    let shown = 0;
    for (const s of state.sources) {
      const x = (s.x + 0.5 - v.left) * state.scale;
      const y = (v.top - (s.y + 0.5)) * state.scale;
      if (x < -10 || y < -10 || x > canvas.width + 10 || y > canvas.height + 10) continue;
      context.beginPath();
      context.arc(x, y, Math.max(5, 3 * state.scale), 0, 2 * Math.PI);
      context.stroke();
      shown += 1;
    }
    section.dataset.sourcesShown = String(shown);
  }

  // What the tools see: image pixel coordinates are astropy's (0-based, centres on integers).
  const viewer = {
    recordId, section, canvas, context, state, controls, view, level, setStatus,
    painters: [], // called after the tiles, in order
    underlay: null, // () => true when it drew the image itself (blink's second record)
    pointer: null, // {down, move, up}(event, imagePoint) => true when the tool used the event
    toScreen: (x, y) => {
      const v = view();
      return [(x + 0.5 - v.left) * state.scale, (v.top - (y + 0.5)) * state.scale];
    },
    toImage: (event) => {
      const rect = canvas.getBoundingClientRect();
      const sx = ((event.clientX - rect.left) * canvas.width) / rect.width;
      const sy = ((event.clientY - rect.top) * canvas.height) / rect.height;
      const v = view();
      return [v.left + sx / state.scale - 0.5, v.top - sy / state.scale - 0.5];
    },
    draw: () => draw(),
  };

  function draw() {
    if (!state.info || !state.limits) return;
    const nextLook = `${state.limits.join(",")}|${controls.stretch.value}|${controls.colormap.value}`;
    if (nextLook !== look) {
      bitmaps.clear();
      look = nextLook;
    }
    context.fillStyle = "#111";
    context.fillRect(0, 0, canvas.width, canvas.height);
    const z = level();
    const pending = viewer.underlay && viewer.underlay(z) ? 0 : drawTiles(z);
    drawSources();
    for (const paint of viewer.painters) paint(z);
    drawCompass();
    drawScaleBar();
    canvas.dataset.level = String(z);
    canvas.dataset.look = look;
    section.dataset.state = pending ? "loading" : "ready";
  }

  function drawColourbar() {
    const bar = $("sky-colourbar");
    const ramp = new Float32Array(bar.width);
    for (let i = 0; i < ramp.length; i += 1) ramp[i] = i / (ramp.length - 1);
    const row = renderRGBA(ramp, ramp.length, 1, [0, 1], controls.stretch.value,
      controls.colormap.value, false);
    const image = new ImageData(bar.width, bar.height);
    for (let y = 0; y < bar.height; y += 1) image.data.set(row, y * bar.width * 4);
    bar.getContext("2d").putImageData(image, 0, 0);
  }

  function fit() {
    const { info } = state;
    state.scale = Math.min(canvas.width / info.width, canvas.height / info.height);
    state.cx = info.width / 2;
    state.cy = info.height / 2;
    draw();
  }

  function zoom(factor, sx = canvas.width / 2, sy = canvas.height / 2) {
    const v = view();
    const ix = v.left + sx / state.scale;
    const iy = v.top - sy / state.scale;
    state.scale = Math.min(32, Math.max(1 / 2 ** (state.info.levels + 1), state.scale * factor));
    state.cx = ix - (sx - canvas.width / 2) / state.scale;
    state.cy = iy + (sy - canvas.height / 2) / state.scale;
    draw();
  }

  function readout(event) {
    const rect = canvas.getBoundingClientRect();
    const sx = ((event.clientX - rect.left) * canvas.width) / rect.width;
    const sy = ((event.clientY - rect.top) * canvas.height) / rect.height;
    const v = view();
    const x = Math.floor(v.left + sx / state.scale);
    const y = Math.floor(v.top - sy / state.scale);
    const { info } = state;
    if (x < 0 || y < 0 || x >= info.width || y >= info.height) return;
    const z = level();
    const factor = 2 ** z;
    const tile = tiles.get(`${z}/${Math.floor(x / (info.tileSize * factor))}/${Math.floor(y / (info.tileSize * factor))}`);
    if (!tile || typeof tile === "string") return;
    const col = Math.floor((x % (info.tileSize * factor)) / factor);
    const row = Math.floor((y % (info.tileSize * factor)) / factor);
    const value = tile.data[row * tile.width + col];
    const where = z === 0 ? `x ${x + 1}, y ${y + 1}` : `x ${x + 1}, y ${y + 1} (mean of ${factor}×${factor})`;
    $("sky-readout").textContent = `${where}: ${formatValue(value)} ${info.unit}`.trim();
  }

  function setLimits(limits) {
    state.limits = limits;
    controls.min.value = String(Number(limits[0].toPrecision(6)));
    controls.max.value = String(Number(limits[1].toPrecision(6)));
  }

  async function loadSources() {
    const response = await fetch(`/api/data/${recordId}/overlay/sources`, { credentials: "same-origin" });
    if (!response.ok) {
      setStatus(await errorMessage(response), true);
      return;
    }
    const body = await response.json();
    state.sources = body.sources;
    section.dataset.sources = String(body.sources.length);
    if (!body.sources.length) setStatus("No detected sources: run the sources processing first.");
    draw();
  }

  async function start() {
    setStatus("Loading…");
    const response = await fetch(`/api/data/${recordId}/tiles`, { credentials: "same-origin" });
    if (!response.ok) {
      setStatus(await errorMessage(response), true);
      return;
    }
    state.info = await response.json();
    canvas.width = Math.max(320, Math.min(1400, canvas.parentElement.clientWidth || 800));
    $("sky-unit").textContent = state.info.unit;
    const top = state.info.levels - 1;
    await fetchTile(top, 0, 0); // the whole image: its values give the default limits
    const overview = tiles.get(`${top}/0/0`);
    if (!overview || typeof overview === "string") return;
    setLimits(percentileLimits(sortedFinite(overview.data), 99.5));
    drawColourbar();
    const { width, height } = state.info;
    setStatus(`${width}×${height} px, ${state.info.levels} zoom levels`);
    fit();
  }

  const typed = () => {
    const low = Number.parseFloat(controls.min.value);
    const high = Number.parseFloat(controls.max.value);
    if (Number.isFinite(low) && Number.isFinite(high) && high > low) {
      state.limits = [low, high];
      setStatus("");
      draw();
    } else {
      setStatus("Min must be a number below max.", true);
    }
  };

  $("sky-details").addEventListener("toggle", () => {
    if ($("sky-details").open && !loaded) {
      loaded = true;
      start();
    }
  });
  $("sky-zoom-in").addEventListener("click", () => zoom(2));
  $("sky-zoom-out").addEventListener("click", () => zoom(0.5));
  $("sky-fit").addEventListener("click", fit);
  controls.min.addEventListener("change", typed);
  controls.max.addEventListener("change", typed);
  for (const select of [controls.stretch, controls.colormap]) {
    select.addEventListener("change", () => {
      drawColourbar();
      draw();
    });
  }
  controls.sources.addEventListener("change", () => {
    if (controls.sources.checked && state.sources === null) loadSources();
    else draw();
  });
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    zoom(event.deltaY < 0 ? 1.25 : 0.8, ((event.clientX - rect.left) * canvas.width) / rect.width,
      ((event.clientY - rect.top) * canvas.height) / rect.height);
  }, { passive: false });
  installTools(viewer);
  canvas.addEventListener("pointerdown", (event) => {
    if (state.info && viewer.pointer && viewer.pointer.down(event, viewer.toImage(event))) {
      canvas.setPointerCapture(event.pointerId);
      return;
    }
    state.drag = { x: event.clientX, y: event.clientY, cx: state.cx, cy: state.cy };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!state.info) return;
    if (viewer.pointer && viewer.pointer.move(event, viewer.toImage(event))) {
      readout(event);
      return;
    }
    if (state.drag) {
      const rect = canvas.getBoundingClientRect();
      const ratio = canvas.width / rect.width / state.scale;
      state.cx = state.drag.cx - (event.clientX - state.drag.x) * ratio;
      state.cy = state.drag.cy + (event.clientY - state.drag.y) * ratio;
      draw();
    }
    readout(event);
  });
  canvas.addEventListener("pointerup", (event) => {
    if (state.info && viewer.pointer) viewer.pointer.up(event, viewer.toImage(event));
    state.drag = null;
  });
  canvas.addEventListener("keydown", (event) => {
    if (!state.info) return;
    const step = 64 / state.scale;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (event.key === "+" || event.key === "=") zoom(2);
    else if (event.key === "-") zoom(0.5);
    else if (moves[event.key]) {
      state.cx += moves[event.key][0];
      state.cy += moves[event.key][1];
      draw();
    } else return;
    event.preventDefault();
  });
}
