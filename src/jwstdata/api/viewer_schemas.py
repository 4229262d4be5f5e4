"""Request and response models of the viewer routes (headers, tiles, overlays, regions),
for ``/openapi.json``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

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


# --- viewer tools: coordinate grid, region statistics, catalogue overlay --------------


class GridLine(BaseModel):
    axis: Literal["ra", "dec"] = Field(description="ra: a line of constant RA; dec: of Dec")
    value: float = Field(description="The line's RA or Dec, degrees")
    label: str = Field(description="Sexagesimal label (degrees for non-equatorial frames)")
    segments: list[list[tuple[float, float]]] = Field(
        description="Polylines of 0-based pixel coordinates (x, y); pixel centres on integers"
    )
    anchor: tuple[float, float] | None = Field(
        description="Where the label goes: the line's point in the window nearest its edge"
    )


class CoordinateGrid(BaseModel):
    equatorial: bool
    raStep: float | None = Field(description="Degrees between RA lines")
    decStep: float | None = Field(description="Degrees between Dec lines")
    lines: list[GridLine]


class CircleRegionIn(BaseModel):
    """A circle in 0-based pixel coordinates (pixel centres on integers)."""

    model_config = ConfigDict(extra="forbid")

    shape: Literal["circle"]
    x: float = Field(allow_inf_nan=False)
    y: float = Field(allow_inf_nan=False)
    radius: float = Field(gt=0, allow_inf_nan=False)


class BoxRegionIn(BaseModel):
    """A box between two corners, 0-based pixel coordinates (pixel centres on integers)."""

    model_config = ConfigDict(extra="forbid")

    shape: Literal["box"]
    x0: float = Field(allow_inf_nan=False)
    y0: float = Field(allow_inf_nan=False)
    x1: float = Field(allow_inf_nan=False)
    y1: float = Field(allow_inf_nan=False)


RegionIn = Annotated[CircleRegionIn | BoxRegionIn, Field(discriminator="shape")]


class PixelPoint(BaseModel):
    x: float
    y: float


class RegionSky(BaseModel):
    ra: float
    dec: float
    pixelScale: float = Field(description="Arcseconds per pixel")


class RegionStats(BaseModel):
    pixels: int = Field(description="Pixels whose centre is in the region")
    finite: int = Field(description="Of those, pixels with a finite value")
    sum: float | None
    mean: float | None
    median: float | None
    std: float | None = Field(description="Population standard deviation (ddof 0)")
    min: float | None
    max: float | None
    unit: str = Field(description="BUNIT of the image")
    extension: str
    plane: list[int]
    centre: PixelPoint
    sky: RegionSky | None = Field(description="The centre on the sky, if the image has a WCS")


class CatalogueIn(BaseModel):
    ecsv: str = Field(
        min_length=1,
        max_length=1024 * 1024,
        description="An ECSV table (the request body is limited to 1 MiB)",
    )


class CataloguePoint(BaseModel):
    x: float
    y: float
    ra: float | None
    dec: float | None
    label: str | None
    inside: bool = Field(description="Whether the position falls on the image")


class CatalogueOverlay(BaseModel):
    rows: int = Field(description="Rows in the table")
    shown: int = Field(description="Positions returned (first rows, with a pixel position)")
    inside: int = Field(description="Of those, positions on the image")
    raColumn: str
    decColumn: str
    labelColumn: str | None
    points: list[CataloguePoint]
