"""FITS tools on one record: the full header of any HDU, and cutouts by sky position.

``GET /api/data/{id}/header?hdu=SCI``: every card of one HDU (``hdu`` is an index, an
EXTNAME or ``NAME,VER``; default the primary HDU) and the list of the file's HDUs.

``GET /api/data/{id}/cutout?ra=&dec=&size=``: the cutout as a FITS download, made now and not
stored; ``POST`` the same parameters to make it a derived record (a ``cutout`` processing
job, see :mod:`jwstdata.processing.cutout`).

Reads are access-checked with the caller's context like every other record read; the file
is read where it is stored (locally, or by ranged reads from S3), compressed or not.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response, status

from jwstdata.api.deps import ContextDep, RecordIdDep, ServicesDep, require_user
from jwstdata.api.viewer_schemas import FitsHeader
from jwstdata.models.job import Job
from jwstdata.processing.cutout import CutoutParams, SizeUnit
from jwstdata.services.cutouts import cutout_download
from jwstdata.services.fits_header import read_header
from jwstdata.services.processing_jobs import request_processing

router = APIRouter(prefix="/api/data", tags=["viewer"])


@router.get(
    "/{record_id}/header",
    summary="Every header card of one HDU, and the HDU list",
    response_model=FitsHeader,
)
def header(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    hdu: Annotated[
        str | None,
        Query(max_length=80, description="HDU index (0 = primary), EXTNAME, or NAME,VER"),
    ] = None,
) -> dict[str, Any]:
    record = svc.records.get(record_id, ctx)
    return read_header(svc.storage, record, hdu)


@router.get(
    "/{record_id}/cutout",
    summary="A cutout around RA/Dec as a FITS download (not stored)",
    response_class=Response,
    responses={200: {"content": {"application/fits": {}}}},
)
def cutout(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    ra: Annotated[float, Query(ge=0, lt=360, description="degrees")],
    dec: Annotated[float, Query(ge=-90, le=90, description="degrees")],
    size: Annotated[float, Query(gt=0, le=100_000, description="side, in `unit`")],
    height: Annotated[float | None, Query(gt=0, le=100_000)] = None,
    unit: SizeUnit = SizeUnit.arcsec,
) -> Response:
    record = svc.records.get(record_id, ctx)
    params = CutoutParams(ra=ra, dec=dec, size=size, height=height, unit=unit)
    name, content = cutout_download(svc, record, params)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type="application/fits", headers=headers)


@router.post(
    "/{record_id}/cutout",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_user)],
    summary="Queue a cutout that is stored as a derived record (a job)",
    response_model=Job,
)
def queue_cutout(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    body: Annotated[dict[str, Any], Body(examples=[{"ra": 151.7574, "dec": -40.4372, "size": 5}])],
) -> dict[str, Any]:
    record = svc.records.get(record_id, ctx)
    job = request_processing(
        svc.jobs,
        svc.records,
        record,
        "cutout",
        body,
        ctx,
        max_active=svc.settings.max_active_jobs_per_user,
    )
    return job.to_json()
