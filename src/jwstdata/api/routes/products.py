"""Products made from several records: colour composites and mosaics, run as jobs.

``POST /api/composites`` and ``POST /api/mosaics`` take ``{"recordIds": [...], "parameters":
{...}}``; every record must be visible to the caller. The answer is the queued job (202);
when it completes, its ``result.outputs`` lists the derived records (FITS first, then PNG).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from jwstdata.api.deps import ContextDep, ServicesDep, require_user
from jwstdata.models.job import Job
from jwstdata.services.imaging_jobs import COMPOSITE, MOSAIC, enqueue_product
from jwstdata.services.job_quota import submit_within_quota

router = APIRouter(prefix="/api", tags=["processing"], dependencies=[Depends(require_user)])


class ProductBody(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    record_ids: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=100)
    parameters: dict[str, Any] = Field(default_factory=dict)
    priority: int = Field(default=0, ge=-100, le=100)


def _queue(svc: Any, ctx: Any, kind: str, body: ProductBody) -> dict[str, Any]:
    job = submit_within_quota(
        svc.jobs,
        ctx,
        svc.settings.max_active_jobs_per_user,
        lambda: enqueue_product(
            svc.jobs,
            svc.records,
            ctx,
            kind,
            body.record_ids,
            body.parameters,
            priority=body.priority,
        ),
    )
    return job.to_json()


@router.post(
    "/composites",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a colour composite of 2-6 records (PNG and FITS cube)",
    response_model=Job,
)
def composites(
    svc: ServicesDep, ctx: ContextDep, body: Annotated[ProductBody, Body()]
) -> dict[str, Any]:
    return _queue(svc, ctx, COMPOSITE, body)


@router.post(
    "/mosaics",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a mosaic of overlapping records of one filter (FITS and preview)",
    response_model=Job,
)
def mosaics(
    svc: ServicesDep, ctx: ContextDep, body: Annotated[ProductBody, Body()]
) -> dict[str, Any]:
    return _queue(svc, ctx, MOSAIC, body)
