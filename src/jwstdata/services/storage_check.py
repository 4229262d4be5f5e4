"""Do records and stored files agree? Find the drift, and repair what is safe to repair.

Drift comes in four kinds:

- **missing**: a record's ``filePath`` has no object in the active storage;
- **orphan**: an object no record's ``filePath`` points to;
- **size mismatch**: the object's size differs from the record's ``fileSize``;
- **checksum mismatch** (only with ``checksums=True``): the sha256 of the object's bytes,
  re-computed by streaming them through ``open_read``, differs from the record's
  ``checksum``. A file whose size already differs is not hashed (its content differs).

The digest a provider keeps with an object (``stat().sha256``) is deliberately not used
as a shortcut: it describes the bytes at write time and the local provider only drops it
when size or mtime change, so bit rot or a restore that keeps mtimes would pass unnoticed,
which is exactly what a checksum verification exists to catch.

Cost is two streaming passes, O(records + objects) with bounded memory: records are walked
by keyset over ``_id`` in batches with a projection (each key stat-ed, and hashed with
``checksums``, by a small thread pool), then the provider's ``list()`` is read in batches,
each batch's keys looked up with one ``filePath $in`` query on the ``file_path`` index.
The report keeps at most ``report_limit`` examples of each kind; its counts are exact.

Keys queued in ``storage_gc`` (deletions that failed while storage was unavailable) are
known, pending deletions rather than drift: they are reported as ``queued``, not orphans.

Repair (``repair=True``) never deletes a record:

- queued deletions are collected first (:meth:`RecordWriter.collect_garbage`);
- records whose file is missing get ``fileMissing: true``; a record so marked whose file
  is found again has the flag cleared (both writes match the version that was checked,
  so a concurrent re-ingest wins). A plain verify writes nothing;
- orphans are deleted, but only objects older than ``grace`` when the walk started: files
  are stored before their records are written (an ingest batch stores all its files
  first), so a young unreferenced file may be about to get its record. Right before each
  deletion the object is stat-ed again (skipped if it changed since it was listed) and
  the records are asked again whether anything points to it now. Every unreferenced file
  under the storage root counts, including files placed there for ``ingest --in-place``
  that were never ingested;
- size and checksum mismatches are only reported: which side is right needs a person
  (re-ingest the file, or restore it).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from jwstdata.db.gc_queue import GarbageQueue
from jwstdata.db.record_files import RecordFile, RecordFiles
from jwstdata.db.records import RecordRepository
from jwstdata.errors import InvalidKeyError, NotFoundError
from jwstdata.services.record_writer import RecordWriter, collect_queued
from jwstdata.services.storage_walk import stream_sha256
from jwstdata.storage import ObjectInfo, StorageProvider

# progress(phase, done, total): phase is "records" or "files"; total None when unknown.
VerifyProgress = Callable[[str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class MissingFile:
    record_id: ObjectId
    key: str

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.record_id), "key": self.key}


@dataclass(frozen=True, slots=True)
class Orphan:
    key: str
    size: int
    modified: datetime

    def to_json(self) -> dict[str, Any]:
        modified = self.modified.isoformat().replace("+00:00", "Z")
        return {"key": self.key, "size": self.size, "modified": modified}


@dataclass(frozen=True, slots=True)
class Mismatch:
    record_id: ObjectId
    key: str
    recorded: int | str
    actual: int | str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.record_id),
            "key": self.key,
            "recorded": self.recorded,
            "actual": self.actual,
        }


KINDS = ("missing", "orphans", "size_mismatch", "checksum_mismatch", "queued", "restored")
DRIFT_KINDS = ("missing", "orphans", "size_mismatch", "checksum_mismatch")
REPAIR_COUNTS = (
    "marked_missing",
    "cleared_missing",
    "orphans_deleted",
    "orphans_kept",
    "orphans_queued",
    "gc_removed",
    "gc_kept",
    "gc_failing",
)


@dataclass
class VerifyReport:
    """What a verification found; each list holds at most ``limit`` examples."""

    storage: str
    checksums: bool
    repair: bool
    limit: int = 1000
    records_checked: int = 0
    files_listed: int = 0
    bytes_hashed: int = 0
    no_checksum: int = 0  # records with a file but no recorded checksum to compare
    missing: list[MissingFile] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    size_mismatch: list[Mismatch] = field(default_factory=list)
    checksum_mismatch: list[Mismatch] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)  # orphans already queued for deletion
    restored: list[MissingFile] = field(default_factory=list)  # marked missing, found again
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    repaired: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REPAIR_COUNTS, 0))

    def add(self, kind: str, item: Any) -> None:
        self.counts[kind] += 1
        found: list[Any] = getattr(self, kind)
        if len(found) < self.limit:
            found.append(item)

    @property
    def drift(self) -> int:
        """How many problems were found (queued deletions and restored files are not)."""
        return sum(self.counts[k] for k in DRIFT_KINDS)

    @property
    def ok(self) -> bool:
        return self.drift == 0

    def to_json(self) -> dict[str, Any]:
        def camel(name: str) -> str:
            head, *rest = name.split("_")
            return head + "".join(part.title() for part in rest)

        return {
            "storage": self.storage,
            "ok": self.ok,
            "checksums": self.checksums,
            "repair": self.repair,
            "recordsChecked": self.records_checked,
            "filesListed": self.files_listed,
            "bytesHashed": self.bytes_hashed,
            "noChecksum": self.no_checksum,
            "counts": {camel(k): v for k, v in self.counts.items()},
            **{
                camel(kind): [i if isinstance(i, str) else i.to_json() for i in getattr(self, kind)]
                for kind in KINDS
            },
            "truncated": any(self.counts[k] > len(getattr(self, k)) for k in KINDS),
            **(
                {"repaired": {camel(k): v for k, v in self.repaired.items()}} if self.repair else {}
            ),
        }


@dataclass(frozen=True, slots=True)
class _Finding:
    record: RecordFile
    exists: bool
    size: int | None = None
    sha256: str | None = None


class StorageVerifier:
    """Compares the records with the objects of one storage provider."""

    def __init__(
        self,
        repo: RecordRepository,
        storage: StorageProvider,
        *,
        batch_size: int = 500,
        workers: int = 4,
        report_limit: int = 1000,
    ) -> None:
        self.repo = repo
        self.storage = storage
        self.batch_size = batch_size
        self.workers = workers
        self.report_limit = report_limit
        self.writer = RecordWriter(repo, storage)
        self.files = RecordFiles.of(repo)
        self.gc = GarbageQueue.beside(repo)

    def verify(
        self,
        checksums: bool = False,
        repair: bool = False,
        progress: VerifyProgress | None = None,
        *,
        grace: timedelta = timedelta(minutes=15),
    ) -> VerifyReport:
        report = VerifyReport(self.storage.describe(), checksums, repair, self.report_limit)
        if repair:
            for name, value in collect_queued(self.writer).items():
                report.repaired[f"gc_{name}"] = value
        started = datetime.now(UTC)
        total, _ = self.files.totals()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="verify") as pool:
            for batch in self.files.batches(self.batch_size):
                findings = list(pool.map(lambda r: self._inspect(r, checksums), batch))
                self._judge(findings, report)
                report.records_checked += len(batch)
                if progress:
                    progress("records", report.records_checked, max(total, report.records_checked))
        self._find_orphans(report, started, grace, progress)
        return report

    # --- records -> files ---------------------------------------------------------------
    def _inspect(self, record: RecordFile, checksums: bool) -> _Finding:
        try:
            info = self.storage.stat(record.key)
            sha256 = None
            same_size = record.size is None or info.size == record.size
            if checksums and record.checksum is not None and same_size:
                _size, sha256 = stream_sha256(self.storage, record.key)
        except (NotFoundError, InvalidKeyError):  # the provider cannot serve this key
            return _Finding(record, exists=False)
        return _Finding(record, exists=True, size=info.size, sha256=sha256)

    def _judge(self, findings: list[_Finding], report: VerifyReport) -> None:
        flagged = [f for f in findings if self._problem(f, report.checksums)]
        # A record read a moment ago may have been deleted or re-ingested since: only the
        # records still at the version that was checked are reported (and repaired).
        current = self.files.versions([f.record.id for f in flagged])
        marks: list[RecordFile] = []
        clears: list[RecordFile] = []
        for finding in findings:
            if finding.sha256 is not None:
                report.bytes_hashed += finding.size or 0
            if finding.record.checksum is None:
                report.no_checksum += 1
        for finding in flagged:
            record = finding.record
            if current.get(record.id) != (record.key, record.version):
                continue
            if not finding.exists:
                report.add("missing", MissingFile(record.id, record.key))
                if not record.marked_missing:
                    marks.append(record)
                continue
            if record.marked_missing:
                report.add("restored", MissingFile(record.id, record.key))
                clears.append(record)
            if record.size is not None and finding.size != record.size:
                actual = finding.size if finding.size is not None else 0
                report.add("size_mismatch", Mismatch(record.id, record.key, record.size, actual))
            elif finding.sha256 is not None and finding.sha256 != record.checksum:
                recorded = record.checksum or ""
                report.add(
                    "checksum_mismatch", Mismatch(record.id, record.key, recorded, finding.sha256)
                )
        if report.repair:
            report.repaired["marked_missing"] += self.files.set_missing(marks, True)
            report.repaired["cleared_missing"] += self.files.set_missing(clears, False)

    @staticmethod
    def _problem(finding: _Finding, checksums: bool) -> bool:
        record = finding.record
        if not finding.exists or record.marked_missing:
            return True
        if record.size is not None and finding.size != record.size:
            return True
        return checksums and finding.sha256 is not None and finding.sha256 != record.checksum

    # --- files -> records ---------------------------------------------------------------
    def _find_orphans(
        self,
        report: VerifyReport,
        started: datetime,
        grace: timedelta,
        progress: VerifyProgress | None,
    ) -> None:
        batch: list[ObjectInfo] = []
        for info in self.storage.list():
            batch.append(info)
            if len(batch) >= self.batch_size:
                self._orphans_in(batch, report, started, grace)
                batch = []
                if progress:
                    progress("files", report.files_listed, None)
        if batch:
            self._orphans_in(batch, report, started, grace)
        if progress:
            progress("files", report.files_listed, report.files_listed)

    def _orphans_in(
        self, batch: list[ObjectInfo], report: VerifyReport, started: datetime, grace: timedelta
    ) -> None:
        report.files_listed += len(batch)
        used = self.repo.keys_in_use([info.key for info in batch])
        # Objects written after the walk started are not judged: their records may be
        # on their way (files are stored before records are written).
        candidates = [i for i in batch if i.key not in used and i.modified < started]
        if not candidates:
            return
        queued = self.gc.queued_keys(self.storage.describe(), [info.key for info in candidates])
        for info in candidates:
            if info.key in queued:
                report.add("queued", info.key)
                continue
            report.add("orphans", Orphan(info.key, info.size, info.modified))
            if report.repair:
                outcome = self._delete_orphan(info, started, grace)
                report.repaired[f"orphans_{outcome}"] += 1

    def _delete_orphan(self, listed: ObjectInfo, started: datetime, grace: timedelta) -> str:
        """Delete one orphan if still safe: ``deleted``, ``kept`` or ``queued`` (storage down)."""
        if started - listed.modified < grace:
            return "kept"
        try:
            now = self.storage.stat(listed.key)
        except NotFoundError:
            return "kept"  # gone already
        # Listing and stat report times at different precisions on S3: compare the etag.
        if now.size != listed.size or (now.etag or now.modified) != (
            listed.etag or listed.modified
        ):
            return "kept"  # re-written since it was listed
        if self.repo.keys_in_use([listed.key]):
            return "kept"  # a record points to it now
        return "deleted" if self.writer.discard_file(listed.key) else "queued"


__all__ = ["StorageVerifier", "VerifyReport", "collect_queued"]
