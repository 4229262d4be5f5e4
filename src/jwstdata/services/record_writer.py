"""Writing records for stored files: insert new ones, update re-ingested ones, clean up.

The identity of a stored file is (owner, storage key), enforced by a unique index. A
record that cannot be written has its freshly stored file removed; removal that fails
(storage down) is queued in ``storage_gc`` and collected later, so nothing is orphaned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from jwstdata.db.gc_queue import GarbageQueue
from jwstdata.db.indexes import GC
from jwstdata.db.record_files import FieldRewrite, RecordFiles
from jwstdata.db.records import RecordRepository, to_stored
from jwstdata.errors import JwstDataError
from jwstdata.models import JwstDataModel, utcnow
from jwstdata.storage import StorageProvider

GC_COLLECTION = GC
# Fields a re-ingest keeps from the existing record (user edits, links, history).
KEPT_ON_UPDATE = (
    "_id",
    "createdAt",
    "description",
    "sharedWith",
    "processingResults",
    "processingStatus",  # follows the record's jobs, not the file
    "parentId",
    "derivedFrom",
    "isArchived",
    "archivedDate",
    "isPublic",
)


@dataclass
class UpsertOutcome:
    inserted: int = 0
    updated: int = 0
    ids: list[ObjectId] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # index in the input -> reason


class RecordWriter:
    def __init__(self, repo: RecordRepository, storage: StorageProvider) -> None:
        self.repo = repo
        self.storage = storage
        self.files = RecordFiles.of(repo)
        self.gc = GarbageQueue.beside(repo)

    def upsert(
        self, records: list[JwstDataModel], *, owner: ObjectId | None, remove_files_on_failure: bool
    ) -> UpsertOutcome:
        outcome = UpsertOutcome()
        last_for_key: dict[str, int] = {}
        for index, record in enumerate(records):
            if record.file_path in last_for_key:
                outcome.failed[last_for_key[record.file_path]] = (
                    f"same storage key {record.file_path} as a later file in this batch"
                )
            last_for_key[record.file_path] = index
        chosen = sorted(last_for_key.values())
        existing = self.files.stored_at(owner, list(last_for_key))
        inserts = [i for i in chosen if records[i].file_path not in existing]
        updates = [i for i in chosen if records[i].file_path in existing]
        report = self.repo.bulk_insert([records[i] for i in inserts])
        failed_local = {f["index"]: f for f in report.failed}
        for local, index in enumerate(inserts):
            if local in failed_local:
                failure = failed_local[local]
                outcome.failed[index] = failure["message"]
                if remove_files_on_failure and failure["code"] != "duplicate":
                    self.discard_file(records[index].file_path)
        outcome.inserted = len(report.inserted_ids)
        outcome.ids += report.inserted_ids
        self._update(records, updates, existing, outcome)
        return outcome

    def _update(
        self,
        records: list[JwstDataModel],
        indexes: list[int],
        existing: dict[str, dict[str, Any]],
        outcome: UpsertOutcome,
    ) -> None:
        if not indexes:
            return
        rewrites: list[FieldRewrite] = []
        written: list[dict[str, Any]] = []  # the $set of each operation, for the counters
        for index in indexes:
            old = existing[records[index].file_path]
            doc = to_stored(records[index])
            for key in KEPT_ON_UPDATE:
                if key in old:
                    doc[key] = old[key]
            doc["tags"] = list(dict.fromkeys([*old.get("tags", []), *doc.get("tags", [])]))
            doc["updatedAt"] = utcnow()
            doc.pop("version", None)
            _id = doc.pop("_id")
            written.append(doc)
            rewrites.append(FieldRewrite(_id, old.get("version", 1), doc))
        failed = self.files.rewrite(rewrites)
        for local, message in failed.items():
            outcome.failed[indexes[local]] = message
        changes = []
        for local, index in enumerate(indexes):
            if local not in failed:
                old = existing[records[index].file_path]
                outcome.updated += 1
                outcome.ids.append(old["_id"])
                changes.append((old, {**old, **written[local]}))
        self.repo.counters.apply(changes)

    # --- file clean-up ------------------------------------------------------------------
    def discard_file(self, key: str | None) -> bool:
        """Delete ``key`` now, or queue it for collection if storage is unavailable."""
        if not key:
            return True
        try:
            self.storage.delete(key)
            return True
        except JwstDataError:
            self.gc.enqueue(self.storage.describe(), key)
            return False

    def collect_garbage(self, limit: int = 1000) -> dict[str, int]:
        """Retry queued deletions; keys that some record uses again are kept."""
        removed = kept = still_failing = 0
        for entry in self.gc.pending(self.storage.describe(), limit):
            if self.repo.key_in_use(entry.key):
                kept += 1
            else:
                try:
                    self.storage.delete(entry.key)
                    removed += 1
                except JwstDataError:
                    still_failing += 1
                    continue
            self.gc.settle(entry)
        return {"removed": removed, "kept": kept, "failing": still_failing}


def collect_queued(writer: RecordWriter, batch: int = 1000) -> dict[str, int]:
    """Retry every queued deletion for ``writer``'s storage; totals of removed/kept/failing.

    Stops when a round removes nothing more: what still fails stays queued for next time.
    """
    totals = {"removed": 0, "kept": 0, "failing": 0}
    while True:
        outcome = writer.collect_garbage(limit=batch)
        totals["removed"] += outcome["removed"]
        totals["kept"] += outcome["kept"]
        totals["failing"] = outcome["failing"]
        handled = outcome["removed"] + outcome["kept"]
        if handled == 0 or handled + outcome["failing"] < batch:
            return totals
