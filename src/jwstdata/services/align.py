"""A second image aligned onto the first's pixel grid, for the viewer's blink.

:func:`aligned_window` reprojects the part of ``second`` that falls in a window of
``first`` onto that window's pixels (``reproject.reproject_interp``, bilinear), at the
viewer's zoom level: level ``z`` gives one output pixel per ``2**z x 2**z`` block of the
first image, whose WCS is :func:`~jwstdata.services.image_wcs.window_wcs`.

Only the window is computed, and only the part of the second image it covers is read (its
bounding box, block-averaged when the zoom makes its pixels smaller than the output's), so
memory is bounded by ``max_pixels`` for the output and for the input read, whatever the file
sizes; large windows are reprojected in 512 x 512 blocks (measured: a 1400 x 1400 window
peaks at 71 MB in blocks, 367 MB in one piece). Where the second image has no data the
output is NaN.

Example: both images show the same star; after alignment the star's light in the output
sits on the star's pixel in the first image (to a fraction of a pixel).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
from reproject import reproject_interp

from jwstdata.errors import PayloadTooLargeError, ValidationError
from jwstdata.services.image_wcs import image_wcs, pixel_scale, window_wcs
from jwstdata.services.pixel_window import reduced_window
from jwstdata.services.tiles import TileSource

EDGE_SAMPLES = 24  # points per window edge traced into the second image
MARGIN = 2  # input pixels kept around the traced box, for interpolation
BLOCK = (512, 512)  # output pixels reprojected at a time in large windows


@dataclass(frozen=True)
class PixelWindow:
    """Columns ``x0..x1-1`` and rows ``y0..y1-1`` of the first image, seen at ``factor``."""

    x0: int
    y0: int
    x1: int
    y1: int
    factor: int

    @property
    def shape(self) -> tuple[int, int]:
        return math.ceil((self.y1 - self.y0) / self.factor), math.ceil(
            (self.x1 - self.x0) / self.factor
        )


def _clip(window: PixelWindow, shape: tuple[int, int]) -> PixelWindow:
    ny, nx = shape
    clipped = PixelWindow(
        max(0, window.x0), max(0, window.y0), min(nx, window.x1), min(ny, window.y1), window.factor
    )
    if clipped.x0 >= clipped.x1 or clipped.y0 >= clipped.y1:
        raise ValidationError(
            f"the window is outside the image ({nx}x{ny} pixels)",
            details=[{"field": "x0/y0/x1/y1", "message": "no overlap with the image"}],
        )
    return clipped


def _edge_points(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    ny, nx = shape
    t = np.linspace(0.0, 1.0, EDGE_SAMPLES)
    xs = np.concatenate([t * nx, np.full_like(t, nx), t * nx, np.zeros_like(t)]) - 0.5
    ys = np.concatenate([np.zeros_like(t), t * ny, np.full_like(t, ny), t * ny]) - 0.5
    return xs, ys


def _input_box(
    out_wcs: WCS, out_shape: tuple[int, int], wcs: WCS, shape: tuple[int, int]
) -> tuple[int, int, int, int] | None:
    """The second image's pixels (x0, y0, x1, y1) under the output window, or None."""
    xs, ys = _edge_points(out_shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", AstropyWarning)
        lon, lat = out_wcs.all_pix2world(xs, ys, 0)
        x, y = wcs.all_world2pix(lon, lat, 0, quiet=True)
    good = np.isfinite(x) & np.isfinite(y)
    if not good.any():
        return None
    ny, nx = shape
    x0 = max(0, math.floor(float(x[good].min())) - MARGIN)
    y0 = max(0, math.floor(float(y[good].min())) - MARGIN)
    x1 = min(nx, math.ceil(float(x[good].max())) + MARGIN + 1)
    y1 = min(ny, math.ceil(float(y[good].max())) + MARGIN + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    return x0, y0, x1, y1


def _too_large(what: str, pixels: int, limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"the aligned {what} would be {pixels:,} pixels; the limit is {limit:,} "
        "(JWSTDATA_VIEWER_MAX_WINDOW_PIXELS): zoom in or out",
        details={"pixels": pixels, "limit": limit},
    )


def aligned_window(
    first: TileSource, second: TileSource, window: PixelWindow, max_pixels: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """The second image on the first's grid over ``window`` (float32, row 0 = lowest row)."""
    window = _clip(window, first.shape)
    out_shape = window.shape
    if out_shape[0] * out_shape[1] > max_pixels:
        raise _too_large("window", out_shape[0] * out_shape[1], max_pixels)
    first_wcs, second_wcs = image_wcs(first.header), image_wcs(second.header)
    out_wcs = window_wcs(first_wcs, window.x0, window.y0, window.factor)
    meta: dict[str, Any] = {
        "x0": window.x0, "y0": window.y0, "x1": window.x1, "y1": window.y1,
        "factor": window.factor, "width": out_shape[1], "height": out_shape[0],
        "unit": str(second.header.get("BUNIT", "") or ""), "inputStep": None, "overlap": False,
    }  # fmt: skip
    box = _input_box(out_wcs, out_shape, second_wcs, second.shape)
    if box is None:
        return np.full(out_shape, np.nan, np.float32), meta
    # Read the second image about as finely as the output samples it, within the budget.
    ratio = window.factor * pixel_scale(first_wcs) / pixel_scale(second_wcs)
    step = max(1, math.floor(ratio))
    area = (box[2] - box[0]) * (box[3] - box[1])
    while area / step**2 > max_pixels:
        step *= 2
    data = reduced_window(second.plane, second.header, box, step)
    in_wcs = window_wcs(second_wcs, box[0], box[1], step)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = reproject_interp(
            (data, in_wcs),
            out_wcs,
            shape_out=out_shape,
            order="bilinear",
            return_footprint=False,
            # in blocks: a block's coordinate arrays in memory, not the whole window's
            block_size=BLOCK if out_shape[0] * out_shape[1] > BLOCK[0] * BLOCK[1] else None,
        )
    result = np.asarray(result, np.float32)
    return result, meta | {"inputStep": step, "overlap": bool(np.isfinite(result).any())}
