"""Response models of the viewer routes (headers, tiles, overlays), for ``/openapi.json``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class HduSummary(BaseModel):
    index: int
    name: str
    version: int
    type: str
    shape: list[int] = Field(description="FITS axis order (NAXIS1 first)")
    cards: int


class HeaderCard(BaseModel):
    keyword: str
    value: Any = Field(description="The card's value with its FITS type (string, number, bool)")
    comment: str


class FitsHeader(BaseModel):
    hdu: HduSummary
    hdus: list[HduSummary]
    cards: list[HeaderCard]


class TileInfo(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    width: int
    height: int
    tileSize: int
    levels: int
    extension: str = Field(description="The image extension read (EXTNAME)")
    plane: list[int] = Field(description="Index of the 2-D plane shown, for cubes")
    unit: str
    wcs: dict[str, Any] | None = Field(description="The WCS header cards, or null")
    orientation: dict[str, Any] | None = Field(description="North/east directions, pixel scale")


class OverlaySource(BaseModel):
    x: float
    y: float
    ra: float | None = None
    dec: float | None = None
    flux: float | None = None


class SourceOverlay(BaseModel):
    catalog: str | None = Field(description="The id of the sources catalogue record, if any")
    sources: list[OverlaySource]
