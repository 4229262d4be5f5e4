"""Actions on the record page: plain form posts (they work without JavaScript).

Owners edit, share, archive and delete; any signed-in reader may queue processing (Run),
exactly as ``POST /api/data/{id}/process`` allows.

Each one calls the same :class:`RecordService` method as the API with the same context, so
the service decides who may do what; a refusal or a conflict is shown on the record page
with the user's input kept. Success redirects (POST, redirect, GET) with a notice.
"""

from __future__ import annotations

from typing import Annotated

from bson import ObjectId
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jwstdata.errors import JwstDataError, ValidationError
from jwstdata.http.deps import RecordIdDep, ServicesDep
from jwstdata.services.processing_jobs import request_processing
from jwstdata.web.pages import CheckedFormDep, PageContextDep, PageRoute, SignedInDep, render
from jwstdata.web.record_page import record_view

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _done(record_id: ObjectId, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/records/{record_id}?notice={notice}", status_code=303)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.replace(";", ",").split(",") if n.strip()]


@router.post("/records/{record_id}/edit")
def edit(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    _: CheckedFormDep,
    record_id: RecordIdDep,
    tags: Annotated[str, Form(max_length=4096)] = "",
    description: Annotated[str, Form(max_length=4096)] = "",
    is_public: Annotated[bool, Form(alias="isPublic")] = False,
    version: Annotated[int | None, Form()] = None,
) -> Response:
    changes = {
        "tags": _names(tags),
        "description": description.strip() or None,
        "isPublic": is_public,
    }
    try:
        current = svc.records.get(record_id, ctx)
        if current.is_public == is_public:
            del changes["isPublic"]  # unchanged: MAST imports stay editable by owners
        svc.record_service.update(record_id, changes, ctx, version)
    except JwstDataError as exc:
        form = {"tags": tags, "description": description}
        return record_view(
            request, svc, ctx, record_id, status_code=exc.http_status, error=exc.message, form=form
        )
    return _done(record_id, "saved")


@router.post("/records/{record_id}/share")
def share(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    _: CheckedFormDep,
    record_id: RecordIdDep,
    usernames: Annotated[str, Form(max_length=4096)] = "",
) -> Response:
    names = _names(usernames)
    try:
        if not names:
            raise ValidationError("enter one or more user names to share with")
        svc.record_service.share(record_id, names, ctx)
    except JwstDataError as exc:
        return record_view(
            request,
            svc,
            ctx,
            record_id,
            status_code=exc.http_status,
            error=exc.message,
            form={"usernames": usernames},
        )
    return _done(record_id, "shared")


@router.post("/records/{record_id}/unshare")
def unshare(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    _: CheckedFormDep,
    record_id: RecordIdDep,
    username: Annotated[str, Form(max_length=64)],
) -> Response:
    try:
        svc.record_service.unshare(record_id, [username], ctx)
    except JwstDataError as exc:
        return record_view(
            request, svc, ctx, record_id, status_code=exc.http_status, error=exc.message
        )
    return _done(record_id, "unshared")


@router.post("/records/{record_id}/archive")
def archive(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    _: CheckedFormDep,
    record_id: RecordIdDep,
    archived: Annotated[bool, Form()] = True,
) -> Response:
    try:
        archiver = svc.archive
        if archived:
            archiver.archive_record(record_id, ctx)
        else:
            archiver.unarchive_record(record_id, ctx)
    except JwstDataError as exc:
        return record_view(
            request, svc, ctx, record_id, status_code=exc.http_status, error=exc.message
        )
    return _done(record_id, "archived" if archived else "unarchived")


@router.get("/records/{record_id}/delete")
def confirm_delete(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    _: SignedInDep,
    record_id: RecordIdDep,
) -> Response:
    """The confirmation step (the page's script offers the same question in a dialog)."""
    record = svc.records.get(record_id, ctx)
    return render(request, "confirm_delete.html", record=record)


@router.post("/records/{record_id}/delete")
def delete(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    _: CheckedFormDep,
    record_id: RecordIdDep,
    confirm: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    if confirm != "yes":
        return RedirectResponse(f"/records/{record_id}/delete", status_code=303)
    try:
        record = svc.record_service.delete(record_id, ctx)
    except JwstDataError as exc:
        return record_view(
            request, svc, ctx, record_id, status_code=exc.http_status, error=exc.message
        )
    return render(request, "deleted.html", file_name=record.file_name)


@router.post("/records/{record_id}/process")
def run_processing(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    _: CheckedFormDep,
    record_id: RecordIdDep,
    algorithm: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Queue an algorithm run with its default parameters, then follow the job."""
    try:
        record = svc.records.get(record_id, ctx)
        if not record.file_path:
            raise ValidationError("this record has no file to process")
        if not algorithm:
            raise ValidationError("choose an algorithm to run")
        job = request_processing(
            svc.jobs,
            svc.records,
            record,
            algorithm,
            {},
            ctx,
            max_active=svc.settings.max_active_jobs_per_user,
            priority=10,
        )
    except JwstDataError as exc:
        return record_view(
            request, svc, ctx, record_id, status_code=exc.http_status, error=exc.message
        )
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
