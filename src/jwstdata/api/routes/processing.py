"""Processing over HTTP: algorithms, runs as jobs, results, previews and thumbnails.

Anyone signed in who can read a record may have it processed; only those who may write it
add results to it. A writer's run stores its outputs as records of the source's owner,
exactly as visible as the source (and following it); a reader's run stores them as the
reader's own private records and leaves the source untouched. Runs count against the
per-user active job quota. Previews and thumbnails are made by the system on first request
when missing, as the source's own (the same the automatic preview job makes).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, status
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from jwstdata.api.deps import ContextDep, RecordIdDep, ServicesDep, require_user
from jwstdata.errors import NotFoundError, ValidationError
from jwstdata.inflate import InflateLimits
from jwstdata.models import AccessContext, JwstDataModel, ProcessingResult
from jwstdata.models.job import Job
from jwstdata.processing.registry import list_algorithms
from jwstdata.services.processing_jobs import request_processing
from jwstdata.services.processing_run import run_algorithm

router = APIRouter(tags=["processing"])


class ProcessBody(BaseModel):
    algorithm: str = Field(min_length=1, max_length=64, examples=["statistics"])
    parameters: dict[str, Any] = Field(default_factory=dict)
    priority: int = Field(default=0, ge=-100, le=100)


@router.get("/api/algorithms", summary="Algorithms with versions and parameter schemas")
def algorithms() -> list[dict[str, Any]]:
    return list_algorithms()


@router.post(
    "/api/data/{record_id}/process",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(require_user)],
    summary="Queue an algorithm run (a job)",
)
def process(
    svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep, body: Annotated[ProcessBody, Body()]
) -> Job:
    record = svc.records.get(record_id, ctx)
    if not record.file_path:
        raise ValidationError("this record has no file to process")
    job = request_processing(
        svc.jobs,
        svc.records,
        record,
        body.algorithm,
        body.parameters,
        ctx,
        max_active=svc.settings.max_active_jobs_per_user,
        priority=body.priority,
    )
    return job


@router.get("/api/data/{record_id}/results", summary="The record's processing results")
def results(svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep) -> list[ProcessingResult]:
    return svc.records.get(record_id, ctx).processing_results


def _derived(
    svc: Any, record: JwstDataModel, role: str, ctx: AccessContext
) -> JwstDataModel | None:
    query = {"parentId": record.id, "metadata.algorithm": "preview", "metadata.role": role}
    found = svc.records.find_scoped(query, ctx, index="parent", limit=1)
    return found[0] if found else None


def _image(svc: Any, ctx: AccessContext, record_id: Any, role: str) -> StreamingResponse:
    record = svc.records.get(record_id, ctx)
    output = _derived(svc, record, role, ctx)
    if output is None:
        if not record.is_viewable or not record.file_path:
            raise NotFoundError(f"record {record_id} has no {role}")
        result = run_algorithm(
            record,
            "preview",
            {},
            svc.storage,
            svc.records,
            max_pixels=svc.settings.processing_max_pixels,
            inflate=InflateLimits.of(svc.settings),
        )
        if result.status.value != "completed":
            raise ValidationError(f"cannot make a {role}: {result.error_message}")
        output = _derived(svc, record, role, ctx)
        if output is None:
            raise NotFoundError(f"record {record_id} has no {role}")
    stream = svc.storage.open_read(output.file_path)

    def body():
        with stream:
            while chunk := stream.read(1024 * 1024):
                yield chunk

    headers = {"ETag": f'"{output.checksum}"', "Cache-Control": "private, max-age=300"}
    return StreamingResponse(body(), media_type="image/png", headers=headers)


@router.get(
    "/api/data/{record_id}/preview",
    summary="PNG preview (made on first request)",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The PNG"}},
)
def preview(svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep) -> StreamingResponse:
    return _image(svc, ctx, record_id, "preview")


@router.get(
    "/api/data/{record_id}/thumbnail",
    summary="256-px PNG thumbnail (made on first request)",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The PNG"}},
)
def thumbnail(svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep) -> StreamingResponse:
    return _image(svc, ctx, record_id, "thumbnail")
