// Regions on the full-resolution viewer: drag a circle (from its centre) or a box (corner to
// corner); the server computes the statistics of the file's own pixels inside it
// (POST /api/data/{id}/region-stats), shown under the image in the image's unit.

import { errorMessage, formatValue } from "./common.js";
import { formatDec, formatRa } from "./imaging.js";
import { postJson } from "./skyshared.js";

const FIELDS = [
  ["pixels", "Pixels"], ["finite", "With data"], ["sum", "Sum"], ["mean", "Mean"],
  ["median", "Median"], ["std", "Std. dev."], ["min", "Min"], ["max", "Max"],
];

export function installRegions(viewer) {
  const $ = (id) => document.getElementById(id);
  const tool = $("sky-tool");
  const table = $("sky-region-stats");
  let region = null; // {shape, ...} in image pixel coordinates
  let dragging = null;

  function describe(start, end) {
    if (tool.value === "circle") {
      const radius = Math.hypot(end[0] - start[0], end[1] - start[1]);
      return { shape: "circle", x: start[0], y: start[1], radius };
    }
    return { shape: "box", x0: start[0], y0: start[1], x1: end[0], y1: end[1] };
  }

  function show(stats) {
    const unit = stats.unit ? ` ${stats.unit}` : "";
    const rows = FIELDS.map(([key, name]) => {
      const value = stats[key];
      const text = Number.isInteger(value) && (key === "pixels" || key === "finite")
        ? String(value) : `${formatValue(value)}${unit}`;
      return [name, text, key];
    });
    if (stats.sky) {
      rows.push(["Centre RA", formatRa(stats.sky.ra), "ra"], ["Centre Dec", formatDec(stats.sky.dec), "dec"]);
    }
    const body = table.querySelector("tbody");
    body.replaceChildren(...rows.map(([name, text, key]) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = name;
      const td = document.createElement("td");
      td.textContent = text;
      td.dataset.stat = key;
      tr.append(th, td);
      return tr;
    }));
    table.hidden = false;
    viewer.section.dataset.regionPixels = String(stats.pixels);
  }

  async function measure() {
    viewer.setStatus("Measuring the region…");
    viewer.section.dataset.region = JSON.stringify(region);
    const response = await postJson(`/api/data/${viewer.recordId}/region-stats`, region);
    if (!response.ok) {
      table.hidden = true;
      viewer.setStatus(await errorMessage(response), true);
      return;
    }
    show(await response.json());
    viewer.setStatus(region.shape === "circle"
      ? `Circle of radius ${region.radius.toFixed(1)} px at x ${(region.x + 1).toFixed(1)}, y ${(region.y + 1).toFixed(1)}`
      : "Box region");
  }

  viewer.pointer = {
    down(event, point) {
      if (tool.value === "pan" || event.button !== 0) return false;
      dragging = point;
      region = describe(point, point);
      return true;
    },
    move(event, point) {
      if (!dragging) return false;
      region = describe(dragging, point);
      viewer.draw();
      return true;
    },
    up(event, point) {
      if (!dragging) return;
      region = describe(dragging, point);
      dragging = null;
      viewer.draw();
      const tiny = region.shape === "circle" ? region.radius < 0.5
        : Math.abs(region.x1 - region.x0) < 0.5 && Math.abs(region.y1 - region.y0) < 0.5;
      if (tiny) {
        viewer.setStatus("Drag to draw a region larger than a pixel.", true);
        return;
      }
      measure();
    },
  };

  viewer.painters.push(() => {
    if (!region) return;
    const { context, state } = viewer;
    context.save();
    context.strokeStyle = "#4fc3ff";
    context.setLineDash([6, 4]);
    context.lineWidth = 2;
    context.beginPath();
    if (region.shape === "circle") {
      const [x, y] = viewer.toScreen(region.x, region.y);
      context.arc(x, y, region.radius * state.scale, 0, 2 * Math.PI);
    } else {
      const [ax, ay] = viewer.toScreen(region.x0, region.y0);
      const [bx, by] = viewer.toScreen(region.x1, region.y1);
      context.rect(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay));
    }
    context.stroke();
    context.restore();
  });

  tool.addEventListener("change", () => {
    viewer.canvas.classList.toggle("drawing", tool.value !== "pan");
  });
  $("sky-region-clear").addEventListener("click", () => {
    region = null;
    table.hidden = true;
    delete viewer.section.dataset.regionPixels;
    viewer.draw();
  });
}
