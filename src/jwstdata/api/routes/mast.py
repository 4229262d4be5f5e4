"""``/api/mast``: search MAST, list an observation's products, start imports (signed-in users)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from jwstdata.api.deps import ContextDep, ServicesDep, require_user
from jwstdata.errors import pydantic_to_validation_error
from jwstdata.mast import ObservationQuery, ProductFilter
from jwstdata.models import ProcessingLevel
from jwstdata.models.job import Job
from jwstdata.services.job_quota import submit_within_quota
from jwstdata.services.mast.importer import KIND, ImportRequest

router = APIRouter(prefix="/api/mast", tags=["mast"])


class MastSearchBody(BaseModel):
    target: str | None = Field(default=None, max_length=200)
    ra: float | None = Field(default=None, ge=0, lt=360)
    dec: float | None = Field(default=None, ge=-90, le=90)
    radius: float = Field(default=0.05, gt=0, le=10, description="degrees")
    obs_ids: list[str] = Field(default_factory=list, alias="obsIds", max_length=200)
    programs: list[str] = Field(default_factory=list, max_length=50)
    instruments: list[str] = Field(default_factory=list, max_length=10)
    filters: list[str] = Field(default_factory=list, max_length=50)
    calib_levels: list[int] = Field(default_factory=list, alias="calibLevels", max_length=5)
    product_types: list[str] = Field(default_factory=list, alias="productTypes", max_length=10)
    date_from: datetime | None = Field(default=None, alias="dateFrom")
    date_to: datetime | None = Field(default=None, alias="dateTo")
    public_only: bool = Field(default=False, alias="publicOnly")
    limit: int = Field(default=500, ge=1, le=5000)


class ImportBody(BaseModel):
    obs_ids: list[str] = Field(alias="obsIds", min_length=1, max_length=100)
    levels: list[ProcessingLevel] = Field(default_factory=list)
    suffixes: list[str] = Field(default_factory=list, max_length=50)
    min_recommended: bool = Field(default=False, alias="minRecommended")
    priority: int = Field(default=0, ge=-100, le=100)


@router.post("/search", summary="Search MAST observations")
def search(svc: ServicesDep, body: MastSearchBody) -> dict[str, Any]:
    try:
        query = ObservationQuery(
            target=body.target,
            ra=body.ra,
            dec=body.dec,
            radius=body.radius,
            obs_ids=tuple(body.obs_ids),
            programs=tuple(body.programs),
            instruments=tuple(body.instruments),
            filters=tuple(body.filters),
            calib_levels=tuple(body.calib_levels),
            product_types=tuple(body.product_types),
            date_from=body.date_from,
            date_to=body.date_to,
            public_only=body.public_only,
        )
    except PydanticValidationError as exc:
        raise pydantic_to_validation_error(exc) from None
    rows = svc.mast.search.observations(query)
    return {"count": len(rows), "items": [r.to_row() for r in rows[: body.limit]]}


@router.get("/observations/{obs_id}/products", summary="An observation's products, filtered")
def products(
    svc: ServicesDep,
    obs_id: str,
    level: Annotated[list[ProcessingLevel], Query()] = [],  # noqa: B006
    suffix: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006
    include_auxiliary: Annotated[bool, Query(alias="includeAuxiliary")] = False,
    include_previews: Annotated[bool, Query(alias="includePreviews")] = False,
    min_recommended: Annotated[bool, Query(alias="minRecommended")] = False,
) -> dict[str, Any]:
    spec = ProductFilter(
        levels=tuple(level),
        suffixes=tuple(suffix),
        include_auxiliary=include_auxiliary,
        include_previews=include_previews,
        min_recommended=min_recommended,
    )
    rows = svc.mast.products.for_observations([obs_id], spec)
    return {"count": len(rows), "items": [r.to_row() for r in rows]}


@router.post(
    "/import",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_user)],
    summary="Start an import job (a worker runs it)",
)
def start_import(svc: ServicesDep, ctx: ContextDep, body: ImportBody) -> Job:
    request = ImportRequest(
        obs_ids=tuple(body.obs_ids),
        levels=tuple(body.levels),
        suffixes=tuple(s.lower() for s in body.suffixes),
        min_recommended=body.min_recommended,
    )
    job = submit_within_quota(
        svc.jobs,
        ctx,
        svc.settings.max_active_jobs_per_user,
        lambda: svc.jobs.enqueue(
            KIND,
            request.to_params(),
            user_id=ctx.user_id,
            user_requested=True,
            record_id=None,
            priority=body.priority,
        ),
    )
    return job
