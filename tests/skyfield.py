"""Synthetic sky fields: the same stars, at known RA/Dec, in images with different WCS.

``field_image`` writes a JWST-like product whose SCI WCS is set by (instrument pixel scale,
centre, roll, shape) and whose stars sit at the pixels that WCS gives for their RA/Dec, so any
reprojection can be checked against the true sky positions with :func:`measured_offsets`, and
a coordinate grid's lines against astropy with :func:`grid_error`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS
from photutils.centroids import centroid_com

from tests import fitsfactory as ff

RA0, DEC0 = 151.7574, -40.4372
# (dRA * cos(dec), dDec) in arcsec from the field centre, and flux
STARS = ((-1.5, -1.0, 4e4), (1.2, 0.8, 3e4), (0.3, -1.7, 2e4), (-0.8, 1.6, 2.5e4))


def star_sky(stars: Sequence[tuple[float, float, float]] = STARS) -> list[tuple[float, float]]:
    cos = math.cos(math.radians(DEC0))
    return [(RA0 + dx / 3600 / cos, DEC0 + dy / 3600) for dx, dy, _ in stars]


def field_image(
    folder: Path,
    *,
    exposure: str,
    instrument: str = "NIRCAM",
    filter: str = "F444W",
    centre: tuple[float, float] = (0.0, 0.0),  # arcsec offset of the pointing
    roll: float = 293.09,
    shape: tuple[int, int] = (100, 100),
    stars: Sequence[tuple[float, float, float]] = STARS,
    background: float = 0.2,
) -> Path:
    cos = math.cos(math.radians(DEC0))
    ra, dec = RA0 + centre[0] / 3600 / cos, DEC0 + centre[1] / 3600
    common = {
        "instrument": instrument,
        "filter": filter,
        "ra": ra,
        "dec": dec,
        "roll": roll,
        "extras": False,
        "ids": ff.Ids(exposure=exposure),
    }
    probe = ff.write_product(folder / f"probe-{exposure}.fits", "cal", shape=shape, **common)
    with fits.open(probe) as hdul:
        wcs = WCS(hdul["SCI"].header)
    probe.unlink()
    positions = []
    for (sra, sdec), (_, _, flux) in zip(star_sky(stars), stars, strict=True):
        x, y = wcs.all_world2pix(sra, sdec, 0)
        if 3 <= x <= shape[1] - 4 and 3 <= y <= shape[0] - 4:
            positions.append((float(x), float(y), flux))
    data = ff.stars(shape, positions, fwhm=2.5, background=background)
    return ff.write_product(folder, "cal", data=data, **common)


def measured_offsets(plane: np.ndarray, wcs: WCS, half: int = 5) -> list[float | None]:
    """Per star: distance in pixels between its true position (by ``wcs``) and the light's
    centroid in ``plane``; None for a star outside the plane or without data around it."""
    offsets: list[float | None] = []
    for sra, sdec in star_sky():
        x, y = (float(v) for v in wcs.all_world2pix(sra, sdec, 0))
        ix, iy = round(x), round(y)
        if not (half <= ix < plane.shape[1] - half and half <= iy < plane.shape[0] - half):
            offsets.append(None)
            continue
        box = np.array(plane[iy - half : iy + half + 1, ix - half : ix + half + 1], float)
        if not np.isfinite(box).all():
            offsets.append(None)
            continue
        edge = np.concatenate([box[0], box[-1], box[:, 0], box[:, -1]])
        cx, cy = centroid_com(np.clip(box - np.median(edge), 0, None))
        offsets.append(math.hypot(ix - half + cx - x, iy - half + cy - y))
    return offsets


def grid_error(wcs: WCS, line: dict[str, Any]) -> float:
    """Largest distance (px) from the line's vertices and segment midpoints to the true line."""
    worst = 0.0
    for segment in line["segments"]:
        points = np.array(segment, dtype=float)
        for probe in (points, (points[1:] + points[:-1]) / 2):
            sky = wcs.pixel_to_world(probe[:, 0], probe[:, 1])
            if line["axis"] == "ra":
                target = SkyCoord(np.full(len(probe), line["value"]) * u.deg, sky.dec)
            else:
                target = SkyCoord(sky.ra, np.full(len(probe), line["value"]) * u.deg)
            x, y = wcs.world_to_pixel(target)
            worst = max(worst, float(np.hypot(x - probe[:, 0], y - probe[:, 1]).max()))
    return worst
