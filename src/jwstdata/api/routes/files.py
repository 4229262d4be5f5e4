"""Uploading files and downloading them (streamed, with ``Range`` and ``ETag``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    HTTPException,
    Query,
    UploadFile,
    status,
)
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from jwstdata.api.deps import ContextDep, RecordIdDep, ServicesDep, require_user
from jwstdata.api.params import FormBool
from jwstdata.errors import NotFoundError
from jwstdata.keys import safe_file_name
from jwstdata.services.processing_jobs import queue_auto_previews

router = APIRouter(prefix="/api/data", tags=["files"])
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 1024 * 1024
DUPLICATE_HEADER = "X-Duplicate-Of"
_MEDIA_TYPES = {
    "fits": "application/fits",
    "fits.gz": "application/gzip",
    "png": "image/png",
    "jpg": "image/jpeg",
    "tiff": "image/tiff",
    "csv": "text/csv",
    "ecsv": "text/plain",
    "json": "application/json",
    "asdf": "application/octet-stream",
}


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a file (multipart)",
    description=(
        "201 with the new record. The same content (sha256) uploaded again by the same user "
        f"is not stored twice: 200 with the existing record and the `{DUPLICATE_HEADER}` "
        "header holding its id."
    ),
    responses={200: {"description": "Already uploaded by this user: the existing record"}},
    dependencies=[Depends(require_user)],
)
def upload(
    svc: ServicesDep,
    ctx: ContextDep,
    response: Response,
    file: Annotated[
        UploadFile, File(description="FITS, FITS.gz, JPG, PNG, TIFF, CSV, ECSV, JSON, ASDF")
    ],
    tags: Annotated[str, Form(max_length=2048, description="comma-separated")] = "",
    description: Annotated[str | None, Form(max_length=4096)] = None,
    is_public: Annotated[FormBool, Form(alias="isPublic")] = False,
) -> dict[str, Any]:
    result = svc.uploads.upload(
        file.file,
        file.filename or "upload",
        ctx,
        tags=[t.strip() for t in tags.split(",") if t.strip()],
        description=description,
        is_public=is_public,
    )
    record = result.record
    if not result.created:
        response.status_code = status.HTTP_200_OK
        response.headers[DUPLICATE_HEADER] = str(record.id)
    elif svc.settings.auto_preview and queue_auto_previews(
        svc.jobs, svc.records, [record.object_id]
    ):
        record = svc.records.get(record.object_id, ctx)  # now pending: its preview is queued
    return record.to_json()


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range as inclusive (start, end); None when unsatisfiable."""
    match = _RANGE.match(header.strip())
    if not match or (not match[1] and not match[2]):
        return None
    if match[1]:
        start = int(match[1])
        end = min(int(match[2]), size - 1) if match[2] else size - 1
    else:  # suffix range: the last N bytes
        length = int(match[2])
        if length == 0:
            return None
        start, end = max(0, size - length), size - 1
    return (start, end) if start <= end and start < size else None


def _disposition(name: str) -> str:
    ascii_name = safe_file_name(name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get(
    "/{record_id}/file",
    summary="Download the record's file (Range, ETag)",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        206: {"content": {"application/octet-stream": {}}, "description": "The asked range"},
    },
)
def download(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
    redirect: Annotated[bool, Query(description="S3: redirect to a short-lived URL")] = False,
) -> Response:
    record = svc.records.get(record_id, ctx)
    if not record.file_path:
        raise NotFoundError(f"record {record_id} has no file")
    etag = f'"{record.checksum}"' if record.checksum else f'"v{record.version}"'
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    if redirect and (url := svc.storage.presigned_url(record.file_path, expires=300)):
        return RedirectResponse(url, status_code=status.HTTP_307_TEMPORARY_REDIRECT)
    size = svc.storage.size(record.file_path)
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": _disposition(record.file_name),
        "Cache-Control": "private, max-age=0",
    }
    media_type = _MEDIA_TYPES.get(record.file_format or "", "application/octet-stream")
    start, end, code = 0, size - 1, status.HTTP_200_OK
    if range_header:
        wanted = _parse_range(range_header, size)
        if wanted is None:
            raise HTTPException(
                status_code=status.HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE,
                detail=f"range {range_header[:100]!r} not satisfiable for {size} bytes",
                headers={"Content-Range": f"bytes */{size}"},
            )
        start, end = wanted
        code = status.HTTP_206_PARTIAL_CONTENT
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1 if size else 0)
    stream = svc.storage.open_read(
        record.file_path, start=start if size else None, end=end if size else None
    )

    def body() -> Iterator[bytes]:
        with stream:
            while chunk := stream.read(_CHUNK):
                yield chunk

    return StreamingResponse(body(), status_code=code, headers=headers, media_type=media_type)
