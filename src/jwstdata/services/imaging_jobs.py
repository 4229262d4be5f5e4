"""Colour composites and mosaics as jobs: queued with the caller's access, run by workers.

A request names its input records; each is read with the caller's access context when it is
queued (a record the caller cannot see is a 404, as everywhere), so the worker may read them
with full rights later. The outputs are records of their own, owned by the caller (the first
input's owner when queued from the command line), private, with ``derivedFrom`` listing
every input and ``parentId`` the first; their storage key holds a hash of (kind, inputs,
parameters), so running the same request again replaces its outputs instead of adding more.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from bson import ObjectId
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from jwstdata.db.jobs import JobRepository
from jwstdata.db.records import RecordRepository
from jwstdata.errors import NotFoundError, ValidationError
from jwstdata.keys import derived_key, safe_file_name
from jwstdata.models import (
    AccessContext,
    DataType,
    ImageMetadata,
    JwstDataModel,
    ProcessingLevel,
    ProcessingStatus,
    parse_object_id,
)
from jwstdata.models.job import Job
from jwstdata.naming import parse_name
from jwstdata.processing.composite import CompositeParams, MosaicParams, Product, composite, mosaic
from jwstdata.processing.registry import IMAGE_INPUT, ProcessingError
from jwstdata.processing.reprojection import SkyImage, read_image, wcs_summary
from jwstdata.services.jobs.context import JobContext
from jwstdata.services.jobs.registry import JobFailed, job_handler
from jwstdata.services.processing_outputs import _upsert as upsert_record
from jwstdata.services.stored_fits import local_file
from jwstdata.storage import StorageProvider

COMPOSITE = "composite"
MOSAIC = "mosaic"
VERSION = "1.0"
LIMITS = {COMPOSITE: (2, 6), MOSAIC: (2, 100)}
PARAMS: dict[str, type[BaseModel]] = {COMPOSITE: CompositeParams, MOSAIC: MosaicParams}
_ADMIN = AccessContext.admin()  # the worker acts for the requester, checked when queued


def _parse(kind: str, raw: dict[str, Any] | None) -> BaseModel:
    try:
        return PARAMS[kind].model_validate(raw or {})
    except PydanticValidationError as exc:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or "parameters", "message": e["msg"]}
            for e in exc.errors()
        ]
        raise ValidationError.from_fields(problems) from None


def _filter_of(record: JwstDataModel) -> str | None:
    return record.image_info.filter if record.image_info is not None else None


def check_inputs(kind: str, records: list[JwstDataModel], params: BaseModel) -> None:
    low, high = LIMITS[kind]
    if not low <= len(records) <= high:
        raise ValidationError(
            f"a {kind} takes {low} to {high} records, not {len(records)}",
            details=[{"field": "recordIds", "message": f"{low} to {high} records"}],
        )
    if len({r.id for r in records}) != len(records):
        raise ValidationError(
            f"a record is listed twice in the {kind}",
            details=[{"field": "recordIds", "message": "duplicates"}],
        )
    for record in records:
        problem = IMAGE_INPUT.problem(record)
        if problem is None and not record.file_path:
            problem = "it has no stored file"
        if problem:
            raise ProcessingError(
                f"{record.file_name} cannot go into a {kind}: {problem}",
                reason="unsupported_input",
            )
    channels = params.channels if isinstance(params, CompositeParams) else []
    if channels and len(channels) != len(records):
        raise ValidationError(
            f"{len(channels)} channel settings for {len(records)} records",
            details=[{"field": "parameters.channels", "message": "one per record"}],
        )
    if kind == MOSAIC:
        filters = {_filter_of(r) for r in records}
        if len(filters) > 1:
            listed = ", ".join(sorted(str(f) for f in filters))
            raise ValidationError(
                f"a mosaic combines records of one filter; these have {listed}",
                details=[{"field": "recordIds", "message": "different filters"}],
            )


def enqueue_product(
    jobs: JobRepository,
    repo: RecordRepository,
    ctx: AccessContext,
    kind: str,
    record_ids: list[str],
    parameters: dict[str, Any] | None,
    *,
    priority: int = 0,
) -> Job:
    """Check the request with the caller's access, then queue a ``composite``/``mosaic`` job."""
    params = _parse(kind, parameters)
    records = []
    for raw in record_ids:
        record_id = parse_object_id(raw)
        if record_id is None:
            raise NotFoundError(f"record {raw} not found")
        records.append(repo.get(record_id, ctx))
    check_inputs(kind, records, params)
    return jobs.enqueue(
        kind,
        {
            "recordIds": [str(r.id) for r in records],
            "parameters": params.model_dump(mode="json", by_alias=True),
        },
        # the command line acts for no one: the job (and its outputs) go to the first owner
        user_id=ctx.user_id or records[0].user_id,
        user_requested=ctx.user_id is not None,
        record_id=records[0].id,
        priority=priority,
    )


# --- running -------------------------------------------------------------------------------


def _read_all(
    records: list[JwstDataModel], ctx: JobContext, scratch: Path, share: float
) -> list[SkyImage]:
    services = ctx.services
    staging = services.settings.home_dir / "staging"
    images = []
    for n, record in enumerate(records):
        ctx.progress(done=round(share * n / len(records), 3), message=f"reading {record.file_name}")
        if ctx.cancelled():
            raise JobFailed("cancelled", retry=False)
        with local_file(services.storage, record, staging) as path:
            image = read_image(
                path,
                name=record.file_name,
                scratch=scratch,
                max_pixels=services.settings.processing_max_pixels,
                suffix=parse_name(record.file_name).suffix,
            )
        image.filter = _filter_of(record) or image.filter
        images.append(image)
    return images


def _run(job: Job, ctx: JobContext, kind: str) -> dict[str, Any]:
    services = ctx.services
    params = _parse(kind, job.params.get("parameters"))
    ids = [ObjectId(i) for i in job.params.get("recordIds", [])]
    max_pixels = services.settings.processing_max_pixels

    def progress(fraction: float, message: str) -> None:
        ctx.progress(done=round(0.4 + 0.5 * fraction, 3), message=message)

    try:
        records = [services.records.get(i, _ADMIN) for i in ids]  # deleted since queued: 404
        check_inputs(kind, records, params)
        with tempfile.TemporaryDirectory(prefix=f"jwstdata-{kind}-") as scratch:
            images = _read_all(records, ctx, Path(scratch), 0.4)
            make = composite if kind == COMPOSITE else mosaic
            product = make(images, params, max_pixels=max_pixels, progress=progress)  # type: ignore[arg-type]
            del images  # the memory maps go before their folder does
    except (ProcessingError, ValidationError, NotFoundError) as exc:
        raise JobFailed(exc.message, retry=False) from None
    owner = job.user_id or records[0].user_id
    outputs = store_product(
        services.storage, services.records, kind, params, records, product, owner
    )
    return {
        "recordIds": [str(i) for i in ids],
        "outputs": outputs,
        "outputFilePath": outputs[0]["filePath"],
        "results": product.summary,
    }


@job_handler(COMPOSITE)
def composite_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Reproject 2-6 records onto one grid and colour them: a PNG and a FITS cube."""
    return _run(job, ctx, COMPOSITE)


@job_handler(MOSAIC)
def mosaic_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Combine overlapping records of one filter: a FITS mosaic and a preview."""
    return _run(job, ctx, MOSAIC)


# --- storing -------------------------------------------------------------------------------


def _digest(kind: str, records: list[JwstDataModel], params: BaseModel) -> str:
    text = json.dumps(
        {
            "kind": kind,
            "inputs": [str(r.id) for r in records],
            "params": params.model_dump(mode="json", by_alias=True),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _common(records: list[JwstDataModel], attribute: str) -> str | None:
    values = {getattr(r.image_info, attribute, None) if r.image_info else None for r in records}
    return values.pop() if len(values) == 1 else None


def store_product(
    storage: StorageProvider,
    repo: RecordRepository,
    kind: str,
    params: BaseModel,
    records: list[JwstDataModel],
    product: Product,
    owner: ObjectId | None,
) -> list[dict[str, Any]]:
    """Write the product's files and upsert their records; ``[{id, filePath, role}]``."""
    digest = _digest(kind, records, params)
    first = records[0]
    parsed = parse_name(first.file_name)
    stem = parsed.observation_base_id or first.file_name.split(".", 1)[0]
    filters = [(_filter_of(r) or "?") for r in records]
    label = "+".join(dict.fromkeys(filters)) if kind == COMPOSITE else (filters[0] or "")
    assert product.frame is not None
    info = ImageMetadata(
        target_name=_common(records, "target_name"),
        instrument=_common(records, "instrument"),
        filter=label[:128] or None,
        width=product.summary["width"],
        height=product.summary["height"],
        wcs=wcs_summary(product.frame),
        coordinate_system="ICRS",
    )
    stored = []
    for fmt, content in product.files.items():
        role = f"{kind}-{'image' if fmt == 'png' else 'fits'}"
        name = safe_file_name(f"{stem}_{kind}_{digest}.{fmt}")
        key = derived_key(str(first.id), kind, name)
        written = storage.write_stream(
            key,
            io.BytesIO(content),
            content_type="image/png" if fmt == "png" else "application/fits",
        )
        record = JwstDataModel(
            file_name=name,
            file_path=key,
            file_size=written.size,
            checksum=written.sha256,
            file_format=fmt,
            data_type=DataType.image,
            processing_status=ProcessingStatus.completed,
            processing_level=ProcessingLevel.unknown,
            parent_id=first.object_id,
            derived_from=[r.object_id for r in records],
            user_id=owner,
            is_public=False,
            is_viewable=True,
            description=f"{kind.capitalize()} of {len(records)} records ({label})"[:4096],
            metadata={
                "source": "processing",
                "algorithm": kind,
                "algorithmVersion": VERSION,
                "paramsHash": digest,
                "role": role,
                "inputs": [str(r.id) for r in records],
            },
            image_info=info,
        )
        record_id = upsert_record(repo, record)
        stored.append({"id": str(record_id), "filePath": key, "role": role, "format": fmt})
    stored.sort(key=lambda item: item["format"] != "fits")  # the FITS product first
    return stored
