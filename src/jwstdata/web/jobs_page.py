"""Jobs pages: your background jobs (``/jobs``) and one job's live progress (``/jobs/{id}``).

The job page's script polls ``GET /api/jobs/{id}`` every second and offers Cancel and
Resume (``POST /api/jobs/{id}/cancel|resume``). The state lives on the server, so reloading
the page shows the same progress. Each kind of job shows what it is about: a processing job
its algorithm, record, results and output files; a MAST import its observations and files.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from jwstdata.errors import NotFoundError
from jwstdata.http.deps import ServicesDep
from jwstdata.models import AccessContext, JwstDataModel, parse_object_id
from jwstdata.models.job import Job
from jwstdata.services.mast.importer import KIND as MAST_IMPORT
from jwstdata.services.processing_jobs import KIND as PROCESS
from jwstdata.web.pages import PageContextDep, PageRoute, SignedInDep, render
from jwstdata.web.results_view import parameters_text, result_view

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LIST_LIMIT = 100
MAX_OUTPUTS = 20
KIND_TITLES = {PROCESS: "Processing", MAST_IMPORT: "MAST import"}


def job_title(job: Job) -> str:
    if job.kind == PROCESS:
        return f"Processing: {job.params.get('algorithm') or 'algorithm'}"
    return KIND_TITLES.get(job.kind, job.kind)


def job_subject(job: Job, records: dict[Any, JwstDataModel]) -> dict[str, Any]:
    """What the job works on, for the list: a record (linked) or MAST observations."""
    if job.kind == PROCESS:
        record = records.get(job.record_id)
        return {
            "text": f"{job.params.get('algorithm', '')} on",
            "href": f"/records/{job.record_id}" if record else None,
            "link": record.file_name if record else "a record you cannot see",
        }
    if job.kind == MAST_IMPORT:
        obs = [str(o) for o in job.params.get("obsIds", [])]
        shown = ", ".join(obs[:3]) + (f" and {len(obs) - 3} more" if len(obs) > 3 else "")
        return {"text": f"MAST {shown}", "href": None, "link": None}
    return {"text": job.kind, "href": None, "link": None}


@router.get("/jobs")
def jobs_page(request: Request, svc: ServicesDep, _: SignedInDep, ctx: PageContextDep) -> Response:
    page = svc.jobs.list(ctx, limit=LIST_LIMIT)
    ids = {j.record_id for j in page.items if j.record_id is not None}
    records = {r.id: r for r in svc.records.get_many(list(ids), ctx)}
    rows = [
        {"job": j, "kind": KIND_TITLES.get(j.kind, j.kind), "subject": job_subject(j, records)}
        for j in page.items
    ]
    return render(request, "jobs.html", jobs=page.items, rows=rows)


def _outputs(svc: Any, job: Job, record: JwstDataModel, ctx: AccessContext) -> list[Any]:
    """The records the run stored (its output files), the job's reported output first."""
    query = {"parentId": record.id, "metadata.algorithm": job.params.get("algorithm")}
    found = svc.records.find_scoped(query, ctx, index="parent", limit=MAX_OUTPUTS)
    first = job.result.get("outputFilePath")
    return sorted(found, key=lambda r: (r.file_path != first, r.file_name))


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
    record = None
    if job.record_id is not None:
        found = svc.records.get_many([job.record_id], ctx)
        record = found[0] if found else None
    process = job.kind == PROCESS
    results = job.result.get("results") if process else None
    return render(
        request,
        "job.html",
        job=job,
        title=job_title(job),
        process=process,
        record=record,
        parameters=parameters_text(job.params.get("parameters")) if process else "",
        results=result_view(results) if process and job.finished else None,
        outputs=_outputs(svc, job, record, ctx) if process and record and job.finished else [],
    )
