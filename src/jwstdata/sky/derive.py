"""A record's sky footprint from what its record already holds.

In order: ``S_REGION`` (the header's, kept as ``metadata.s_region``, else MAST's
``metadata.mast_s_region``), else the SCI WCS (``imageInfo.wcs``) with the image size,
else ``TARG_RA``/``TARG_DEC`` (``metadata.targ_ra``/``targ_dec``, else MAST's
``s_ra``/``s_dec``) as a point. None when the record says nothing about the sky.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jwstdata.models.sky import MAX_FOOTPRINT_VERTICES, SkyFootprint, SkySource
from jwstdata.sky.geometry import Polygon, normalise_ra
from jwstdata.sky.region import RegionError, parse_s_region
from jwstdata.sky.wcs import wcs_corners

_REGION_KEYS = ("s_region", "mast_s_region")
_POINT_KEYS = (("targ_ra", "targ_dec"), ("mast_s_ra", "mast_s_dec"))


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _from_region(text: Any) -> SkyFootprint | None:
    if not isinstance(text, str) or not text.strip():
        return None
    return _region_footprint(text)


@lru_cache(maxsize=4096)  # a write derives one record's footprint more than once
def _region_footprint(text: str) -> SkyFootprint | None:
    try:
        region = parse_s_region(text)
    except RegionError:
        return None
    footprint = region.footprint if len(region.footprint) <= MAX_FOOTPRINT_VERTICES else []
    return SkyFootprint(
        ra=region.ra,
        dec=region.dec,
        radius=region.radius,
        footprint=footprint,
        source=SkySource.s_region,
    )


def _from_wcs(image_info: Mapping[str, Any]) -> SkyFootprint | None:
    wcs, width, height = image_info.get("wcs"), image_info.get("width"), image_info.get("height")
    if not isinstance(wcs, Mapping) or not isinstance(width, int) or not isinstance(height, int):
        return None
    try:
        key = tuple(sorted(wcs.items()))
        hash(key)
    except TypeError:  # an unhashable value: nothing to cache by
        return None
    return _wcs_footprint(key, width, height)


@lru_cache(maxsize=1024)
def _wcs_footprint(
    keywords: tuple[tuple[str, Any], ...], width: int, height: int
) -> SkyFootprint | None:
    corners = wcs_corners(dict(keywords), width, height)
    if corners is None:
        return None
    polygon = Polygon(corners)
    ra, dec = polygon.centre
    return SkyFootprint(
        ra=ra, dec=dec, radius=polygon.radius, footprint=polygon.vertices, source=SkySource.wcs
    )


def _from_point(metadata: Mapping[str, Any]) -> SkyFootprint | None:
    for ra_key, dec_key in _POINT_KEYS:
        ra, dec = _number(metadata.get(ra_key)), _number(metadata.get(dec_key))
        if ra is not None and dec is not None and -90 <= dec <= 90 and -360 <= ra <= 360:
            return SkyFootprint(ra=normalise_ra(ra), dec=dec, source=SkySource.target)
    return None


def sky_from_fields(
    metadata: Mapping[str, Any] | None, image_info: Mapping[str, Any] | None
) -> SkyFootprint | None:
    """The footprint from a record's ``metadata`` and ``imageInfo`` (camelCase dicts)."""
    metadata = metadata or {}
    for key in _REGION_KEYS:
        if (found := _from_region(metadata.get(key))) is not None:
            return found
    if image_info and (found := _from_wcs(image_info)) is not None:
        return found
    return _from_point(metadata)
