"""The login counters (``login_attempts``): one document per counter, found by ``key``.

The rules (which keys, what limits, when a name is locked) are the login limiter's
(:mod:`jwstdata.services.auth.limits`); this store only counts, reserves and locks, each in
one conditional write whose filter is the counter's key alone or key + failures, the shapes
an index serves on every supported server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from jwstdata.db.auth_indexes import LOGIN_ATTEMPTS
from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.hints import index_hint

BY_KEY = "attempt_key_unique"
BY_KEY_FAILURES = "attempt_key_failures"
_UPSERT_TRIES = 5


@dataclass(frozen=True, slots=True)
class FailureCounter:
    """A user name's counter as stored: when it is forgotten, and any lockout."""

    id: Any
    expires_at: datetime
    locked_until: datetime | None


class LoginAttempts:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    @classmethod
    def for_database(cls, handle: DatabaseHandle) -> LoginAttempts:
        return cls(handle.db[LOGIN_ATTEMPTS])

    def count(self, key: str, expires_at: datetime) -> int:
        """Add one to the counter ``key`` (created with ``expires_at``); the new count."""

        def run() -> dict[str, Any] | None:
            return self.collection.find_one_and_update(
                {"key": key},
                {"$inc": {"count": 1}, "$setOnInsert": {"expiresAt": expires_at}},
                upsert=True,
                hint=index_hint(self.collection, BY_KEY),
                return_document=ReturnDocument.AFTER,
            )

        with translate_errors():
            # Parallel first attempts race to insert the counter: the loser gets a duplicate
            # key error (MongoDB, FerretDB) or, on SecantusDB, no document back at all. Either
            # way the counter exists now and the update is run again.
            for _ in range(_UPSERT_TRIES):
                try:
                    doc = run()
                except DuplicateKeyError:
                    continue
                if doc is not None:
                    return doc["count"]
        raise RuntimeError(f"login counter {key!r} could not be updated")

    def find_failures(self, key: str) -> FailureCounter | None:
        with translate_errors():
            doc = self.collection.find_one({"key": key}, hint=index_hint(self.collection, BY_KEY))
        if doc is None:
            return None
        return FailureCounter(doc["_id"], doc["expiresAt"], doc.get("lockedUntil"))

    def forget(self, counter: FailureCounter) -> None:
        with translate_errors():
            self.collection.delete_one({"_id": counter.id})

    def reserve(self, key: str, limit: int, expires_at: datetime) -> bool:
        """One more failure on ``key`` while it is below ``limit``; False at the limit or
        when the counter does not exist."""
        with translate_errors():
            doc = self.collection.find_one_and_update(
                {"key": key, "failures": {"$lt": limit}},
                {"$inc": {"failures": 1}, "$set": {"expiresAt": expires_at}},
                hint=index_hint(self.collection, BY_KEY_FAILURES),
                return_document=ReturnDocument.AFTER,
            )
        return doc is not None

    def start(self, key: str, expires_at: datetime) -> bool:
        """Create ``key`` with one failure; False when a parallel attempt created it first."""
        with translate_errors():
            try:
                self.collection.insert_one({"key": key, "failures": 1, "expiresAt": expires_at})
            except DuplicateKeyError:
                return False
        return True

    def lock(self, key: str, limit: int, locked_until: datetime, expires_at: datetime) -> None:
        """Lock ``key`` until ``locked_until`` if its failures reached ``limit``."""
        with translate_errors():
            self.collection.update_one(
                {"key": key, "failures": {"$gte": limit}},
                {"$set": {"lockedUntil": locked_until, "expiresAt": expires_at}},
                hint=index_hint(self.collection, BY_KEY_FAILURES),
            )
