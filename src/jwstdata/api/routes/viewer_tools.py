"""The viewer's astronomer tools: coordinate grid, region statistics, catalogue overlay and
a second image aligned by WCS for blinking.

``GET /api/data/{id}/overlay/grid?x0=&y0=&x1=&y1=``: RA/Dec lines over the visible window.
``POST /api/data/{id}/region-stats``: statistics of the file's pixels in a circle or box.
``POST /api/data/{id}/overlay/catalog``: an ECSV table's positions as pixels of the image.
``GET /api/data/{id}/aligned?other=&x0=&y0=&x1=&y1=&z=``: the other record reprojected onto
this one's pixels over the window at zoom level ``z``, as float32 framed like a tile.

Pixel coordinates are 0-based with pixel centres on integers. Both records are read with
the caller's access context; the behaviour lives in the services.
"""

from __future__ import annotations

import json
import struct
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, Query, Response

from jwstdata.api.deps import ContextDep, RecordIdDep, ServicesDep
from jwstdata.api.tile_sources import tile_source
from jwstdata.api.viewer_schemas import (
    BoxRegionIn,
    CatalogueIn,
    CatalogueOverlay,
    CircleRegionIn,
    CoordinateGrid,
    RegionIn,
    RegionStats,
)
from jwstdata.errors import NotFoundError, ValidationError
from jwstdata.models import parse_object_id
from jwstdata.services.align import PixelWindow, aligned_window
from jwstdata.services.image_wcs import image_wcs
from jwstdata.services.overlays import catalogue_overlay
from jwstdata.services.regions import BoxRegion, CircleRegion, region_stats
from jwstdata.services.wcs_grid import Window, coordinate_grid

router = APIRouter(prefix="/api/data", tags=["viewer"])
ALIGNED_MEDIA_TYPE = "application/vnd.jwstdata.pixels"
Coordinate = Annotated[float, Query(ge=-1e7, le=1e7, allow_inf_nan=False)]
Edge = Annotated[int, Query(ge=-10_000_000, le=10_000_000)]


@router.get(
    "/{record_id}/overlay/grid",
    summary="RA/Dec grid lines over a window of the image, in pixel coordinates",
    response_model=CoordinateGrid,
)
def grid(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    x0: Coordinate,
    y0: Coordinate,
    x1: Coordinate,
    y1: Coordinate,
    lines: Annotated[int, Query(ge=2, le=12, description="about this many lines a side")] = 6,
) -> dict[str, Any]:
    if x1 <= x0 or y1 <= y0:
        raise ValidationError(
            "the window needs x1 > x0 and y1 > y0",
            details=[{"field": "x0/y0/x1/y1", "message": "empty window"}],
        )
    source = tile_source(svc, svc.records.get(record_id, ctx))
    return coordinate_grid(image_wcs(source.header), Window(x0, y0, x1, y1), lines)


@router.post(
    "/{record_id}/region-stats",
    summary="Statistics of the image's pixels inside a circle or a box",
    response_model=RegionStats,
)
def region_statistics(
    svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep, region: Annotated[RegionIn, Body()]
) -> dict[str, Any]:
    source = tile_source(svc, svc.records.get(record_id, ctx))
    shape: CircleRegion | BoxRegion
    if isinstance(region, CircleRegionIn):
        shape = CircleRegion(region.x, region.y, region.radius)
    else:
        assert isinstance(region, BoxRegionIn)
        shape = BoxRegion(region.x0, region.y0, region.x1, region.y1)
    return region_stats(source, shape, svc.settings.viewer_max_region_pixels)


@router.post(
    "/{record_id}/overlay/catalog",
    summary="Positions of an ECSV catalogue (RA/Dec columns) as pixels of the image",
    response_model=CatalogueOverlay,
)
def catalogue(
    svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep, body: CatalogueIn
) -> dict[str, Any]:
    source = tile_source(svc, svc.records.get(record_id, ctx))
    return catalogue_overlay(image_wcs(source.header), source.shape, body.ecsv)


@router.get(
    "/{record_id}/aligned",
    summary="Another record reprojected onto this image's pixels over a window, as float32",
    response_class=Response,
    responses={200: {"content": {ALIGNED_MEDIA_TYPE: {}}}},
)
def aligned(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    other: Annotated[str, Query(max_length=64, description="The record to align onto this one")],
    x0: Edge,
    y0: Edge,
    x1: Edge,
    y1: Edge,
    z: Annotated[
        int, Query(ge=0, le=30, description="zoom level: 2**z pixels a side per value")
    ] = 0,
) -> Response:
    first = tile_source(svc, svc.records.get(record_id, ctx))
    other_id = parse_object_id(other)
    if other_id is None:
        raise NotFoundError(f"record {other} not found")
    second = tile_source(svc, svc.records.get(other_id, ctx))
    window = PixelWindow(x0, y0, x1, y1, 2**z)
    data, meta = aligned_window(first, second, window, svc.settings.viewer_max_window_pixels)
    header = json.dumps(meta, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 4)
    body = struct.pack("<I", len(header)) + header + np.ascontiguousarray(data, "<f4").tobytes()
    return Response(
        body, media_type=ALIGNED_MEDIA_TYPE, headers={"Cache-Control": "private, no-cache"}
    )
