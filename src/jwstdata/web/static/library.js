// Library grid: thumbnails drawn in the browser from a small pixel request, a few at a time.
// On phones the filters start folded (one line above the results); wider screens always
// show them.

import { fetchPixels } from "./common.js";
import { percentileLimits, renderRGBA, sortedFinite } from "./imaging.js";

const PHONE = window.matchMedia("(max-width: 640px)");
const facetsPanel = document.getElementById("facets-panel");
function fitFacets() {
  if (facetsPanel) facetsPanel.open = !PHONE.matches;
}
fitFacets();
PHONE.addEventListener("change", fitFacets);

const THUMB_SIDE = 160;
const CONCURRENT = 3;
const queue = [];
let running = 0;

async function drawThumb(holder) {
  const img = holder.querySelector("img");
  const placeholder = holder.querySelector(".placeholder");
  if (holder.dataset.kind === "picture") {
    img.src = `/api/data/${holder.dataset.thumb}/file`;
  } else {
    const { header, data } = await fetchPixels(holder.dataset.thumb, THUMB_SIDE);
    const sorted = sortedFinite(data);
    if (!sorted.length) throw new Error("no finite pixels");
    const rgba = renderRGBA(data, header.width, header.height, percentileLimits(sorted, 99.5), "asinh", "gray", false);
    const canvas = document.createElement("canvas");
    canvas.width = header.width;
    canvas.height = header.height;
    canvas.getContext("2d").putImageData(new ImageData(rgba, header.width, header.height), 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    img.src = URL.createObjectURL(blob);
  }
  await img.decode();
  img.hidden = false;
  placeholder.hidden = true;
  holder.dataset.state = "ready";
}

function pump() {
  while (running < CONCURRENT && queue.length) {
    const holder = queue.shift();
    running += 1;
    drawThumb(holder)
      .catch(() => {
        holder.dataset.state = "error";
        holder.querySelector(".placeholder").textContent = "no preview";
      })
      .finally(() => {
        running -= 1;
        pump();
      });
  }
}

const holders = [...document.querySelectorAll(".thumb[data-kind='image'], .thumb[data-kind='picture']")];
if (holders.length) {
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        observer.unobserve(entry.target);
        queue.push(entry.target);
      }
      pump();
    },
    { rootMargin: "200px" },
  );
  holders.forEach((holder) => observer.observe(holder));
}
