"""The sky corners of an image from its WCS keywords and size (astropy.wcs)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from jwstdata.sky.geometry import Polygon, Vertex


def wcs_corners(keywords: Mapping[str, Any], width: int, height: int) -> list[Vertex] | None:
    """The four pixel-edge corners (0.5 pixel beyond the outer pixel centres) in ICRS
    degrees, in order around the image; None when the WCS is not celestial or unusable."""
    if width < 1 or height < 1:
        return None
    from astropy.wcs import WCS
    from astropy.wcs.utils import wcs_to_celestial_frame

    header = {k: v for k, v in keywords.items() if isinstance(v, str | int | float)}
    try:
        with warnings.catch_warnings():  # FITSFixedWarning on SIP/DATE keywords
            warnings.simplefilter("ignore")
            wcs = WCS(header, naxis=None)
            if not wcs.has_celestial:
                return None
            celestial = wcs.celestial
            frame = wcs_to_celestial_frame(celestial)
            # Pixel edges in 0-based pixel coordinates (pixel centres are integers).
            xs = [-0.5, width - 0.5, width - 0.5, -0.5]
            ys = [-0.5, -0.5, height - 0.5, height - 0.5]
            sky = celestial.pixel_to_world(xs, ys)
            if frame.name != "icrs":
                sky = sky.icrs
    except Exception:  # a WCS astropy rejects is simply not a footprint
        return None
    corners = [(float(ra), float(dec)) for ra, dec in zip(sky.ra.deg, sky.dec.deg, strict=True)]
    if not all(math.isfinite(ra) and math.isfinite(dec) for ra, dec in corners):
        return None
    try:
        Polygon(corners)
    except ValueError:
        return None
    return [(ra % 360.0, dec) for ra, dec in corners]
