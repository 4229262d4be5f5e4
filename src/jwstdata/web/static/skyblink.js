// Blink: another image of the same target, reprojected by the server onto this image's
// pixels for the visible window at the current zoom level (GET /api/data/{id}/aligned),
// shown instead of this image on demand or alternately every BLINK_MS.

import { decodePixels, errorMessage } from "./common.js";
import { percentileLimits, renderRGBA, sortedFinite } from "./imaging.js";

const BLINK_MS = 800;

export function installBlink(viewer) {
  const $ = (id) => document.getElementById(id);
  const select = $("sky-blink-other");
  const show = $("sky-blink-show");
  const auto = $("sky-blink-auto");
  const blink = { showing: false, aligned: null, wanted: "", limits: null, timer: null, ticker: null };
  let listed = false;

  async function listCandidates() {
    listed = true;
    const params = new URLSearchParams({ limit: "100", dataType: "image" });
    for (const format of ["fits", "fits.gz"]) params.append("fileFormat", format);
    const { target, observation } = viewer.section.dataset;
    if (target) params.set("targetName", target);
    else if (observation) params.set("observationBaseId", observation);
    const response = await fetch(`/api/data?${params}`, { credentials: "same-origin" });
    if (!response.ok) {
      viewer.setStatus(await errorMessage(response), true);
      return;
    }
    const page = await response.json();
    const others = page.items.filter((r) => r.id !== viewer.recordId && r.filePath);
    for (const record of others) {
      const option = document.createElement("option");
      option.value = record.id;
      option.textContent = `${record.fileName}${record.imageInfo?.filter ? ` (${record.imageInfo.filter})` : ""}`;
      select.append(option);
    }
    viewer.section.dataset.blinkCandidates = String(others.length);
  }

  function windowFor(z) {
    const v = viewer.view();
    const f = 2 ** z;
    const { width, height } = viewer.state.info;
    const clamp = (value, high) => Math.min(high, Math.max(0, value));
    return {
      x0: clamp(Math.floor(v.left / f) * f, width), x1: clamp(Math.ceil(v.right / f) * f, width),
      y0: clamp(Math.floor(v.bottom / f) * f, height), y1: clamp(Math.ceil(v.top / f) * f, height), z,
    };
  }

  async function fetchAligned(window, key) {
    viewer.section.dataset.aligned = "loading";
    const params = new URLSearchParams({ other: select.value, ...window });
    const response = await fetch(`/api/data/${viewer.recordId}/aligned?${params}`, { credentials: "same-origin" });
    if (key !== blink.wanted) return;
    if (!response.ok) {
      stop();
      viewer.setStatus(await errorMessage(response), true);
      return;
    }
    const { header, data } = decodePixels(await response.arrayBuffer());
    if (!blink.limits) blink.limits = percentileLimits(sortedFinite(data), 99.5);
    const off = document.createElement("canvas");
    off.width = header.width;
    off.height = header.height;
    const rgba = renderRGBA(data, header.width, header.height, blink.limits,
      viewer.controls.stretch.value, viewer.controls.colormap.value, false);
    off.getContext("2d").putImageData(new ImageData(rgba, header.width, header.height), 0, 0);
    blink.aligned = { key, header, bitmap: off };
    viewer.section.dataset.aligned = header.overlap ? "overlap" : "no-overlap";
    if (!header.overlap) viewer.setStatus("The other image does not cover this part of the sky.");
    viewer.draw();
  }

  function underlay(z) {
    if (!blink.showing || !select.value) return false;
    const window = windowFor(z);
    if (window.x1 <= window.x0 || window.y1 <= window.y0) return true;
    const key = `${select.value}|${Object.values(window).join(",")}`;
    if (key !== blink.wanted) {
      blink.wanted = key;
      clearTimeout(blink.timer);
      blink.timer = setTimeout(() => fetchAligned(window, key), blink.aligned ? 200 : 0);
    }
    const aligned = blink.aligned;
    if (!aligned || !aligned.key.startsWith(`${select.value}|`)) return true;
    const { header, bitmap } = aligned;
    const v = viewer.view();
    const { scale } = viewer.state;
    viewer.context.imageSmoothingEnabled = false;
    viewer.context.drawImage(bitmap, (header.x0 - v.left) * scale,
      (v.top - (header.y0 + header.height * header.factor)) * scale,
      header.width * header.factor * scale, header.height * header.factor * scale);
    return true;
  }

  function setShowing(showing) {
    blink.showing = showing && Boolean(select.value);
    show.setAttribute("aria-pressed", String(blink.showing));
    show.textContent = blink.showing ? "Show this image" : "Show the other image";
    viewer.section.dataset.blink = blink.showing ? "other" : "this";
    viewer.draw();
  }

  function stop() {
    clearInterval(blink.ticker);
    blink.ticker = null;
    auto.checked = false;
    setShowing(false);
  }

  viewer.underlay = underlay;
  $("sky-details").addEventListener("toggle", () => {
    if ($("sky-details").open && !listed) listCandidates();
  });
  select.addEventListener("change", () => {
    blink.aligned = null;
    blink.limits = null;
    blink.wanted = "";
    if (!select.value) stop();
    else viewer.draw();
  });
  show.addEventListener("click", () => {
    if (!select.value) {
      viewer.setStatus("Choose the other image first.", true);
      return;
    }
    setShowing(!blink.showing);
  });
  auto.addEventListener("change", () => {
    if (!auto.checked) {
      stop();
      return;
    }
    if (!select.value) {
      auto.checked = false;
      viewer.setStatus("Choose the other image first.", true);
      return;
    }
    blink.ticker = setInterval(() => setShowing(!blink.showing), BLINK_MS);
  });
  for (const control of [viewer.controls.stretch, viewer.controls.colormap]) {
    control.addEventListener("change", () => {
      blink.aligned = null;
      blink.wanted = "";
      viewer.draw();
    });
  }
}
