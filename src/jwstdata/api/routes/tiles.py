"""The full-resolution viewer's data: tiles of any zoom level, orientation, source overlay.

``GET /api/data/{id}/tiles``: size, levels, tile size, WCS, pixel scale and north/east.
``GET /api/data/{id}/tile?z=&x=&y=``: one tile as float32, framed like ``/pixels`` (a uint32
JSON length, the JSON ``{"width", "height", "z", "x", "y", "factor"}`` padded to 4 bytes,
then the values, row 0 = the tile's lowest FITS row).
``GET /api/data/{id}/overlay/sources``: the record's detected sources, if it has a catalogue.

Every read is access-checked with the caller's context, like every other record read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from jwstdata.api.deps import ContextDep, RecordIdDep, ServicesDep
from jwstdata.api.tile_sources import tile_source
from jwstdata.api.viewer_schemas import SourceOverlay, TileInfo
from jwstdata.models import JwstDataModel
from jwstdata.services.pixel_window import PIXELS_MEDIA_TYPE, framed
from jwstdata.services.sky_info import source_overlay, tile_info
from jwstdata.services.tiles import tile

router = APIRouter(prefix="/api/data", tags=["viewer"])


def _etag(record: JwstDataModel, *parts: int) -> str:
    return f'"tile-{"-".join(map(str, parts))}-{record.checksum or record.version}"'


@router.get(
    "/{record_id}/tiles",
    summary="Tile pyramid, WCS and orientation of the image",
    response_model=TileInfo,
)
def tiles(svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep) -> dict[str, Any]:
    record = svc.records.get(record_id, ctx)
    return tile_info(tile_source(svc, record))


@router.get(
    "/{record_id}/tile",
    summary="One tile of the image at a zoom level, as float32",
    response_class=Response,
    responses={200: {"content": {PIXELS_MEDIA_TYPE: {}}}},
)
def one_tile(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    z: Annotated[int, Query(ge=0, le=30, description="level: the image reduced 2**z times")],
    x: Annotated[int, Query(ge=0, le=1_000_000)],
    y: Annotated[int, Query(ge=0, le=1_000_000, description="0: the bottom row of tiles")],
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    record = svc.records.get(record_id, ctx)
    etag = _etag(record, z, x, y)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if if_none_match == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    data = tile(tile_source(svc, record), z, x, y)
    meta = {"width": data.shape[1], "height": data.shape[0], "z": z, "x": x, "y": y, "factor": 2**z}
    return Response(framed(meta, data), media_type=PIXELS_MEDIA_TYPE, headers=headers)


@router.get(
    "/{record_id}/overlay/sources",
    summary="Detected sources to draw over the image",
    response_model=SourceOverlay,
)
def sources(svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep) -> dict[str, Any]:
    record = svc.records.get(record_id, ctx)
    return source_overlay(svc.records, svc.storage, record, ctx)
