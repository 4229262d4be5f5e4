"""``SkyFootprint``: where on the sky a record's file looks (ICRS degrees)."""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import Field, field_validator

from jwstdata.models.base import CamelModel

MAX_FOOTPRINT_VERTICES = 64


def footprint_pair(vertex: object) -> object:
    """(ra, dec) of a vertex given as a pair or as its stored form ``{"ra", "dec"}``."""
    if isinstance(vertex, dict) and "ra" in vertex and "dec" in vertex:
        return (vertex["ra"], vertex["dec"])
    return vertex


def stored_footprint(vertices: list) -> list[dict[str, float]]:
    """The footprint as stored: a list of ``{"ra", "dec"}`` documents, no nested arrays."""
    return [{"ra": float(ra), "dec": float(dec)} for ra, dec in map(footprint_pair, vertices)]


class SkySource(StrEnum):
    s_region = "s_region"  # the S_REGION keyword, or MAST's s_region column
    wcs = "wcs"  # the SCI extension's WCS and image size (the four pixel-edge corners)
    target = "target"  # TARG_RA/TARG_DEC (or MAST's s_ra/s_dec): a point


class SkyFootprint(CamelModel):
    ra: float = Field(ge=0, lt=360, description="centre, degrees (ICRS)")
    dec: float = Field(ge=-90, le=90, description="centre, degrees (ICRS)")
    radius: float = Field(
        default=0.0, ge=0, le=180, description="degrees from the centre to the farthest vertex"
    )
    footprint: list[tuple[float, float]] = Field(
        default_factory=list,
        max_length=MAX_FOOTPRINT_VERTICES,
        description="polygon vertices [[ra, dec], ...] in order (empty for a point)",
    )
    source: SkySource

    @field_validator("footprint", mode="before")
    @classmethod
    def _from_stored(cls, value: object) -> object:
        # Stored as [{"ra", "dec"}, ...]: some MongoDB-compatible servers (FerretDB 1.x)
        # refuse nested arrays. The API and Python keep [[ra, dec], ...].
        if isinstance(value, list):
            return [footprint_pair(v) for v in value]
        return value

    @field_validator("footprint")
    @classmethod
    def _vertices_on_the_sky(cls, value: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for ra, dec in value:
            if not (math.isfinite(ra) and math.isfinite(dec)) or not -90 <= dec <= 90:
                raise ValueError("footprint vertices must be finite (ra, dec) in degrees")
            if not 0 <= ra < 360:
                raise ValueError("footprint right ascensions must be in [0, 360)")
        if value and len(value) < 3:
            raise ValueError("a footprint polygon needs at least 3 vertices")
        return value
