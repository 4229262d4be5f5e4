"""A coordinate grid for the viewer: lines of constant RA and Dec as pixel polylines.

:func:`coordinate_grid` looks at the visible window of the image, picks round steps in RA
(seconds of time) and Dec (arcseconds) giving a few lines across it, and traces each line
through the image's celestial WCS with astropy (SIP included). Each line is sampled, and
refined where it bends (near a pole), until its straight pieces stay within 0.02 pixel of
the true curve; it is cut where it leaves the window plus a margin, so lines reach the
canvas edges. Labels are sexagesimal for equatorial frames, degrees otherwise; RA wraps
through 0h and a pole in view gets every meridian.

Example: a 0.063"/px NIRCam image seen whole (300 x 600 px, 19" x 38", rotated) gets RA
lines every second of time (15" of RA) and Dec lines every 10", five of each.

Pixel coordinates are 0-based, pixel centres on integers (astropy's convention).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import Angle
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS

from jwstdata.services.image_wcs import is_equatorial

RA_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900,
            1200, 1800, 3600, 7200, 10800, 21600)  # seconds of time  # fmt: skip
DEC_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900,
             1200, 1800, 3600, 7200, 18000, 36000, 72000)  # arcseconds  # fmt: skip
SAMPLES = 200  # points along each line across the window, before refinement
TOLERANCE = 0.02  # pixels between a straight piece of a drawn line and the true curve
REFINE_ROUNDS = 8
MAX_POINTS = 20_000  # per line
MAX_LINES = 30  # per axis
DMS = ("\u00b0", "\u2032", "\u2033")  # degree, prime, double prime
MINUS = "\u2212"


@dataclass(frozen=True)
class Window:
    """The visible part of the image: 0-based pixel coordinates of its edges."""

    x0: float
    y0: float
    x1: float
    y1: float

    def grown(self, fraction: float) -> Window:
        dx, dy = (self.x1 - self.x0) * fraction, (self.y1 - self.y0) * fraction
        return Window(self.x0 - dx, self.y0 - dy, self.x1 + dx, self.y1 + dy)

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (x >= self.x0) & (x <= self.x1) & (y >= self.y0) & (y <= self.y1)


def _to_pixels(wcs: WCS, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        x, y = wcs.all_world2pix(lon, lat, 0, quiet=True)
    return np.asarray(x, float), np.asarray(y, float)


def _sky_extent(wcs: WCS, window: Window) -> tuple[float, float, float, float, float] | None:
    """(centre longitude, lowest and highest longitude offset, lowest and highest latitude)."""
    xs = np.linspace(window.x0, window.x1, 33)
    ys = np.linspace(window.y0, window.y1, 33)
    grid_x, grid_y = np.meshgrid(xs, ys)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lon, lat = wcs.all_pix2world(grid_x.ravel(), grid_y.ravel(), 0)
        centre_lon, _ = wcs.all_pix2world(
            (window.x0 + window.x1) / 2, (window.y0 + window.y1) / 2, 0
        )
    good = np.isfinite(lon) & np.isfinite(lat)
    if not good.any() or not math.isfinite(float(centre_lon)):
        return None
    centre = float(centre_lon)
    offsets = (lon[good] - centre + 180.0) % 360.0 - 180.0
    low, high = float(offsets.min()), float(offsets.max())
    lat_low, lat_high = float(lat[good].min()), float(lat[good].max())
    for pole in (90.0, -90.0):  # a pole in view: every longitude meets there
        px, py = _to_pixels(wcs, np.array([centre]), np.array([pole]))
        if np.isfinite(px).all() and window.contains(px, py).all():
            low, high = -180.0, 180.0
            lat_low, lat_high = min(lat_low, pole), max(lat_high, pole)
    return centre, low, high, lat_low, lat_high


def _step(span_degrees: float, steps: tuple[float, ...], unit_degrees: float, lines: int) -> float:
    for step in steps:
        if span_degrees / (step * unit_degrees) <= lines:
            return step * unit_degrees
    return steps[-1] * unit_degrees


def _label(value: float, axis: str, step: float, equatorial: bool) -> str:
    if not equatorial:
        digits = max(0, math.ceil(-math.log10(step) - 1e-9))
        return f"{value % 360 if axis == 'ra' else value:.{digits}f}°"
    if axis == "ra":
        seconds = step * 240.0  # seconds of time per degree
        fields = 1 if seconds >= 3600 else 2 if seconds >= 60 else 3
        precision = max(0, math.ceil(-math.log10(seconds) - 1e-9)) if seconds < 1 else 0
        angle = Angle(value % 360.0, u.deg)
        return angle.to_string(
            unit=u.hourangle, sep=("h", "m", "s"), precision=precision, pad=True, fields=fields
        )
    arcsec = step * 3600.0
    fields = 1 if arcsec >= 3600 else 2 if arcsec >= 60 else 3
    precision = max(0, math.ceil(-math.log10(arcsec) - 1e-9)) if arcsec < 1 else 0
    text = Angle(value, u.deg).to_string(
        unit=u.deg, sep=DMS, precision=precision, pad=True, alwayssign=True, fields=fields
    )
    return text.replace("-", MINUS)


def _segments(x: np.ndarray, y: np.ndarray, keep: np.ndarray) -> list[list[tuple[float, float]]]:
    segments: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for xi, yi, ok in zip(x, y, keep, strict=True):
        if ok:
            current.append((round(float(xi), 4), round(float(yi), 4)))
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    return [s for s in segments if len(s) > 1]


def _anchor(x: np.ndarray, y: np.ndarray, window: Window) -> tuple[float, float] | None:
    """The point of the line inside the window nearest its edge: where a label goes."""
    inside = window.contains(x, y) & np.isfinite(x) & np.isfinite(y)
    if not inside.any():
        return None
    xi, yi = x[inside], y[inside]
    edge = np.minimum.reduce([xi - window.x0, window.x1 - xi, yi - window.y0, window.y1 - yi])
    best = int(np.argmin(edge))
    return round(float(xi[best]), 4), round(float(yi[best]), 4)


def _trace(wcs: WCS, axis: str, value: float, sweep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixels along the line, with points added wherever a straight piece would stray more
    than TOLERANCE pixels from the curve (near a pole, Dec lines are tight circles)."""

    def project(along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        constant = np.full_like(along, value)
        return _to_pixels(wcs, *((constant, along) if axis == "ra" else (along, constant)))

    x, y = project(sweep)
    for _ in range(REFINE_ROUNDS):
        middle = (sweep[1:] + sweep[:-1]) / 2
        mx, my = project(middle)
        with np.errstate(invalid="ignore"):
            stray = np.hypot(mx - (x[1:] + x[:-1]) / 2, my - (y[1:] + y[:-1]) / 2) > TOLERANCE
        if not stray.any() or sweep.size > MAX_POINTS:
            break
        at = np.nonzero(stray)[0] + 1
        sweep = np.insert(sweep, at, middle[stray])
        x, y = np.insert(x, at, mx[stray]), np.insert(y, at, my[stray])
    return x, y


def _line(
    wcs: WCS, axis: str, value: float, sweep: np.ndarray, window: Window, reach: Window
) -> tuple[list[list[tuple[float, float]]], tuple[float, float] | None]:
    x, y = _trace(wcs, axis, value, sweep)
    keep = np.isfinite(x) & np.isfinite(y) & reach.contains(x, y)
    return _segments(x, y, keep), _anchor(x, y, window)


def _entry(axis: str, value: float, label: str, segments: list[Any], anchor: Any) -> dict[str, Any]:
    return {"axis": axis, "value": value, "label": label, "segments": segments, "anchor": anchor}


def coordinate_grid(wcs: WCS, window: Window, lines: int = 6) -> dict[str, Any]:
    """Lines of constant RA and Dec crossing ``window``, as pixel polylines with labels."""
    equatorial = is_equatorial(wcs)
    empty: dict[str, Any] = {"equatorial": equatorial, "raStep": None, "decStep": None, "lines": []}
    extent = _sky_extent(wcs, window)
    if extent is None:
        return empty
    centre, low, high, lat_low, lat_high = extent
    ra_unit, ra_steps = (15 / 3600, RA_STEPS) if equatorial else (1 / 3600, DEC_STEPS)
    ra_step = _step(high - low, ra_steps, ra_unit, lines)
    dec_step = _step(lat_high - lat_low, DEC_STEPS, 1 / 3600, lines)
    reach = window.grown(0.25)
    out: list[dict[str, Any]] = []
    lat_pad = (lat_high - lat_low) * 0.25 + dec_step
    lat_sweep = np.linspace(max(-90.0, lat_low - lat_pad), min(90.0, lat_high + lat_pad), SAMPLES)
    first = math.floor((centre + low) / ra_step)
    last = math.ceil((centre + high) / ra_step)
    for k in range(first, min(last, first + MAX_LINES) + 1):
        value = k * ra_step
        segments, anchor = _line(wcs, "ra", value, lat_sweep, window, reach)
        if segments and anchor is not None:
            label = _label(value, "ra", ra_step, equatorial)
            out.append(_entry("ra", value % 360.0, label, segments, anchor))
    lon_pad = min((high - low) * 0.25 + ra_step, (360.0 - (high - low)) / 2)
    lon_sweep = centre + np.linspace(low - lon_pad, high + lon_pad, SAMPLES)
    first = math.floor(lat_low / dec_step)
    last = math.ceil(lat_high / dec_step)
    for k in range(first, min(last, first + MAX_LINES) + 1):
        value = k * dec_step
        if abs(value) >= 90:
            continue
        segments, anchor = _line(wcs, "dec", value, lon_sweep, window, reach)
        if segments and anchor is not None:
            label = _label(value, "dec", dec_step, equatorial)
            out.append(_entry("dec", value, label, segments, anchor))
    return {"equatorial": equatorial, "raStep": ra_step, "decStep": dec_step, "lines": out}
