"""Walking the records that have files, and hashing stored objects: shared by verify and migrate."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import index_hint
from jwstdata.db.portable import group
from jwstdata.db.records import ID_INDEX, RecordRepository
from jwstdata.digests import sha256_of
from jwstdata.storage import StorageProvider

HAS_FILE: dict[str, Any] = {"filePath": {"$type": "string"}}
RECORD_PROJECTION = {"filePath": 1, "fileSize": 1, "checksum": 1, "fileMissing": 1, "version": 1}


def stream_sha256(storage: StorageProvider, key: str) -> tuple[int, str]:
    """``(size, sha256)`` of the stored object, read once as a stream (bounded memory)."""
    with storage.open_read(key) as stream:
        return sha256_of(stream)


def file_totals(repo: RecordRepository) -> tuple[int, int]:
    """``(records with a file, sum of their fileSize)``, counted on the ``file_path`` index."""
    with translate_errors():
        # ``$sum`` skips missing sizes; portable.group copes with servers whose $group
        # computes only one accumulator.
        rows = group(
            repo.collection,
            HAS_FILE,
            None,
            {"files": {"$sum": 1}, "bytes": {"$sum": "$fileSize"}},
            hint=index_hint(repo.collection, "file_path"),
        )
    return (int(rows[0]["files"]), int(rows[0]["bytes"])) if rows else (0, 0)


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


def record_batches(repo: RecordRepository, batch_size: int) -> Iterator[list[RecordFile]]:
    """Every record with a file, by keyset over ``_id``: one short query per batch."""
    last: ObjectId | None = None
    while True:
        query = HAS_FILE if last is None else {**HAS_FILE, "_id": {"$gt": last}}
        with translate_errors():
            docs = list(
                repo.collection.find(query, RECORD_PROJECTION)
                .sort("_id", 1)
                .hint(index_hint(repo.collection, ID_INDEX))
                .limit(batch_size)
            )
        if not docs:
            return
        last = docs[-1]["_id"]
        yield [RecordFile.from_document(doc) for doc in docs]
