"""FITS tools on one record: the full header of any HDU, and cutouts by sky position.

``GET /api/data/{id}/header?hdu=SCI``: every card of one HDU (``hdu`` is an index, an
EXTNAME or ``NAME,VER``; default the primary HDU) and the list of the file's HDUs.

Reads are access-checked with the caller's context like every other record read; the file
is read where it is stored (locally, or by ranged reads from S3), compressed or not.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from jwstdata.api.deps import ContextDep, RecordIdDep, ServicesDep
from jwstdata.services.fits_header import read_header

router = APIRouter(prefix="/api/data", tags=["viewer"])


@router.get("/{record_id}/header", summary="Every header card of one HDU, and the HDU list")
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
