// Helpers shared by the page scripts (no side effects on import).

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

// The API's error body is {"error": {"code", "message", "details"}}: show its message.
export async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) return body.error.message;
  } catch (_) {
    // not JSON: fall through to the status line
  }
  return `${response.status} ${response.statusText || "error"}`.trim();
}

export function formatValue(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "no data";
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(4);
  return value.toPrecision(6).replace(/\.?0+$/, "");
}

export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${size} B` : `${size.toFixed(1)} ${units[unit]}`;
}

// Decode GET /api/data/{id}/pixels: uint32 header length, JSON header, float32 data.
export function decodePixels(buffer) {
  const view = new DataView(buffer);
  const headerLength = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headerLength)));
  const offset = 4 + headerLength;
  const count = header.width * header.height;
  let data;
  if (offset % 4 === 0) {
    data = new Float32Array(buffer, offset, count);
  } else {
    data = new Float32Array(buffer.slice(offset, offset + count * 4));
  }
  return { header, data };
}

export async function fetchPixels(recordId, maxSide, signal) {
  const response = await fetch(`/api/data/${recordId}/pixels?max=${maxSide}`, {
    credentials: "same-origin",
    signal,
  });
  if (!response.ok) throw new Error(await errorMessage(response));
  return decodePixels(await response.arrayBuffer());
}
