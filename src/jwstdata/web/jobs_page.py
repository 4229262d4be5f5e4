"""Jobs pages: your background jobs (``/jobs``) and one job's live progress (``/jobs/{id}``).

The job page's script polls ``GET /api/jobs/{id}`` every second and offers Cancel and
Resume (``POST /api/jobs/{id}/cancel|resume``). The state lives on the server, so reloading
the page shows the same progress.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from jwstdata.errors import NotFoundError
from jwstdata.http.deps import ServicesDep
from jwstdata.models import parse_object_id
from jwstdata.web.pages import PageContextDep, PageRoute, SignedInDep, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIST_LIMIT = 100


@router.get("/jobs")
def jobs_page(request: Request, svc: ServicesDep, _: SignedInDep, ctx: PageContextDep) -> Response:
    page = svc.jobs.list(ctx, limit=LIST_LIMIT)
    return render(request, "jobs.html", jobs=page.items)


@router.get("/jobs/{job_id}")
def job_page(
    request: Request,
    svc: ServicesDep,
    _: SignedInDep,
    ctx: PageContextDep,
    job_id: Annotated[str, Path(max_length=64)],
) -> Response:
    oid = parse_object_id(job_id)
    if oid is None:
        raise NotFoundError(f"job {job_id} not found")
    job = svc.jobs.get(oid, ctx)
    return render(request, "job.html", job=job)
