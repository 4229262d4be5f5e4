// Pure image functions for the viewer and thumbnails: limits, stretches, colour maps, WCS.

const LOG_A = 1000;
const ASINH_BETA = 10;

export const STRETCHES = {
  linear: (v) => v,
  sqrt: (v) => Math.sqrt(v),
  log: (v) => Math.log10(LOG_A * v + 1) / Math.log10(LOG_A + 1),
  asinh: (v) => Math.asinh(ASINH_BETA * v) / Math.asinh(ASINH_BETA),
  zscale: (v) => v, // linear between the zscale limits
};

const ANCHORS = {
  gray: [[0, 0, 0], [255, 255, 255]],
  viridis: [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
  inferno: [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]],
  heat: [[0, 0, 0], [200, 20, 0], [255, 160, 0], [255, 255, 120], [255, 255, 255]],
  cool: [[0, 255, 255], [128, 128, 255], [255, 0, 255]],
};
const lutCache = new Map();

// A 256-entry RGB table interpolated between the map's anchor colours.
export function colormap(name) {
  if (lutCache.has(name)) return lutCache.get(name);
  const anchors = ANCHORS[name] || ANCHORS.gray;
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i += 1) {
    const position = (i / 255) * (anchors.length - 1);
    const low = Math.min(Math.floor(position), anchors.length - 2);
    const t = position - low;
    for (let c = 0; c < 3; c += 1) {
      lut[i * 3 + c] = Math.round(anchors[low][c] * (1 - t) + anchors[low + 1][c] * t);
    }
  }
  lutCache.set(name, lut);
  return lut;
}

// Finite values in ascending order (evenly subsampled above maxCount, for speed).
export function sortedFinite(data, maxCount = 1 << 20) {
  const step = Math.max(1, Math.ceil(data.length / maxCount));
  const values = [];
  for (let i = 0; i < data.length; i += step) {
    const v = data[i];
    if (Number.isFinite(v)) values.push(v);
  }
  const sorted = Float32Array.from(values);
  sorted.sort();
  return sorted;
}

export function quantile(sorted, fraction) {
  if (sorted.length === 0) return NaN;
  const position = Math.min(sorted.length - 1, Math.max(0, fraction * (sorted.length - 1)));
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

// Central `percent` of the values: 99.5 keeps 0.25 %..99.75 %.
export function percentileLimits(sorted, percent) {
  const tail = (100 - percent) / 200;
  return [quantile(sorted, tail), quantile(sorted, 1 - tail)];
}

// IRAF's zscale, approximated: fit a line to the sorted samples with iterative k-sigma
// rejection and span the median by (slope / contrast) over the sample range.
export function zscaleLimits(sorted, contrast = 0.25, maxSamples = 1000) {
  const step = Math.max(1, Math.floor(sorted.length / maxSamples));
  const samples = [];
  for (let i = 0; i < sorted.length; i += step) samples.push(sorted[i]);
  const n = samples.length;
  if (n < 2) return [sorted[0], sorted[sorted.length - 1]];
  const zmin = samples[0];
  const zmax = samples[n - 1];
  const center = Math.floor((n - 1) / 2);
  const median = n % 2 ? samples[center] : (samples[center] + samples[center + 1]) / 2;
  const keep = new Uint8Array(n).fill(1);
  const minimum = Math.max(5, Math.floor(n / 2));
  let slope = 0;
  for (let iteration = 0; iteration < 5; iteration += 1) {
    let m = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (let i = 0; i < n; i += 1) {
      if (!keep[i]) continue;
      m += 1; sx += i; sy += samples[i]; sxx += i * i; sxy += i * samples[i];
    }
    if (m < minimum) break;
    const denominator = m * sxx - sx * sx;
    slope = denominator ? (m * sxy - sx * sy) / denominator : 0;
    const intercept = (sy - slope * sx) / m;
    let squares = 0;
    for (let i = 0; i < n; i += 1) {
      if (keep[i]) squares += (samples[i] - intercept - slope * i) ** 2;
    }
    const sigma = Math.sqrt(squares / m);
    let rejected = 0;
    for (let i = 0; i < n; i += 1) {
      if (keep[i] && Math.abs(samples[i] - intercept - slope * i) > 2.5 * sigma) {
        keep[i] = 0;
        rejected += 1;
      }
    }
    if (!rejected) break;
  }
  const z1 = Math.max(zmin, median - (center * slope) / contrast);
  const z2 = Math.min(zmax, median + ((n - 1 - center) * slope) / contrast);
  return z1 < z2 ? [z1, z2] : [zmin, zmax];
}

// RGBA pixels for a canvas: FITS row 1 at the bottom, NaN transparent.
export function renderRGBA(data, width, height, limits, stretchName, lutName, invert) {
  const [low, high] = limits;
  const span = high > low ? high - low : 1;
  const stretch = STRETCHES[stretchName] || STRETCHES.linear;
  const lut = colormap(lutName);
  const table = new Uint8Array(4096); // stretch once per level, not per pixel
  for (let i = 0; i < 4096; i += 1) {
    const level = Math.round(Math.min(1, Math.max(0, stretch(i / 4095))) * 255);
    table[i] = invert ? 255 - level : level;
  }
  const out = new Uint8ClampedArray(width * height * 4);
  for (let row = 0; row < height; row += 1) {
    const source = (height - 1 - row) * width;
    const target = row * width * 4;
    for (let col = 0; col < width; col += 1) {
      const value = data[source + col];
      const o = target + col * 4;
      if (!Number.isFinite(value)) continue; // transparent
      let v = (value - low) / span;
      v = v < 0 ? 0 : v > 1 ? 1 : v;
      const index = table[Math.round(v * 4095)] * 3;
      out[o] = lut[index];
      out[o + 1] = lut[index + 1];
      out[o + 2] = lut[index + 2];
      out[o + 3] = 255;
    }
  }
  return out;
}

// Pixel (FITS, 1-based) -> [RA, Dec] in degrees for a TAN projection with CD or PC+CDELT
// and optional SIP distortion (A_p_q, B_p_q); null when the header has no such WCS.
export function celestialTransform(keywords) {
  if (!keywords) return null;
  const k = keywords;
  let cd;
  if (["CD1_1", "CD1_2", "CD2_1", "CD2_2"].some((key) => key in k)) {
    cd = [[k.CD1_1 || 0, k.CD1_2 || 0], [k.CD2_1 || 0, k.CD2_2 || 0]];
  } else {
    const c1 = k.CDELT1 ?? 1;
    const c2 = k.CDELT2 ?? 1;
    cd = [
      [c1 * (k.PC1_1 ?? 1), c1 * (k.PC1_2 ?? 0)],
      [c2 * (k.PC2_1 ?? 0), c2 * (k.PC2_2 ?? 1)],
    ];
  }
  const sip = { A: [], B: [] };
  for (const [key, value] of Object.entries(k)) {
    const match = /^([AB])_(\d)_(\d)$/.exec(key);
    if (match) sip[match[1]].push([Number(match[2]), Number(match[3]), value]);
  }
  const d2r = Math.PI / 180;
  const ra0 = k.CRVAL1 * d2r;
  const dec0 = k.CRVAL2 * d2r;
  return (x, y) => {
    let u = x - k.CRPIX1;
    let v = y - k.CRPIX2;
    let f = 0;
    let g = 0;
    for (const [p, q, a] of sip.A) f += a * u ** p * v ** q;
    for (const [p, q, b] of sip.B) g += b * u ** p * v ** q;
    u += f;
    v += g;
    const xi = (cd[0][0] * u + cd[0][1] * v) * d2r;
    const eta = (cd[1][0] * u + cd[1][1] * v) * d2r;
    const denominator = Math.cos(dec0) - eta * Math.sin(dec0);
    const ra = ra0 + Math.atan2(xi, denominator);
    const dec = Math.atan2(Math.sin(dec0) + eta * Math.cos(dec0), Math.hypot(xi, denominator));
    return [(((ra / d2r) % 360) + 360) % 360, dec / d2r];
  };
}

function sexagesimal(value, digits) {
  const sign = value < 0 ? "-" : "";
  let rest = Math.abs(value);
  const whole = Math.floor(rest);
  rest = (rest - whole) * 60;
  const minutes = Math.floor(rest);
  const seconds = (rest - minutes) * 60;
  const secondsText = seconds.toFixed(digits).padStart(digits + 3, "0");
  return `${sign}${String(whole).padStart(2, "0")}:${String(minutes).padStart(2, "0")}:${secondsText}`;
}

export function formatRa(degrees) {
  return `${sexagesimal(degrees / 15, 2)} (${degrees.toFixed(6)}°)`;
}

export function formatDec(degrees) {
  const text = sexagesimal(degrees, 1);
  return `${degrees >= 0 ? "+" : ""}${text} (${degrees.toFixed(6)}°)`;
}
