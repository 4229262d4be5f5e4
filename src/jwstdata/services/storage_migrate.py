"""Copy every stored file to another provider (local <-> S3), verified and resumable.

A record's ``filePath`` is a key relative to the active provider, so moving the files
changes no record: once every file is in the target, switching is one setting
(``JWSTDATA_STORAGE``). :meth:`StorageMigrator.migrate` walks the records by keyset over
``_id`` and, for each distinct key, streams the object from ``source`` into ``target``
(``open_read`` -> ``write_stream``; target writes are atomic), then verifies the copy:

- the sha256 and size computed while streaming equal the record's ``checksum`` and
  ``fileSize`` (so a source file that drifted from its record is not carried over);
- the target's ``stat`` agrees on the size (and on the sha256 when it keeps one);
- the target object, read back as a stream, hashes to the same sha256 (``reread``).

Only then is the key recorded as verified in the ``storage_migrations`` collection
(``_id`` = migration id + key, so lookups use the ``_id`` index). A rerun after an
interruption, even a kill mid-copy, skips verified keys whose target object is still
there with the verified size and whose record's checksum has not changed since, and
copies the rest. Records marked ``fileMissing`` (by ``storage verify --repair``) have no
file to copy and are skipped; an unmarked missing source file is a failure.

Nothing is switched or reported done until every file is verified: the report's
``complete`` is true only for a run in which nothing failed, and its ``next_step`` names
the setting to change. Source files stay in place until :meth:`delete_source`
(``--delete-source``), which runs only after a complete migration and deletes only keys
verified in the target whose source object is unchanged since. Records or files added or
changed while a migration runs are picked up by running it again: stop writers (ingest,
uploads), run it once more, then switch. A file whose record was deleted after it was
copied stays in the target as an orphan for ``storage verify --repair``.

Per-file problems (missing source, a copy that does not verify) are reported and the
walk goes on; storage errors stop it after ``max_consecutive_errors`` in a row (the
storage is down), keeping everything verified so far. Copies are sequential; an S3
provider already moves the parts of a large object concurrently.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jwstdata.db.indexes import STORAGE_MIGRATIONS
from jwstdata.db.record_files import RecordFile, RecordFiles
from jwstdata.db.records import RecordRepository
from jwstdata.db.storage_state import StorageMigrationState
from jwstdata.errors import ConfigurationError, NotFoundError, StorageError, ValidationError
from jwstdata.models import utcnow
from jwstdata.services.storage_walk import stream_sha256
from jwstdata.storage import StorageProvider, WriteResult

STATE_COLLECTION = STORAGE_MIGRATIONS
MigrationProgress = Callable[["MigrationReport"], None]


class CopyProblem(Exception):
    """A copy that could not be verified (the message says why)."""


@dataclass
class MigrationReport:
    source: str
    target: str
    target_kind: str
    files_total: int = 0
    bytes_total: int = 0
    files_done: int = 0  # copied, already verified, or skipped as marked missing (bytes too)
    bytes_done: int = 0
    files_copied: int = 0
    bytes_copied: int = 0
    files_skipped: int = 0  # verified by an earlier run
    files_marked_missing: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    failed_count: int = 0
    complete: bool = False
    source_deleted: int = 0
    source_kept: int = 0
    seconds: float = 0.0
    limit: int = 1000

    @property
    def rate(self) -> float:
        """Bytes copied per second in this run."""
        return self.bytes_copied / self.seconds if self.seconds > 0 else 0.0

    @property
    def next_step(self) -> str:
        if not self.complete:
            return (
                f"{self.failed_count} file(s) not migrated; fix them (see `jwstdata storage "
                "verify`) and run the same command again: verified files are skipped"
            )
        step = (
            f"all files are in {self.target}; switch with JWSTDATA_STORAGE={self.target_kind} "
            "(records need no change: their filePath keys are relative to the storage)"
        )
        if self.source_deleted or self.source_kept:
            return step + f"; {self.source_deleted} source file(s) deleted"
        return step + "; source files are left in place until you rerun with --delete-source"

    def fail(self, record: RecordFile, message: str) -> None:
        self.failed_count += 1
        if len(self.failed) < self.limit:
            self.failed.append({"id": str(record.id), "key": record.key, "error": message})

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "complete": self.complete,
            "filesTotal": self.files_total,
            "filesDone": self.files_done,
            "filesCopied": self.files_copied,
            "filesSkipped": self.files_skipped,
            "filesMarkedMissing": self.files_marked_missing,
            "bytesTotal": self.bytes_total,
            "bytesDone": self.bytes_done,
            "bytesCopied": self.bytes_copied,
            "seconds": round(self.seconds, 3),
            "bytesPerSecond": round(self.rate),
            "failedCount": self.failed_count,
            "failed": self.failed,
            "sourceDeleted": self.source_deleted,
            "sourceKept": self.source_kept,
            "nextStep": self.next_step,
        }


class StorageMigrator:
    def __init__(
        self,
        repo: RecordRepository,
        source: StorageProvider,
        target: StorageProvider,
        *,
        state_collection: str = STATE_COLLECTION,
        batch_size: int = 200,
        reread: bool = True,
        max_consecutive_errors: int = 5,
    ) -> None:
        if source.describe() == target.describe():
            raise ConfigurationError(f"source and target are the same: {source.describe()}")
        self.repo = repo
        self.source = source
        self.target = target
        self.batch_size = batch_size
        self.reread = reread
        self.max_consecutive_errors = max_consecutive_errors
        pair = f"{source.describe()}\n{target.describe()}".encode()
        self.migration_id = hashlib.sha256(pair).hexdigest()[:16]
        self.files = RecordFiles.of(repo)
        self.state = StorageMigrationState.beside(
            repo, self.migration_id, collection=state_collection
        )

    def _report(self) -> MigrationReport:
        return MigrationReport(self.source.describe(), self.target.describe(), self.target.kind)

    # --- copying ------------------------------------------------------------------------
    def migrate(self, progress: MigrationProgress | None = None) -> MigrationReport:
        """Copy and verify every file; ``report.complete`` only when all are verified."""
        clock = time.monotonic()
        report = self._report()
        report.files_total, report.bytes_total = self.files.totals()
        self._set_status("copying", startedAt=utcnow())
        consecutive_errors = 0
        for batch in self.files.batches(self.batch_size):
            states = self.state.verified(r.key for r in batch)
            for record in batch:
                try:
                    self._migrate_one(record, states, report)
                    consecutive_errors = 0
                except StorageError as exc:
                    report.fail(record, exc.message)
                    consecutive_errors += 1
                    if consecutive_errors >= self.max_consecutive_errors:
                        raise StorageError(
                            f"migration stopped after {consecutive_errors} storage errors in a "
                            f"row ({exc.message}); {report.files_done} file(s) are verified "
                            "so far: run the same command again to resume"
                        ) from exc
                except CopyProblem as exc:
                    report.fail(record, str(exc))
                except ValidationError as exc:  # a key this provider refuses
                    report.fail(record, exc.message)
                report.seconds = time.monotonic() - clock
                if progress:
                    progress(report)
        report.seconds = time.monotonic() - clock
        report.complete = report.failed_count == 0
        if report.complete:
            self._set_status("verified", verifiedAt=utcnow())
        return report

    def _migrate_one(
        self, record: RecordFile, states: dict[str, dict[str, Any]], report: MigrationReport
    ) -> None:
        if record.marked_missing:  # nothing to copy; counted as dealt with
            report.files_marked_missing += 1
            report.files_done += 1
            report.bytes_done += record.size or 0
            return
        state = states.get(record.key)
        if state is not None and self._still_verified(record, state):
            report.files_skipped += 1
            report.files_done += 1
            report.bytes_done += int(state["size"])
            return
        try:
            written = self._copy(record)
        except NotFoundError:
            raise CopyProblem(
                "missing in the source storage (`jwstdata storage verify --repair` marks it)"
            ) from None
        states[record.key] = self.state.save_verified(record.key, written.size, written.sha256)
        report.files_copied += 1
        report.bytes_copied += written.size
        report.files_done += 1
        report.bytes_done += written.size

    def _still_verified(self, record: RecordFile, state: dict[str, Any]) -> bool:
        if record.checksum is not None and record.checksum != state["sha256"]:
            return False  # the file was re-ingested since it was copied
        try:
            return self.target.stat(record.key).size == int(state["size"])
        except NotFoundError:
            return False

    def _copy(self, record: RecordFile) -> WriteResult:
        # A copy that fails its checks is simply not recorded as verified: the next run
        # writes it again, and nothing is switched before every key is verified.
        with self.source.open_read(record.key) as stream:
            written = self.target.write_stream(record.key, stream)
        self._check(record, written)
        return written

    def _check(self, record: RecordFile, written: WriteResult) -> None:
        if record.checksum is not None and written.sha256 != record.checksum:
            raise CopyProblem(
                f"the source file's sha256 {written.sha256[:12]}… differs from the record's "
                f"checksum {record.checksum[:12]}… (see `jwstdata storage verify --checksums`)"
            )
        if record.size is not None and written.size != record.size:
            raise CopyProblem(
                f"the source file has {written.size} bytes, the record says {record.size}"
            )
        info = self.target.stat(record.key)
        if info.size != written.size or (info.sha256 and info.sha256 != written.sha256):
            raise CopyProblem(f"the copy in {self.target.describe()} does not match what was sent")
        if self.reread and stream_sha256(self.target, record.key) != (written.size, written.sha256):
            raise CopyProblem(f"the copy in {self.target.describe()} reads back differently")

    # --- state --------------------------------------------------------------------------
    def _set_status(self, status: str, **fields: Any) -> None:
        self.state.set_status(
            status, source=self.source.describe(), target=self.target.describe(), **fields
        )

    def status(self) -> str | None:
        """``copying``, ``verified`` or ``source deleted``; None before the first run."""
        return self.state.status()

    # --- after the switch ---------------------------------------------------------------
    def delete_source(self, report: MigrationReport) -> MigrationReport:
        """Delete source objects verified in the target; only after a complete migration."""
        if not report.complete or self.status() != "verified":
            raise ConfigurationError(
                "refusing to delete source files: the migration is not complete and verified"
            )
        for docs in self.state.verified_batches(self.batch_size):
            for doc in docs:
                if self._delete_if_copied(doc):
                    report.source_deleted += 1
                else:
                    report.source_kept += 1
        self._set_status("source deleted", sourceDeletedAt=utcnow())
        return report

    def _delete_if_copied(self, state: dict[str, Any]) -> bool:
        key, size = state["key"], int(state["size"])
        try:
            source, target = self.source.stat(key), self.target.stat(key)
        except NotFoundError:
            return False  # already gone from the source, or (never delete) not in the target
        changed = source.sha256 is not None and source.sha256 != state["sha256"]
        if source.size != size or target.size != size or changed:
            return False  # changed since it was copied: keep it
        self.source.delete(key)
        return True
