"""``/api/jobs``: background jobs (MAST imports, processing). Users see their own jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from jwstdata.api.deps import ContextDep, ServicesDep, require_user
from jwstdata.api.schemas import JobPage
from jwstdata.errors import NotFoundError
from jwstdata.models import parse_object_id
from jwstdata.models.job import Job, JobState
from jwstdata.services.job_quota import check_quota

router = APIRouter(prefix="/api/jobs", tags=["jobs"], dependencies=[Depends(require_user)])


def _job_id(job_id: str):
    oid = parse_object_id(job_id)
    if oid is None:
        raise NotFoundError(f"job {job_id} not found")
    return oid


@router.get("", summary="Your jobs (admins: all), newest first")
def list_jobs(
    svc: ServicesDep,
    ctx: ContextDep,
    state: JobState | None = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> JobPage:
    page = svc.jobs.list(ctx, state=state, kind=kind, limit=limit, cursor=cursor)
    return JobPage(items=page.items, next_cursor=page.next_cursor)


@router.get("/{job_id}", summary="One job with its progress and log tail")
def get_job(svc: ServicesDep, ctx: ContextDep, job_id: str) -> Job:
    return svc.jobs.get(_job_id(job_id), ctx)


@router.post("/{job_id}/cancel", summary="Cancel (a running job stops at its next step)")
def cancel_job(svc: ServicesDep, ctx: ContextDep, job_id: str) -> Job:
    return svc.jobs.request_cancel(_job_id(job_id), ctx)


@router.post("/{job_id}/resume", summary="Queue a failed or cancelled job again (keeps progress)")
def resume_job(svc: ServicesDep, ctx: ContextDep, job_id: str) -> Job:
    oid = _job_id(job_id)
    svc.jobs.get(oid, ctx)  # someone else's job is not found, before any quota message
    check_quota(svc.jobs, ctx, svc.settings.max_active_jobs_per_user)
    return svc.jobs.resume(oid, ctx)
