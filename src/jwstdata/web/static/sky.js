// The sky page: zoom and pan the footprint chart, hover for a file, draw a circle to
// search. The chart's x is the RA offset from ra0 times `scale` (east to the left),
// y is -Dec, in degrees (see services/sky_map.py); this script inverts that.
import { errorMessage } from "./common.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const svg = document.getElementById("sky-map");

function wrap(delta) {
  return ((((delta + 180) % 360) + 360) % 360) - 180;
}

function niceStep(span) {
  const raw = span / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function decimals(step) {
  return Math.max(0, Math.min(6, Math.ceil(-Math.log10(step))));
}

function angularDistance(ra1, dec1, ra2, dec2) {
  const r = Math.PI / 180;
  const s =
    Math.sin(((dec2 - dec1) * r) / 2) ** 2 +
    Math.cos(dec1 * r) * Math.cos(dec2 * r) * Math.sin(((ra2 - ra1) * r) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(s)))) / r;
}

function setup() {
  const ra0 = Number(svg.dataset.ra0);
  const scale = Number(svg.dataset.scale);
  const home = svg.dataset.view.split(" ").map(Number);
  let view = home.slice();
  let mode = "pan";
  let drag = null;
  let moved = false;
  const grid = document.getElementById("sky-grid");
  const circle = document.getElementById("sky-search-circle");
  const tooltip = document.getElementById("sky-tooltip");
  const readout = document.getElementById("sky-readout");
  const circleButton = document.querySelector('[data-sky="circle"]');

  const toSky = (x, y) => ({ ra: (((ra0 - x / scale) % 360) + 360) % 360, dec: -y });
  const toChart = (ra, dec) => ({ x: -wrap(ra - ra0) * scale, y: -dec });

  function unitsPerPixel() {
    const box = svg.getBoundingClientRect();
    return Math.max(view[2] / Math.max(box.width, 1), view[3] / Math.max(box.height, 1));
  }

  function point(event) {
    const matrix = svg.getScreenCTM().inverse();
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix);
    return { x: p.x, y: p.y };
  }

  function visible() {
    // With "meet" the chart shows more than the viewBox along one axis: grid all of it.
    const box = svg.getBoundingClientRect();
    const px = unitsPerPixel();
    const w = Math.max(box.width, 1) * px;
    const h = Math.max(box.height, 1) * px;
    return [view[0] + view[2] / 2 - w / 2, view[1] + view[3] / 2 - h / 2, w, h];
  }

  function drawGrid() {
    grid.replaceChildren();
    const px = unitsPerPixel();
    const [x0, y0, w, h] = visible();
    const decStep = niceStep(h);
    for (let dec = Math.ceil(-(y0 + h) / decStep) * decStep; dec <= -y0; dec += decStep) {
      if (dec < -90 || dec > 90) continue;
      const line = document.createElementNS(SVG_NS, "line");
      line.setAttribute("x1", x0);
      line.setAttribute("x2", x0 + w);
      line.setAttribute("y1", -dec);
      line.setAttribute("y2", -dec);
      grid.append(line);
      const label = document.createElementNS(SVG_NS, "text");
      label.setAttribute("x", x0 + 4 * px);
      label.setAttribute("y", -dec - 3 * px);
      label.setAttribute("font-size", 11 * px);
      label.textContent = `${dec >= 0 ? "+" : ""}${dec.toFixed(decimals(decStep))}°`;
      grid.append(label);
    }
    const raSpan = w / scale;
    if (raSpan >= 360) return;
    const raStep = niceStep(raSpan);
    const raLeft = ra0 - x0 / scale; // the left edge holds the largest RA
    for (let k = Math.floor(raLeft / raStep); k * raStep >= raLeft - raSpan; k -= 1) {
      const ra = k * raStep;
      const x = (ra0 - ra) * scale;
      const line = document.createElementNS(SVG_NS, "line");
      line.setAttribute("x1", x);
      line.setAttribute("x2", x);
      line.setAttribute("y1", y0);
      line.setAttribute("y2", y0 + h);
      grid.append(line);
      const label = document.createElementNS(SVG_NS, "text");
      const nearRight = x > x0 + w * 0.85; // keep the label inside the chart
      label.setAttribute("x", nearRight ? x - 3 * px : x + 3 * px);
      label.setAttribute("text-anchor", nearRight ? "end" : "start");
      label.setAttribute("y", y0 + h - 4 * px);
      label.setAttribute("font-size", 11 * px);
      label.textContent = `${(((ra % 360) + 360) % 360).toFixed(decimals(raStep))}°`;
      grid.append(label);
    }
  }

  function apply() {
    svg.setAttribute("viewBox", view.join(" "));
    const px = unitsPerPixel();
    for (const dot of svg.querySelectorAll(".sky-point")) dot.setAttribute("r", 4 * px);
    drawGrid();
  }

  function zoom(factor, centre) {
    const c = centre || { x: view[0] + view[2] / 2, y: view[1] + view[3] / 2 };
    const w = view[2] * factor;
    const h = view[3] * factor;
    view = [c.x - (c.x - view[0]) * factor, c.y - (c.y - view[1]) * factor, w, h];
    apply();
  }

  function setMode(next) {
    mode = next;
    circleButton.setAttribute("aria-pressed", String(mode === "circle"));
    svg.classList.toggle("drawing", mode === "circle");
  }

  async function search(centre, radius) {
    const results = document.getElementById("sky-results");
    const list = document.getElementById("sky-results-list");
    const summary = document.getElementById("sky-results-query");
    const params = new URLSearchParams({
      ra: centre.ra.toFixed(6),
      dec: centre.dec.toFixed(6),
      radius: radius.toFixed(6),
      limit: "200",
    });
    results.hidden = false;
    summary.textContent = `RA ${centre.ra.toFixed(5)}°, Dec ${centre.dec.toFixed(5)}°, radius ${(radius * 60).toFixed(2)}′`;
    list.replaceChildren();
    const response = await fetch(`/api/data?${params}`, { credentials: "same-origin" });
    if (!response.ok) {
      const item = document.createElement("li");
      item.textContent = await errorMessage(response);
      list.append(item);
      return;
    }
    const page = await response.json();
    const found = new Set(page.items.map((r) => r.id));
    for (const node of svg.querySelectorAll(".sky-item")) {
      node.classList.toggle("match", found.has(node.dataset.id));
    }
    document.getElementById("sky-results-title").textContent =
      `${page.items.length}${page.nextCursor ? "+" : ""} file${page.items.length === 1 ? "" : "s"} in the circle`;
    for (const record of page.items) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/records/${record.id}`;
      link.textContent = record.fileName;
      item.append(link);
      if (record.sky) {
        const where = document.createElement("span");
        where.className = "muted small mono";
        where.textContent = ` ${record.sky.ra.toFixed(5)}, ${record.sky.dec.toFixed(5)}`;
        item.append(where);
      }
      list.append(item);
    }
  }

  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    const p = point(event);
    moved = false;
    drag = { start: p, client: { x: event.clientX, y: event.clientY }, view: view.slice() };
    if (mode === "circle") {
      circle.setAttribute("cx", p.x);
      circle.setAttribute("cy", p.y);
      circle.setAttribute("r", 0);
      circle.hidden = false;
    }
  });

  svg.addEventListener("pointermove", (event) => {
    const p = point(event);
    const sky = toSky(p.x, p.y);
    readout.textContent = `RA ${sky.ra.toFixed(4)}° Dec ${sky.dec.toFixed(4)}°`;
    if (!drag) return;
    if (!moved && Math.hypot(event.clientX - drag.client.x, event.clientY - drag.client.y) > 3) {
      // Captured only once it is a drag: a capture from the press would retarget the
      // click of a plain press-and-release away from the footprint's link.
      moved = true;
      svg.setPointerCapture(event.pointerId);
    }
    if (mode === "circle") {
      circle.setAttribute("r", Math.hypot(p.x - drag.start.x, p.y - drag.start.y));
    } else if (moved) {
      svg.classList.add("panning");
      const px = unitsPerPixel();
      view = [
        drag.view[0] - (event.clientX - drag.client.x) * px,
        drag.view[1] - (event.clientY - drag.client.y) * px,
        view[2],
        view[3],
      ];
      apply();
    }
  });

  svg.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const start = drag.start;
    drag = null;
    svg.classList.remove("panning");
    if (mode === "circle" && moved) {
      const end = point(event);
      const centre = toSky(start.x, start.y);
      const edge = toSky(end.x, end.y);
      search(centre, angularDistance(centre.ra, centre.dec, edge.ra, edge.dec));
    }
  });

  // A drag (pan or circle) that ends on a footprint is not a click on it.
  svg.addEventListener(
    "click",
    (event) => {
      if (moved || mode === "circle") event.preventDefault();
    },
    true,
  );

  svg.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      zoom(event.deltaY > 0 ? 1.25 : 0.8, point(event));
    },
    { passive: false },
  );

  function show(item) {
    tooltip.textContent = `${item.dataset.name} · RA ${item.dataset.ra}°, Dec ${item.dataset.dec}°`;
    tooltip.hidden = false;
    item.classList.add("active");
  }
  function hide(item) {
    tooltip.hidden = true;
    item.classList.remove("active");
  }
  for (const item of svg.querySelectorAll(".sky-item")) {
    item.addEventListener("pointerenter", () => show(item));
    item.addEventListener("pointerleave", () => hide(item));
    item.addEventListener("focus", () => show(item));
    item.addEventListener("blur", () => hide(item));
  }

  document.querySelector('[data-sky="zoom-in"]').addEventListener("click", () => zoom(0.67));
  document.querySelector('[data-sky="zoom-out"]').addEventListener("click", () => zoom(1.5));
  document.querySelector('[data-sky="reset"]').addEventListener("click", () => {
    view = home.slice();
    apply();
  });
  circleButton.addEventListener("click", () => setMode(mode === "circle" ? "pan" : "circle"));
  window.addEventListener("resize", apply);
  apply();
  // Exposed for tests and the console: the chart position of a sky position.
  svg.skyToChart = toChart;
}

if (svg) setup();
