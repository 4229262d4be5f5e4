"""The records as the storage side sees them: which files they name, and their file state.

Storage verification, migration and re-ingest walk or rewrite the records by their file:
this class holds those queries on ``jwst_data`` (by keyset over ``_id``, on the
``file_path`` and ``owner_path_unique`` indexes). Every write matches the version the
caller read, so a concurrent change wins and is reported rather than overwritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from jwstdata.db.connection import translate_errors, translate_write_error
from jwstdata.db.hints import ID_INDEX, find_in, index_hint
from jwstdata.db.portable import group
from jwstdata.models.base import utcnow

if TYPE_CHECKING:
    from jwstdata.db.records import RecordRepository

HAS_FILE: dict[str, Any] = {"filePath": {"$type": "string"}}
RECORD_PROJECTION = {"filePath": 1, "fileSize": 1, "checksum": 1, "fileMissing": 1, "version": 1}


@dataclass(frozen=True, slots=True)
class RecordFile:
    """The part of a record that names and describes its file."""

    id: ObjectId
    key: str
    size: int | None
    checksum: str | None
    marked_missing: bool
    version: int

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> RecordFile:
        return cls(
            id=doc["_id"],
            key=doc["filePath"],
            size=doc.get("fileSize"),
            checksum=doc.get("checksum"),
            marked_missing=bool(doc.get("fileMissing")),
            version=int(doc.get("version", 1)),
        )


@dataclass(frozen=True, slots=True)
class FieldRewrite:
    """Replace fields of one record, if it is still at ``version`` (the version goes up)."""

    record_id: ObjectId
    version: int
    fields: dict[str, Any]


class RecordFiles:
    def __init__(self, collection: Collection, redacted_uri: str = "") -> None:
        self.collection = collection
        self._uri = redacted_uri

    @classmethod
    def of(cls, repo: RecordRepository) -> RecordFiles:
        """The file-side queries on ``repo``'s records."""
        return cls(repo.collection)

    # --- walking ------------------------------------------------------------------------
    def totals(self) -> tuple[int, int]:
        """``(records with a file, sum of their fileSize)``, counted on the ``file_path`` index."""
        with translate_errors(self._uri):
            # ``$sum`` skips missing sizes; portable.group copes with servers whose $group
            # computes only one accumulator.
            rows = group(
                self.collection,
                HAS_FILE,
                None,
                {"files": {"$sum": 1}, "bytes": {"$sum": "$fileSize"}},
                hint=index_hint(self.collection, "file_path"),
            )
        return (int(rows[0]["files"]), int(rows[0]["bytes"])) if rows else (0, 0)

    def batches(self, batch_size: int) -> Iterator[list[RecordFile]]:
        """Every record with a file, by keyset over ``_id``: one short query per batch."""
        last: ObjectId | None = None
        while True:
            query = HAS_FILE if last is None else {**HAS_FILE, "_id": {"$gt": last}}
            with translate_errors(self._uri):
                docs = list(
                    self.collection.find(query, RECORD_PROJECTION)
                    .sort("_id", 1)
                    .hint(index_hint(self.collection, ID_INDEX))
                    .limit(batch_size)
                )
            if not docs:
                return
            last = docs[-1]["_id"]
            yield [RecordFile.from_document(doc) for doc in docs]

    def versions(self, ids: list[ObjectId]) -> dict[ObjectId, tuple[str | None, int]]:
        """``id -> (filePath, version)`` of those of ``ids`` that still exist."""
        if not ids:
            return {}
        fields = {"filePath": 1, "version": 1}
        with translate_errors(self._uri):
            return {
                d["_id"]: (d.get("filePath"), int(d.get("version", 1)))
                for d in find_in(self.collection, "_id", ids, projection=fields, index=ID_INDEX)
            }

    def file_path(self, record_id: ObjectId) -> str | None:
        """The record's current ``filePath`` (None when it has none, or is gone)."""
        with translate_errors(self._uri):
            doc = self.collection.find_one(
                {"_id": record_id}, {"filePath": 1}, hint=index_hint(self.collection, ID_INDEX)
            )
        return doc.get("filePath") if doc is not None else None

    # --- file state ---------------------------------------------------------------------
    def set_missing(self, records: list[RecordFile], missing: bool) -> int:
        """Set or clear ``fileMissing`` on records still at the key and version read;
        how many changed."""
        if not records:
            return 0
        updates = [
            UpdateOne(
                {"_id": record.id, "filePath": record.key, "version": record.version},
                {"$set": {"fileMissing": missing, "updatedAt": utcnow()}, "$inc": {"version": 1}},
            )
            for record in records
        ]
        with translate_errors(self._uri):
            return self.collection.bulk_write(updates, ordered=False).modified_count

    # --- re-ingest ----------------------------------------------------------------------
    def stored_at(self, owner: ObjectId | None, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The records of ``owner`` at the storage keys ``keys``, by key (whole documents)."""
        with translate_errors(self._uri):
            return {
                doc["filePath"]: doc
                for doc in find_in(
                    self.collection, "filePath", keys, {"userId": owner}, index="owner_path_unique"
                )
            }

    def rewrite(self, rewrites: list[FieldRewrite]) -> dict[int, str]:
        """Apply every rewrite (unordered); the failures, by position in ``rewrites``."""
        if not rewrites:
            return {}
        operations = [
            UpdateOne(
                {"_id": r.record_id, "version": r.version},
                {"$set": r.fields, "$inc": {"version": 1}},
            )
            for r in rewrites
        ]
        failed: dict[int, str] = {}
        try:
            with translate_errors(self._uri):
                self.collection.bulk_write(operations, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                failed[error["index"]] = translate_write_error(error).message
        return failed
