"""Statistics of the image's own pixels inside a circle or a box drawn on the viewer.

A pixel belongs to a region when its centre lies inside it (pixel centres are 0-based
integers, so the pixel ``(x=3, y=5)`` spans 2.5..3.5 by 4.5..5.5). Values are physical
(BSCALE/BZERO applied, BLANK and non-finite values excluded from the statistics but counted
in ``pixels``), read from the memory-mapped file in bands of rows, never from tiles.

Work is bounded: the region's bounding box (clipped to the image) must hold at most
``max_pixels`` pixels, else :class:`PayloadTooLargeError` (413) says so before any read;
the values kept for the median are at most that many float32s.

Example: a circle of radius 2 at (10, 10) holds the 13 pixels whose centres are within 2
pixels of (10, 10); ``std`` is the population standard deviation (numpy's default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from jwstdata.errors import PayloadTooLargeError, ValidationError
from jwstdata.services.image_wcs import image_wcs, pixel_scale
from jwstdata.services.pixel_window import physical
from jwstdata.services.tiles import TileSource

BAND_PIXELS = 1 << 20  # pixels read per band


@dataclass(frozen=True)
class CircleRegion:
    x: float
    y: float
    radius: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x, self.y

    def bounds(self) -> tuple[float, float, float, float]:
        r = self.radius
        return self.x - r, self.y - r, self.x + r, self.y + r

    def mask(self, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return (cols - self.x) ** 2 + (rows - self.y) ** 2 <= self.radius**2


@dataclass(frozen=True)
class BoxRegion:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def bounds(self) -> tuple[float, float, float, float]:
        return (
            min(self.x0, self.x1),
            min(self.y0, self.y1),
            max(self.x0, self.x1),
            max(self.y0, self.y1),
        )

    def mask(self, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
        left, bottom, right, top = self.bounds()
        return (cols >= left) & (cols <= right) & (rows >= bottom) & (rows <= top)


Region = CircleRegion | BoxRegion


def _pixel_range(low: float, high: float, size: int) -> tuple[int, int]:
    """Indices whose centres lie in [low, high], clipped to the image: [first, stop)."""
    return max(0, math.ceil(low)), min(size, math.floor(high) + 1)


def _values(
    source: TileSource, region: Region, rows: tuple[int, int], cols: tuple[int, int]
) -> tuple[np.ndarray, int]:
    """The region's physical values (NaN kept) and how many pixels it holds."""
    (r0, r1), (c0, c1) = rows, cols
    band = max(1, BAND_PIXELS // max(1, c1 - c0))
    col_index = np.arange(c0, c1, dtype=float)
    pieces: list[np.ndarray] = []
    for start in range(r0, r1, band):
        stop = min(r1, start + band)
        row_index = np.arange(start, stop, dtype=float)[:, None]
        inside = region.mask(col_index[None, :], row_index)
        if not inside.any():
            continue
        block = physical(np.asarray(source.plane[start:stop, c0:c1]), source.header)
        pieces.append(block[inside])
    values = np.concatenate(pieces) if pieces else np.empty(0, np.float32)
    return values, int(values.size)


def _sky(source: TileSource, region: Region) -> dict[str, Any] | None:
    try:
        wcs = image_wcs(source.header)
    except ValidationError:
        return None
    x, y = region.centre
    ra, dec = (float(v) for v in wcs.all_pix2world(x, y, 0))
    if not (math.isfinite(ra) and math.isfinite(dec)):
        return None
    return {"ra": ra % 360.0, "dec": dec, "pixelScale": pixel_scale(wcs)}


def region_stats(source: TileSource, region: Region, max_pixels: int) -> dict[str, Any]:
    """Count, sum, mean, median, std, min and max of the finite pixels in ``region``."""
    ny, nx = source.shape
    left, bottom, right, top = region.bounds()
    rows, cols = _pixel_range(bottom, top, ny), _pixel_range(left, right, nx)
    if rows[0] >= rows[1] or cols[0] >= cols[1]:
        raise ValidationError(
            f"the region holds no pixel of the image ({nx}x{ny} pixels)",
            details=[{"field": "region", "message": "outside the image or smaller than a pixel"}],
        )
    box = (rows[1] - rows[0]) * (cols[1] - cols[0])
    if box > max_pixels:
        raise PayloadTooLargeError(
            f"the region spans {box:,} pixels; statistics are computed over at most "
            f"{max_pixels:,} (JWSTDATA_VIEWER_MAX_REGION_PIXELS): draw a smaller region",
            details={"pixels": box, "limit": max_pixels},
        )
    values, count = _values(source, region, rows, cols)
    finite = values[np.isfinite(values)].astype(np.float64)
    stats: dict[str, Any] = {"pixels": count, "finite": int(finite.size)}
    if finite.size:
        stats |= {
            "sum": float(finite.sum()),
            "mean": float(finite.mean()),
            "median": float(np.median(finite)),
            "std": float(finite.std()),
            "min": float(finite.min()),
            "max": float(finite.max()),
        }
    else:
        stats |= dict.fromkeys(("sum", "mean", "median", "std", "min", "max"))
    centre_x, centre_y = region.centre
    return stats | {
        "unit": str(source.header.get("BUNIT", "") or ""),
        "extension": source.extension,
        "plane": source.plane_index,
        "centre": {"x": centre_x, "y": centre_y},
        "sky": _sky(source, region),
    }
