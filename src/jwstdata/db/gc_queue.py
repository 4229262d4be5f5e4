"""The storage garbage-collection queue (``storage_gc``): deletions that failed.

When storage is down, a file that nothing should point to any more cannot be deleted; its
key is queued here, once per (storage provider, key) (the unique ``gc_key`` index), and
collected later. Which keys to queue and when a queued key may really be deleted are the
services' rules; this class only stores and reads the queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymongo.database import Database

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.indexes import GC
from jwstdata.models.base import utcnow

if TYPE_CHECKING:
    from jwstdata.db.records import RecordRepository


@dataclass(frozen=True, slots=True)
class QueuedDeletion:
    """One queued key; ``entry_id`` names the queue entry to drop once it is settled."""

    entry_id: Any
    key: str


class GarbageQueue:
    def __init__(self, database: Database, redacted_uri: str = "") -> None:
        self.collection = database[GC]
        self._uri = redacted_uri

    @classmethod
    def beside(cls, repo: RecordRepository) -> GarbageQueue:
        """The queue in the database of ``repo``'s records."""
        return cls(repo.collection.database)

    def enqueue(self, storage: str, key: str) -> None:
        """Queue ``key`` of ``storage`` (again: its attempt count goes up)."""
        with translate_errors(self._uri):
            self.collection.update_one(
                {"storage": storage, "key": key},
                {"$setOnInsert": {"queuedAt": utcnow()}, "$inc": {"attempts": 1}},
                upsert=True,
                hint=index_hint(self.collection, "gc_key"),
            )

    def pending(self, storage: str, limit: int) -> list[QueuedDeletion]:
        """Up to ``limit`` queued keys of ``storage``."""
        with translate_errors(self._uri):
            docs = list(
                self.collection.find(
                    {"storage": storage}, hint=index_hint(self.collection, "gc_key")
                ).limit(limit)
            )
        return [QueuedDeletion(doc["_id"], doc["key"]) for doc in docs]

    def settle(self, entry: QueuedDeletion) -> None:
        """Drop a queue entry (its key was deleted, or is in use again)."""
        with translate_errors(self._uri):
            self.collection.delete_one(
                {"_id": entry.entry_id}, hint=index_hint(self.collection, ID_INDEX)
            )

    def queued_keys(self, storage: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` of ``storage`` are queued for deletion."""
        with translate_errors(self._uri):
            docs = self.collection.find(
                {"storage": storage, "key": {"$in": list(keys)}},
                {"key": 1},
                hint=index_hint(self.collection, "gc_key"),
            )
            return {d["key"] for d in docs}
