"""Archiving: records leave default searches, and their files move under an archive prefix.

An archived record keeps everything it had (lineage links included); it gets
``isArchived: true`` and an ``archivedDate``, so default searches, counts, facets and
statistics (which match ``isArchived: false``) skip it, while an explicit filter
(``isArchived=true`` or "include archived") still finds it. Its file moves from its key
``K`` to ``archive/K`` in the same storage (``JWSTDATA_ARCHIVE_PREFIX``); the record's
``filePath`` follows and the system field ``archivedFrom`` keeps ``K`` for the way back
(records archived before it existed kept ``K`` in ``metadata.archivedFrom``, which is still
read). Unarchive restores only to the key whose archive key is the record's current
``filePath``: a recorded origin that does not match (edited by hand) is refused, so a file
can never be restored into another key, let alone another user's namespace. On S3,
``JWSTDATA_ARCHIVE_STORAGE_CLASS`` puts archived objects in a cheaper class, limited to
classes that can be read without a restore request, so an archived file can still be
downloaded and unarchived at any time. A separate archive bucket is not offered: a
record's ``filePath`` is resolved by the one active provider, so a file in another bucket
would look missing to every reader and to ``storage verify``; a bucket lifecycle rule on
the ``archive/`` prefix is the S3 way to move those objects further (e.g. to Deep Archive).

One move, in either direction, is:

1. note the move in ``archive_moves`` (``_id`` = record id, from-key, to-key);
2. copy the file to the new key, unless a verified copy is already there (from an
   interrupted run), then verify it: the sha256 of the bytes written and of the copy read
   back both equal the record's ``checksum`` (and the size its ``fileSize``);
3. update the record, only if it is still the version that was copied (optimistic);
4. delete the old key, unless another record still uses it (files can be shared);
5. remove the note.

A crash anywhere leaves a state the next run finishes: before step 3 the record still
points at its intact old file (the copy is reused if it verifies, or replaced); after it,
the note says which old key to delete. Notes of moves that never reached step 3 are
dropped after an hour (``NOTE_GRACE``): their copy is deleted if nothing uses it, and the
record is simply selected again. An archive run walks the matching records, moves
``archive_workers`` files at a time and reports what it did; running it again continues.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from bson import ObjectId

from jwstdata.config import ArchiveStorageClass, Settings
from jwstdata.db.archive_store import ArchiveMoves, ArchiveRecords, MoveNote
from jwstdata.db.indexes import ARCHIVE_MOVES
from jwstdata.db.record_files import RecordFiles
from jwstdata.db.records import RecordRepository, to_stored
from jwstdata.errors import (
    ConflictError,
    JwstDataError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
    StorageError,
    ValidationError,
)
from jwstdata.keys import validate_key
from jwstdata.models import AccessContext, JwstDataModel, utcnow
from jwstdata.services.archive_report import ArchiveCriteria, ArchiveReport, MoveOutcome
from jwstdata.services.derived import DerivedProducts
from jwstdata.services.record_guards import is_processing_output
from jwstdata.services.record_writer import RecordWriter
from jwstdata.services.storage_walk import stream_sha256
from jwstdata.storage import StorageProvider
from jwstdata.storage.base import SupportsStorageClass

MOVES_COLLECTION = ARCHIVE_MOVES
NOTE_GRACE = timedelta(hours=1)
MAX_SERVER_COPY = 5 * 1024**3  # S3 CopyObject's limit
ArchiveProgress = Callable[[int, int], None]


class ArchiveCopyError(StorageError):
    """A copy that does not match its record (nothing was changed)."""


class ArchiveService:
    def __init__(self, repo: RecordRepository, storage: StorageProvider, settings: Settings):
        self.repo = repo
        self.storage = storage
        self.prefix = settings.archive_prefix
        self.workers = settings.archive_workers
        wanted = settings.archive_storage_class
        self.storage_class = (
            ArchiveStorageClass(wanted).value
            if wanted and isinstance(storage, SupportsStorageClass)
            else None
        )
        self.writer = RecordWriter(repo, storage)
        self.derived = DerivedProducts(repo, storage)
        self.moves = ArchiveMoves.beside(repo)
        self.records = ArchiveRecords.of(repo)
        self.files = RecordFiles.of(repo)

    def archive_key(self, key: str) -> str:
        return validate_key(f"{self.prefix}/{key}")

    # --- one record -----------------------------------------------------------------------
    def archive_record(self, record_id: ObjectId, ctx: AccessContext) -> MoveOutcome:
        return self._followed(self._archive(self._writable(record_id, ctx)))

    def unarchive_record(self, record_id: ObjectId, ctx: AccessContext) -> MoveOutcome:
        return self._followed(self._unarchive(self._writable(record_id, ctx)))

    def _followed(self, outcome: MoveOutcome) -> MoveOutcome:
        """The record's processing outputs are archived and unarchived with it."""
        self.derived.follow(outcome.record)
        return outcome

    def _writable(self, record_id: ObjectId, ctx: AccessContext) -> JwstDataModel:
        record = self.repo.get(record_id, ctx)
        if not ctx.can_write_owner(record.user_id):
            raise PermissionDeniedError(f"you may not archive or unarchive record {record_id}")
        if is_processing_output(record):
            raise ValidationError(
                f"record {record_id} is a processing output: it is archived and unarchived "
                "with its source record"
            )
        return record

    def _archive(self, record: JwstDataModel) -> MoveOutcome:
        if record.is_archived:
            self._finish_committed(record.object_id)
            return MoveOutcome(record, "already archived")
        if not record.file_path or record.file_missing:  # nothing to move: flags only
            return MoveOutcome(self._commit(record, {"isArchived": True}), "archived")
        source = record.file_path
        target = self.archive_key(source)
        self.moves.note(record.object_id, "archive", source, target)
        size, reused = self._place_copy(record, source, target)
        storage_class = self._apply_storage_class(target, size)
        updated = self._commit(
            record, {"isArchived": True, "filePath": target, "archivedFrom": source}
        )
        self._release(source)
        self.moves.clear(record.object_id)
        return MoveOutcome(updated, "archived", True, reused, size, storage_class)

    def _unarchive(self, record: JwstDataModel) -> MoveOutcome:
        if not record.is_archived:
            self._finish_committed(record.object_id)
            return MoveOutcome(record, "not archived")
        origin = record.archived_from or record.metadata.get("archivedFrom")
        current = record.file_path
        if not current or not isinstance(origin, str):  # archived by flag only
            return MoveOutcome(self._commit(record, {"isArchived": False}), "unarchived")
        self._check_origin(record, origin, current)
        holder = self.repo.find_by_path(record.user_id, origin)
        if holder is not None and holder.id != record.id:
            raise ConflictError(
                f"cannot unarchive record {record.id}: record {holder.id} of the same owner "
                f"now uses {origin!r} (delete that record, or leave this one archived)"
            )
        if record.file_missing:  # nothing to copy; a re-ingest at origin finds the record
            changes = {"isArchived": False, "filePath": origin}
            return MoveOutcome(self._commit(record, changes), "unarchived")
        self.moves.note(record.object_id, "unarchive", current, origin)
        size, reused = self._place_copy(record, current, origin)
        updated = self._commit(record, {"isArchived": False, "filePath": origin})
        self._release(current)
        self.moves.clear(record.object_id)
        return MoveOutcome(updated, "unarchived", True, reused, size)

    def _check_origin(self, record: JwstDataModel, origin: str, current: str) -> None:
        """The way back must be the way in: ``current`` is the archive key of ``origin``."""
        try:
            expected = self.archive_key(origin)
        except JwstDataError:
            expected = None
        if expected != current:
            raise ConflictError(
                f"cannot unarchive record {record.id}: its recorded origin {origin!r} is not "
                f"where {current!r} was archived from (an administrator must restore it)"
            )

    # --- the steps ------------------------------------------------------------------------
    def _place_copy(self, record: JwstDataModel, source: str, target: str) -> tuple[int, bool]:
        """A verified copy of ``source`` at ``target``: ``(size, reused an existing copy)``."""
        expected = record.checksum or stream_sha256(self.storage, source)[1]
        if self.storage.exists(target):
            if self._verified(target, expected, record.file_size):
                return self.storage.size(target), True
            if self._used_by_others(target, record.object_id):
                raise ConflictError(
                    f"{target!r} holds a different file that another record uses; "
                    f"record {record.id} was left as it is"
                )
        with self.storage.open_read(source) as stream:
            written = self.storage.write_stream(target, stream)
        if written.sha256 != expected or (
            record.file_size is not None and written.size != record.file_size
        ):
            self.storage.delete(target)
            raise ArchiveCopyError(
                f"the file of record {record.id} at {source!r} does not match its checksum or "
                "size (see `jwstdata storage verify --checksums`); nothing was moved"
            )
        if not self._verified(target, expected, written.size):
            self.storage.delete(target)
            raise ArchiveCopyError(f"the copy at {target!r} reads back differently; try again")
        return written.size, False

    def _verified(self, key: str, sha256: str, size: int | None) -> bool:
        got_size, got_sha = stream_sha256(self.storage, key)
        return got_sha == sha256 and (size is None or got_size == size)

    def _commit(self, record: JwstDataModel, changes: dict[str, Any]) -> JwstDataModel:
        """Apply the move to the record if it is unchanged since it was read."""
        doc = self.records.commit_move(
            record.object_id,
            version=record.version,
            file_path=record.file_path,
            was_archived=record.is_archived,
            changes=changes,
        )
        if doc is None:
            raise StaleVersionError(
                f"record {record.id} changed while its file was being moved; run again"
            )
        self.repo.counters.apply([(to_stored(record), doc)])
        return JwstDataModel.from_document(doc)

    def _used_by_others(self, key: str, record_id: ObjectId | None = None) -> bool:
        return self.repo.key_in_use(key, except_id=record_id)

    def _release(self, key: str) -> None:
        """Delete a key nothing points to any more (queued for collection if storage is down)."""
        if not self._used_by_others(key):
            self.writer.discard_file(key)

    def _apply_storage_class(self, key: str, size: int) -> str | None:
        """Move an archived S3 object to the configured class (a server-side copy)."""
        storage = self.storage
        if self.storage_class is None or not isinstance(storage, SupportsStorageClass):
            return None
        if size > MAX_SERVER_COPY:
            return None  # left in its class; a lifecycle rule on the prefix handles these
        storage.set_storage_class(key, self.storage_class)
        return self.storage_class

    # --- the move notes ---------------------------------------------------------------------
    def _finish_committed(self, record_id: ObjectId) -> None:
        note = self.moves.note_of(record_id)
        if note is not None:
            self._resume_note(note, grace=NOTE_GRACE)

    def _resume_note(self, note: MoveNote, grace: timedelta) -> bool:
        """Finish one interrupted move if it reached the record update; True when done."""
        if self.files.file_path(note.record_id) == note.to_key:
            self._release(note.from_key)  # the record moved: only the old key is left
        elif utcnow() - note.started_at >= grace:
            self._release(note.to_key)  # never committed: drop the copy if nothing uses it
        else:
            return False  # may still be in progress elsewhere
        self.moves.clear(note.record_id)
        return True

    def resume(self, grace: timedelta = NOTE_GRACE) -> int:
        """Finish the moves interrupted by a crash; returns how many notes were settled."""
        return sum(self._resume_note(note, grace) for note in self.moves.every_note())

    # --- a run over many records ------------------------------------------------------------
    def run(
        self,
        criteria: ArchiveCriteria,
        *,
        dry_run: bool = False,
        progress: ArchiveProgress | None = None,
        sample_size: int = 20,
    ) -> ArchiveReport:
        """Archive every record matching ``criteria`` (an administrator's operation)."""
        clock = time.monotonic()
        report = ArchiveReport(
            dry_run=dry_run,
            criteria={
                "olderThanDays": criteria.older_than / timedelta(days=1)
                if criteria.older_than is not None
                else None,
                "level": criteria.level.value if criteria.level else None,
                "observation": criteria.observation,
            },
            storage_class=self.storage_class,
        )
        if not dry_run:
            report.resumed = self.resume()
        rows = self.records.candidates(criteria, utcnow())
        report.matched = len(rows)
        report.bytes_matched = sum(row.get("fileSize") or 0 for row in rows)
        report.sample = [
            {"id": str(r["_id"]), "fileName": r.get("fileName"), "filePath": r.get("filePath")}
            for r in rows[:sample_size]
        ]
        if dry_run:
            report.seconds = time.monotonic() - clock
            return report
        admin = AccessContext.admin()

        def archive_one(row: dict[str, Any]) -> MoveOutcome | JwstDataError | None:
            try:
                record = self.repo.get(row["_id"], admin)
                if is_processing_output(record):
                    return None  # archived with its source, never on its own
                return self._followed(self._archive(record))
            except NotFoundError:
                return None  # deleted since it was selected
            except JwstDataError as exc:
                return exc

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for done, (row, outcome) in enumerate(
                zip(rows, pool.map(archive_one, rows), strict=True), start=1
            ):
                if isinstance(outcome, JwstDataError):
                    report.fail(row["_id"], outcome.message)
                elif outcome is not None and outcome.status == "archived":
                    report.archived += 1
                    report.files_moved += outcome.moved
                    report.bytes_moved += outcome.bytes if outcome.moved else 0
                    report.reused_copies += outcome.reused_copy
                if progress:
                    progress(done, len(rows))
        report.seconds = time.monotonic() - clock
        return report


__all__ = [
    "MOVES_COLLECTION",
    "ArchiveCopyError",
    "ArchiveCriteria",
    "ArchiveReport",
    "ArchiveService",
    "MoveOutcome",
]
