"""Running an algorithm on a record: materialise the file, compute, store outputs, record it.

:func:`run_algorithm` is what a worker calls for a processing job. It never raises for a
failure of the run itself (unknown algorithm, bad parameters, a record the algorithm does not
take, a missing, corrupt or oversize file, an algorithm crash, storage trouble): it appends a
*failed* :class:`~jwstdata.models.ProcessingResult` with the reason and returns it. Only a
database that cannot take the result at all raises (the job then fails on its own).

Outputs
    Each output file is stored under ``derived/{recordId}/{algorithm}/{paramsHash}-{name}``
    and gets a record of its own: ``derivedFrom = [source]``, ``parentId = source``, owner,
    ``isPublic`` and ``sharedWith`` copied from the source (a preview is exactly as visible as
    its data), ``processingStatus`` completed, ``metadata`` ``{"source": "processing",
    "algorithm", "algorithmVersion", "paramsHash", "role"}``, size and sha256 from the write.
    Two choices worth knowing:

    - ``processingLevel`` is ``unknown``, as DOMAIN.md gives previews, not the source's level:
      a PNG is not an L2b product, and level-based lineage views must not list it as one.
    - ``exposureId`` and ``observationBaseId`` stay empty. Outputs hang off their source
      through ``parentId``/``derivedFrom``; the name-driven lineage linker (which rewrites the
      links of every record of an exposure or observation) then never touches them.

Idempotence
    The identity of a run's outputs is (source, algorithm, parameters): the storage key holds
    a hash of the algorithm name and the validated parameters. Running again with the same
    parameters overwrites the same keys and updates the same records (found by the unique
    (owner, filePath) index; ``_id``, ``createdAt`` and tags are kept, ``version`` bumps); an
    output the new run no longer produces is deleted. Other parameters make other outputs.
    Each run still appends its own ProcessingResult (the history keeps the last
    :data:`MAX_RESULTS` runs).

Failure clean-up
    A failure before storing leaves earlier outputs as they were. A failure while storing
    removes every output of this (source, algorithm, parameters) -- files written so far and
    the records of earlier runs whose files were being replaced -- so nothing half-written
    stays behind.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bson import ObjectId

from jwstdata.db.output_store import OutputStore
from jwstdata.db.records import RecordRepository
from jwstdata.errors import (
    JwstDataError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from jwstdata.inflate import InflateLimits
from jwstdata.keys import safe_file_name
from jwstdata.models import (
    AccessContext,
    JwstDataModel,
    ProcessingResult,
    ResultStatus,
)
from jwstdata.processing.registry import (
    Algorithm,
    AlgorithmInput,
    AlgorithmParams,
    AlgorithmRegistry,
    Limits,
    ProcessingError,
    Progress,
    json_safe,
    load_algorithms,
    params_hash,
)
from jwstdata.services.processing_outputs import (
    group_filter,
    remove_outputs,
    store_outputs,
)
from jwstdata.services.record_writer import RecordWriter
from jwstdata.storage import StorageProvider

log = logging.getLogger(__name__)

MAX_RESULTS = 100  # processingResults kept per record, newest last
_MATERIALISED = 0.1  # progress fractions at the end of each phase
_COMPUTED = 0.85


def _no_progress(fraction: float, message: str) -> None:
    return None


def _scaled(progress: Progress, start: float, end: float) -> Progress:
    def report(fraction: float, message: str) -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report


def run_algorithm(
    record: JwstDataModel,
    algorithm_name: str,
    params: Mapping[str, Any] | AlgorithmParams | None,
    storage: StorageProvider,
    repo: RecordRepository,
    *,
    max_pixels: int,
    inflate: InflateLimits | None = None,
    progress: Progress | None = None,
    registry: AlgorithmRegistry | None = None,
    reader: ObjectId | None = None,
) -> ProcessingResult:
    """Run ``algorithm_name`` on ``record``'s file; store outputs; append and return the result.

    ``reader``: the run of a user who may read but not write ``record``. Its outputs are that
    user's own private records, and the result is returned without touching ``record``.
    """
    report = progress or _no_progress
    started = time.monotonic()
    algorithm: Algorithm | None = None
    parsed: AlgorithmParams | None = None
    try:
        algorithm = (registry or load_algorithms()).get(algorithm_name)
        parsed = algorithm.parse_params(params)
        algorithm.check_accepts(record)
        if record.id is None:
            raise ProcessingError("the record has not been saved yet", reason="unsupported_input")
        with _materialise(record, storage) as path:
            report(_MATERIALISED, "input ready")
            output = algorithm.run(
                AlgorithmInput(
                    path=path,
                    record=record,
                    params=parsed,
                    limits=Limits(max_pixels=max_pixels, inflate=inflate or InflateLimits()),
                    progress=_scaled(report, _MATERIALISED, _COMPUTED),
                )
            )
        report(_COMPUTED, "storing outputs")
        keys = store_outputs(record, algorithm, parsed, output, storage, repo, reader=reader)
        result = _result(algorithm_name, algorithm, parsed, started, ResultStatus.completed)
        result.results = json_safe(output.results)
        result.output_file_path = keys[0] if keys else None
    except Exception as exc:  # every failure becomes a failed result; see the module doc
        reason, message = _failure(exc, algorithm_name, record)
        result = _result(algorithm_name, algorithm, parsed, started, ResultStatus.failed)
        result.error_message = message[:4096]
        result.results = {"reason": reason}
    if reader is not None:
        # Access may have been revoked (or the source deleted) while it ran: keep nothing.
        if record.id is not None and not repo.get_many([record.id], AccessContext.user(reader)):
            result = _source_vanished(record, algorithm_name, parsed, storage, repo, result, reader)
    elif not _append_result(repo, record, result):
        result = _source_vanished(record, algorithm_name, parsed, storage, repo, result)
    report(1.0, result.status.value)
    return result


def wants_auto_preview(record: JwstDataModel) -> bool:
    """Whether ingest/import should queue the automatic ``preview`` (with its thumbnail) of
    ``record`` when the setting is on: viewable FITS records the algorithm takes. Derived
    outputs (PNGs) never qualify, so previews are never made of previews."""
    if not record.is_viewable or record.metadata.get("source") == "processing":
        return False
    return load_algorithms().get("preview").accepts(record)


def validate_params(
    algorithm_name: str, params: Mapping[str, Any] | None, record: JwstDataModel | None = None
) -> dict[str, Any]:
    """Check a request before it is queued: the params as stored (camelCase, defaults filled).

    Raises ValidationError (unknown algorithm) or ProcessingError (bad parameters, or a record
    the algorithm does not take), so an API can refuse the request instead of queuing a job
    that can only fail.
    """
    algorithm = load_algorithms().get(algorithm_name)
    parsed = algorithm.parse_params(params)
    if record is not None:
        algorithm.check_accepts(record)
    return parsed.to_json()


def _result(
    name: str,
    algorithm: Algorithm | None,
    params: AlgorithmParams | None,
    started: float,
    status: ResultStatus,
) -> ProcessingResult:
    return ProcessingResult(
        algorithm=name[:64] or "?",
        status=status,
        parameters=params.to_json() if params is not None else {},
        duration_seconds=round(time.monotonic() - started, 6),
        algorithm_version=algorithm.version if algorithm is not None else None,
    )


def _failure(exc: Exception, name: str, record: JwstDataModel) -> tuple[str, str]:
    """(reason, message): a ProcessingError's reason, or what kind of error it was."""
    if isinstance(exc, ProcessingError):
        return exc.reason, exc.message
    if isinstance(exc, ValidationError):  # an unknown algorithm
        return "invalid_request", exc.message
    if isinstance(exc, JwstDataError):
        return ("storage" if isinstance(exc, StorageError) else exc.code), exc.message
    if isinstance(exc, MemoryError):
        message = f"{name}: out of memory on {record.file_name} (lower the processing pixel limit)"
        return "out_of_memory", message
    log.exception("algorithm %s failed on record %s", name, record.id)
    message = f"{name} failed unexpectedly on {record.file_name}: {type(exc).__name__}: {exc}"
    return "unexpected", message


# --- input -------------------------------------------------------------------------------


@contextlib.contextmanager
def _materialise(record: JwstDataModel, storage: StorageProvider) -> Iterator[Path]:
    """A local path of the record's file: the provider's own, or a temporary download."""
    key = record.file_path
    if not key:
        raise ProcessingError(f"{record.file_name} has no stored file", reason="storage")
    local = storage.local_path(key)
    if local is not None and local.is_file():
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="jwstdata-processing-") as folder:
        target = Path(folder) / safe_file_name(record.file_name)
        try:
            with storage.open_read(key) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink, length=1024 * 1024)
        except NotFoundError:
            raise ProcessingError(
                f"the stored file of {record.file_name} is missing ({key})", reason="storage"
            ) from None
        yield target


# --- outputs -----------------------------------------------------------------------------


def _append_result(repo: RecordRepository, record: JwstDataModel, result: ProcessingResult) -> bool:
    """``$push`` the result (keeping the last MAX_RESULTS); False when the record is gone."""
    if record.id is None:
        return True  # an unsaved record: nothing to append to
    return OutputStore(repo).append_result(record.id, result.model_dump(by_alias=True), MAX_RESULTS)


def _source_vanished(
    record: JwstDataModel,
    name: str,
    params: AlgorithmParams | None,
    storage: StorageProvider,
    repo: RecordRepository,
    result: ProcessingResult,
    reader: ObjectId | None = None,
) -> ProcessingResult:
    """The source was deleted (or hidden from ``reader``) while we ran: remove our outputs."""
    if params is not None and result.status is ResultStatus.completed:
        group = group_filter(record, name, params_hash(name, params), reader)
        remove_outputs(repo, RecordWriter(repo, storage), group, keep=[])
    return result.model_copy(
        update={
            "status": ResultStatus.failed,
            "results": {"reason": "source_deleted"},
            "output_file_path": None,
            "error_message": f"record {record.id} was deleted while {name} ran",
        }
    )
