"""Display scaling: an interval (which values map to black and white), a stretch (the curve in
between) and a colormap; the pieces every preview is made of.

- **Intervals**: ``zscale`` (IRAF/ds9, :class:`astropy.visualization.ZScaleInterval` on the
  full plane; it fits a sample of about 1000 pixels), ``percentile`` (clip at the
  ``low``/``high`` percentiles of the finite values) and ``minmax``.
- **Stretches** (:mod:`astropy.visualization`, applied to values already scaled to 0..1):
  ``linear``, ``sqrt``, ``log`` (``a=1000``), ``asinh`` (``a=0.1``).
- **Colormaps**: 256-entry lookup tables taken from matplotlib's registered colormaps
  (``colormap(np.linspace(0, 1, 256), bytes=True)``), cached. No figure and no pyplot: a LUT
  is all a preview needs, matplotlib is already a dependency for spectrum plots, and its maps
  (viridis and friends) are the perceptually uniform ones astronomers know. ``gray`` needs no
  LUT at all: the 8-bit image is written as a greyscale PNG.

Percentiles on large images are taken from an evenly strided sample of at most
:data:`PERCENTILE_SAMPLE` finite values: deterministic, and within a fraction of a percent of
the exact value for display purposes.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

import numpy as np
from astropy.visualization import (
    AsinhStretch,
    BaseStretch,
    LinearStretch,
    LogStretch,
    SqrtStretch,
    ZScaleInterval,
)

from jwstdata.models.enums import Interval, Stretch

PERCENTILE_SAMPLE = 1_000_000


class Colormap(StrEnum):
    gray = "gray"
    viridis = "viridis"
    magma = "magma"
    inferno = "inferno"
    plasma = "plasma"
    cividis = "cividis"
    hot = "hot"
    cubehelix = "cubehelix"


_STRETCHES: dict[Stretch, BaseStretch] = {
    Stretch.linear: LinearStretch(),
    Stretch.sqrt: SqrtStretch(),
    Stretch.log: LogStretch(a=1000),
    Stretch.asinh: AsinhStretch(a=0.1),
}


def _finite_sample(values: np.ndarray, limit: int) -> np.ndarray:
    flat = values.reshape(-1) if values.flags.c_contiguous else values.ravel()
    if flat.size > limit:
        flat = flat[:: -(-flat.size // limit)]
    return flat[np.isfinite(flat)]


def limits(
    values: np.ndarray,
    interval: Interval,
    *,
    low: float = 0.5,
    high: float = 99.5,
) -> tuple[float, float] | None:
    """(vmin, vmax) for ``values``, or None when no value is finite."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    if interval is Interval.zscale:
        # On the full array, exactly as astropy (and ds9) compute it; it fits a sample of
        # about 1000 pixels itself.
        vmin, vmax = ZScaleInterval().get_limits(values)
    else:
        sample = _finite_sample(values, PERCENTILE_SAMPLE)
        if interval is Interval.minmax:
            vmin, vmax = sample.min(), sample.max()
        else:
            vmin, vmax = np.percentile(sample, [low, high])
    if vmax <= vmin:  # a flat image (or a flat sample of one): use the full range
        vmin, vmax = values[finite].min(), values[finite].max()
    return float(vmin), float(vmax)


def to_uint8(values: np.ndarray, vmin: float, vmax: float, stretch: Stretch) -> np.ndarray:
    """Scale to 0..1 between the limits, apply the stretch, quantise; non-finite → 0."""
    scaled = np.asarray(values, dtype=np.float32)
    span = vmax - vmin
    scaled = (scaled - np.float32(vmin)) * np.float32(1.0 / span if span > 0 else 0.0)
    np.clip(scaled, 0.0, 1.0, out=scaled)  # NaN stays NaN
    if stretch is not Stretch.linear:
        _STRETCHES[stretch](scaled, clip=True, out=scaled)
    scaled *= 255.0
    scaled += 0.5
    np.nan_to_num(scaled, copy=False, nan=0.0)
    return scaled.astype(np.uint8)


@lru_cache(maxsize=16)
def palette(colormap: Colormap) -> bytes | None:
    """The colormap as a 768-byte PNG palette (RGB x 256); None for gray."""
    if colormap is Colormap.gray:
        return None
    from matplotlib import colormaps  # imported on first use: keeps CLI start-up fast

    lut = colormaps[colormap.value](np.linspace(0.0, 1.0, 256), bytes=True)[:, :3]
    return np.ascontiguousarray(lut, dtype=np.uint8).tobytes()
