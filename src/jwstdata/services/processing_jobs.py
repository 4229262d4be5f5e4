"""Processing as jobs: the ``process`` job kind, and queuing automatic previews.

A ``process`` job runs one algorithm on one record through
:func:`jwstdata.services.processing_run.run_algorithm` (which stores outputs and appends the
``ProcessingResult``); the worker keeps the record's ``processingStatus`` in step.

Only those who may write a record add results to it. A user who may only read it (a public
or shared record) gets a *reader's run*: the outputs are that user's own private records
(still derived from the source, and deleted if the user loses access to it), the result is
the job's, and the source record is not touched at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bson import ObjectId

from jwstdata.db.jobs import JobRepository
from jwstdata.db.records import RecordRepository
from jwstdata.errors import NotFoundError, PermissionDeniedError
from jwstdata.inflate import InflateLimits
from jwstdata.models import AccessContext, JwstDataModel, ProcessingStatus
from jwstdata.models.job import Job
from jwstdata.services.job_quota import submit_within_quota
from jwstdata.services.jobs.context import JobContext
from jwstdata.services.jobs.registry import JobFailed, job_handler
from jwstdata.services.processing_run import run_algorithm, validate_params, wants_auto_preview

KIND = "process"
READER = "asReader"  # job parameter: a reader's run (outputs theirs, source untouched)
_ADMIN = AccessContext.admin()  # the worker acts for the job's owner, checked when queued


def enqueue_processing(
    jobs: JobRepository,
    record: JwstDataModel,
    algorithm: str,
    parameters: dict[str, Any] | None,
    *,
    user_id: ObjectId | None,
    priority: int = 0,
    as_reader: bool = False,
    records: RecordRepository | None = None,
) -> Job:
    """Validate the request against the record, then queue it.

    ``as_reader``: the requester may read but not write the record (see the module doc).
    With ``records``, a writer's run marks the record pending (every caller with a repository
    at hand passes it); a reader's run leaves the source untouched.
    """
    params = validate_params(algorithm, parameters or {}, record)
    if as_reader and user_id is None:
        raise PermissionDeniedError("sign in to process records")
    job = jobs.enqueue(
        KIND,
        {"algorithm": algorithm, "parameters": params, **({READER: True} if as_reader else {})},
        user_id=user_id,
        user_requested=user_id is not None,
        record_id=record.id,
        priority=priority,
    )
    if records is not None and not as_reader:
        _mark_pending(records, record)
    return job


def request_processing(
    jobs: JobRepository,
    records: RecordRepository,
    record: JwstDataModel,
    algorithm: str,
    parameters: dict[str, Any] | None,
    ctx: AccessContext,
    *,
    max_active: int,
    priority: int = 0,
) -> Job:
    """A signed-in caller asks for a run: a writer's run if ``ctx`` may write the record,
    else a reader's run; refused past the caller's active job quota."""
    return submit_within_quota(
        jobs,
        ctx,
        max_active,
        lambda: enqueue_processing(
            jobs,
            record,
            algorithm,
            parameters,
            user_id=ctx.user_id,
            priority=priority,
            as_reader=not ctx.can_write_owner(record.user_id),
            records=records,
        ),
    )


def _mark_pending(records: RecordRepository, record: JwstDataModel) -> None:
    """``pending`` means a job is queued: set it now (a running job keeps ``processing``)."""
    if record.processing_status is not ProcessingStatus.processing:
        records.set_fields(record.id, {"processingStatus": ProcessingStatus.pending.value})


def queue_auto_previews(
    jobs: JobRepository, repo: RecordRepository, record_ids: Iterable[ObjectId]
) -> int:
    """A ``preview`` job (preview + thumbnail) for each viewable record; how many queued."""
    queued = 0
    for record in repo.get_many(list(record_ids), _ADMIN):
        if wants_auto_preview(record):
            jobs.enqueue(
                KIND,
                {"algorithm": "preview", "parameters": {}},
                user_id=record.user_id,
                record_id=record.id,
                priority=-10,
            )
            _mark_pending(repo, record)
            queued += 1
    return queued


def is_reader_run(job: Job) -> bool:
    return job.kind == KIND and bool(job.params.get(READER))


@job_handler(KIND, tracks_record=True)
def process_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Run one algorithm on the job's record."""
    services = ctx.services
    if job.record_id is None:
        raise JobFailed("a processing job needs a record", retry=False)
    reader = job.user_id if is_reader_run(job) else None
    if is_reader_run(job) and reader is None:
        raise JobFailed("a reader's run needs its user", retry=False)
    try:
        # A reader's run reads the source as that reader, now: access may have been revoked.
        record = services.records.get(
            job.record_id, AccessContext.user(reader) if reader is not None else _ADMIN
        )
    except NotFoundError:
        raise JobFailed(
            f"record {job.record_id} is gone or no longer readable", retry=False
        ) from None
    algorithm = str(job.params.get("algorithm", ""))
    ctx.log(f"{algorithm} on {record.file_name}")
    result = run_algorithm(
        record,
        algorithm,
        job.params.get("parameters") or {},
        services.storage,
        services.records,
        max_pixels=services.settings.processing_max_pixels,
        inflate=InflateLimits.of(services.settings),
        reader=reader,
        progress=lambda fraction, message="": ctx.progress(
            done=round(fraction, 3), message=message
        ),
    )
    if result.status.value != "completed":
        raise JobFailed(result.error_message or f"{algorithm} failed", retry=False)
    return {
        "algorithm": algorithm,
        "outputFilePath": result.output_file_path,
        "durationSeconds": result.duration_seconds,
        "results": result.results,
    }
