// The full-resolution viewer's astronomer tools: a RA/Dec grid traced by the server from the
// file's WCS (GET /api/data/{id}/overlay/grid for the visible window) and the positions of
// any ECSV catalogue (POST /api/data/{id}/overlay/catalog). Regions and blink have modules
// of their own; this one installs all of them on the viewer.

import { errorMessage } from "./common.js";
import { installBlink } from "./skyblink.js";
import { installRegions } from "./skyregion.js";
import { postJson, visibleWindow } from "./skyshared.js";

const MAX_TABLE_CHARS = 1000 * 1000; // the API takes JSON bodies up to 1 MiB

function installGrid(viewer) {
  const toggle = document.getElementById("sky-grid");
  let grid = null;
  let wanted = "";
  let timer = null;

  async function load(window, key) {
    const params = new URLSearchParams(Object.entries(window).map(([k, v]) => [k, v.toFixed(2)]));
    const response = await fetch(`/api/data/${viewer.recordId}/overlay/grid?${params}`, {
      credentials: "same-origin",
    });
    if (key !== wanted) return; // the view moved on meanwhile
    if (!response.ok) {
      toggle.checked = false;
      viewer.setStatus(await errorMessage(response), true);
      return;
    }
    grid = await response.json();
    viewer.section.dataset.gridLines = String(grid.lines.length);
    viewer.draw();
  }

  function paint() {
    if (!toggle.checked) return;
    const window = visibleWindow(viewer);
    if (window.x1 <= window.x0 || window.y1 <= window.y0) return;
    const key = Object.values(window).map((v) => v.toFixed(1)).join(",");
    if (key !== wanted) {
      wanted = key;
      clearTimeout(timer);
      timer = setTimeout(() => load(window, key), grid ? 150 : 0);
    }
    if (!grid) return;
    const { context } = viewer;
    context.save();
    context.lineWidth = 1;
    context.font = "12px sans-serif";
    for (const line of grid.lines) {
      context.strokeStyle = line.axis === "ra" ? "rgba(120, 255, 140, 0.8)" : "rgba(255, 170, 80, 0.8)";
      for (const segment of line.segments) {
        context.beginPath();
        segment.forEach(([x, y], i) => {
          const [sx, sy] = viewer.toScreen(x, y);
          if (i === 0) context.moveTo(sx, sy);
          else context.lineTo(sx, sy);
        });
        context.stroke();
      }
      if (line.anchor) {
        const [sx, sy] = viewer.toScreen(...line.anchor);
        const width = context.measureText(line.label).width;
        const lx = Math.min(Math.max(sx + 3, 2), viewer.canvas.width - width - 2);
        const ly = Math.min(Math.max(sy - 3, 14), viewer.canvas.height - 4);
        context.fillStyle = "rgba(0, 0, 0, 0.6)";
        context.fillRect(lx - 2, ly - 12, width + 4, 15);
        context.fillStyle = context.strokeStyle;
        context.fillText(line.label, lx, ly);
      }
    }
    context.restore();
  }

  toggle.addEventListener("change", () => {
    if (!toggle.checked) {
      delete viewer.section.dataset.gridLines;
      grid = null; // turned on again: traced afresh
      wanted = "";
    }
    viewer.draw();
  });
  viewer.painters.push(paint);
}

function installCatalogue(viewer) {
  const $ = (id) => document.getElementById(id);
  const text = $("sky-catalog-text");
  const status = $("sky-catalog-status");
  let points = null;

  const say = (message, isError = false) => {
    status.textContent = message;
    status.classList.toggle("error", isError);
  };

  async function overlay() {
    const file = $("sky-catalog-file").files[0];
    const ecsv = file ? await file.text() : text.value;
    if (!ecsv.trim()) {
      say("Choose an ECSV file or paste a table first.", true);
      return;
    }
    if (ecsv.length > MAX_TABLE_CHARS) {
      say("The table is larger than 1 MB: keep the RA/Dec and name columns, or fewer rows.", true);
      return;
    }
    say("Placing the catalogue…");
    const response = await postJson(`/api/data/${viewer.recordId}/overlay/catalog`, { ecsv });
    if (!response.ok) {
      points = null;
      delete viewer.section.dataset.catalogPoints;
      say(await errorMessage(response), true);
      viewer.draw();
      return;
    }
    const body = await response.json();
    points = body.points;
    viewer.section.dataset.catalogPoints = String(body.inside);
    say(`${body.rows} rows (${body.raColumn}, ${body.decColumn}): ${body.inside} on the image.`);
    viewer.draw();
  }

  function paint() {
    if (!points) return;
    const { context, canvas } = viewer;
    context.save();
    context.strokeStyle = context.fillStyle = "#ff4fd8";
    context.lineWidth = 1.5;
    context.font = "11px sans-serif";
    const size = Math.max(6, 4 * viewer.state.scale);
    for (const p of points) {
      const [x, y] = viewer.toScreen(p.x, p.y);
      if (x < -size || y < -size || x > canvas.width + size || y > canvas.height + size) continue;
      context.strokeRect(x - size, y - size, 2 * size, 2 * size);
      if (p.label && points.length <= 200) context.fillText(p.label, x + size + 2, y - size);
    }
    context.restore();
  }

  $("sky-catalog-load").addEventListener("click", overlay);
  $("sky-catalog-clear").addEventListener("click", () => {
    points = null;
    delete viewer.section.dataset.catalogPoints;
    say("");
    viewer.draw();
  });
  viewer.painters.push(paint);
}

export function installTools(viewer) {
  installGrid(viewer);
  installCatalogue(viewer);
  installRegions(viewer);
  installBlink(viewer);
}
