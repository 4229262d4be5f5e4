"""Pixel and spectrum data for the browser viewers, read straight from the FITS file.

``GET /api/data/{id}/pixels?max=512``: the science image (the ``SCI`` extension, else the
first image HDU; the middle plane of a cube, the last group of the first integration of a
ramp) block-averaged down to at most ``max`` pixels a side, as little-endian float32. The
body is framed so one request carries everything::

    uint32 LE  N            length of the JSON header
    N bytes    JSON         {"width", "height", "factor", "sourceWidth", "sourceHeight",
                             "extension", "plane", "unit", "wcs"}, space-padded to 4 bytes
    float32 LE data         width * height values, row 0 = FITS row 1 (NaN where no data)

``wcs`` holds the celestial keywords (CTYPE, CRPIX, CRVAL, CD or PC+CDELT, SIP ``A_p_q`` and
``B_p_q``) of a TAN projection, so the page computes RA/Dec under the cursor itself, with
no request per mouse move; it is null for anything else.

``GET /api/data/{id}/spectrum?max=4000``: wavelength and flux of the first ``EXTRACT1D``
table as JSON, bin-averaged to at most ``max`` points.

The reading is :mod:`jwstdata.services.viewer_data`; access is checked with the caller's
context like every other record read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import JSONResponse

from jwstdata.api.deps import ContextDep, RecordIdDep, ServicesDep
from jwstdata.api.schemas import Spectrum
from jwstdata.models import JwstDataModel
from jwstdata.services.pixel_window import PIXELS_MEDIA_TYPE, framed
from jwstdata.services.viewer_data import downsampled_image, read_spectrum

router = APIRouter(prefix="/api/data", tags=["viewer"])
MAX_SIDE = 2048
MAX_SPECTRUM_POINTS = 20000


def _etag(record: JwstDataModel, kind: str, size: int) -> str:
    return f'"{kind}-{size}-{record.checksum or record.version}"'


@router.get(
    "/{record_id}/pixels",
    summary="The science image, downsampled, as float32 (for the browser viewer)",
    response_class=Response,
    responses={200: {"content": {PIXELS_MEDIA_TYPE: {}}}},
)
def pixels(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    max_side: Annotated[int, Query(alias="max", ge=16, le=MAX_SIDE)] = 512,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Response:
    record = svc.records.get(record_id, ctx)
    etag = _etag(record, "pixels", max_side)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if if_none_match == etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    meta, data = downsampled_image(svc.storage, svc.settings, record, max_side)
    return Response(framed(meta, data), media_type=PIXELS_MEDIA_TYPE, headers=headers)


@router.get(
    "/{record_id}/spectrum",
    summary="Wavelength and flux of a 1-D spectrum (JSON)",
    responses={200: {"model": Spectrum}},
)
def spectrum(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    max_points: Annotated[int, Query(alias="max", ge=16, le=MAX_SPECTRUM_POINTS)] = 4000,
) -> JSONResponse:
    record = svc.records.get(record_id, ctx)
    body = read_spectrum(svc.storage, svc.settings, record, max_points)
    return JSONResponse(body, headers={"Cache-Control": "private, no-cache"})
