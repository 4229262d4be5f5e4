"""The celestial WCS of the image the viewer shows, and WCS arithmetic on pixel windows.

- :func:`image_wcs`: the 2-D celestial part of the image HDU's WCS (a cube's spectral axis
  dropped), or a 422 saying the image has none.
- :func:`window_wcs`: the WCS of a window of an image read every ``step`` pixels (block
  means of ``step x step``), so a reduced view of the window can be reprojected exactly:
  CRPIX moves to the window, the pixel scale grows by ``step`` and SIP coefficients are
  rescaled to the new pixel units (astropy's own ``WCS.slice`` leaves SIP untouched).

Pixel coordinates are 0-based with pixel centres on integers, like astropy's
``pixel_to_world``; the viewer's overlays use the same convention.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS, Sip
from astropy.wcs.utils import proj_plane_pixel_scales

from jwstdata.errors import ValidationError


def image_wcs(header: Any) -> WCS:
    """The celestial WCS of ``header``; ValidationError (422) when there is none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        try:
            wcs = WCS(header).celestial
        except (ValueError, KeyError, MemoryError) as exc:
            raise ValidationError(f"the image's WCS cannot be read: {exc}") from None
    if not wcs.has_celestial or wcs.naxis != 2:
        raise ValidationError("this image has no celestial WCS (RA/Dec) in its header")
    return wcs


def pixel_scale(wcs: WCS) -> float:
    """Mean pixel scale in arcseconds."""
    return float(np.mean(proj_plane_pixel_scales(wcs))) * 3600


def is_equatorial(wcs: WCS) -> bool:
    return str(wcs.wcs.lngtyp).strip().upper() == "RA"


def _scaled_sip(matrix: Any, step: int) -> Any:
    if matrix is None:
        return None
    scaled = np.array(matrix, dtype=float)
    order = scaled.shape[0]
    for p in range(order):
        for q in range(order):
            scaled[p, q] *= float(step) ** (p + q - 1)
    return scaled


def window_wcs(wcs: WCS, x0: int, y0: int, step: int = 1) -> WCS:
    """The WCS of ``image[y0::step, x0::step]`` reduced to block means of ``step x step``.

    Output pixel ``i`` (0-based) is the block whose centre is input pixel
    ``x0 + step * i + (step - 1) / 2``.
    """
    if step < 1:
        raise ValueError("step must be at least 1")
    new = wcs.deepcopy()
    origin = np.array([x0, y0], dtype=float)
    # 1-based CRPIX: input pixel c (1-based) is output (c - 1 - origin - (step-1)/2)/step + 1
    crpix = (np.array(wcs.wcs.crpix, dtype=float) - 1 - origin - (step - 1) / 2) / step + 1
    new.wcs.crpix = crpix
    if step != 1:
        if new.wcs.has_cd():
            new.wcs.cd = np.array(wcs.wcs.cd, dtype=float) * step
        else:
            new.wcs.cdelt = np.array(wcs.wcs.cdelt, dtype=float) * step
    if wcs.sip is not None:
        sip = wcs.sip
        new.sip = Sip(
            _scaled_sip(sip.a, step),
            _scaled_sip(sip.b, step),
            _scaled_sip(sip.ap, step),
            _scaled_sip(sip.bp, step),
            crpix,
        )
    new.wcs.set()
    return new
