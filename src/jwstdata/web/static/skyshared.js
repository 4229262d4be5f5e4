// Small helpers the viewer's tool modules share (no side effects on import).

import { csrfToken } from "./common.js";

// The visible part of the image in pixel coordinates (0-based, centres on integers).
export function visibleWindow(viewer) {
  const v = viewer.view();
  const { width, height } = viewer.state.info;
  return {
    x0: Math.max(-0.5, v.left - 0.5), x1: Math.min(width - 0.5, v.right - 0.5),
    y0: Math.max(-0.5, v.bottom - 0.5), y1: Math.min(height - 0.5, v.top - 0.5),
  };
}

export async function postJson(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
  });
}
