"""The dashboard's sessions (``web_sessions``), looked up by ``_id`` only.

What a session holds and how it is sealed and renewed is :mod:`jwstdata.http.session`'s;
this store keeps the documents, and claims a renewal with a compare-and-set on
``generation`` so one request renews while the others wait.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection

from jwstdata.db.auth_indexes import WEB_SESSIONS
from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.setup import ensure_indexes

COLLECTION = WEB_SESSIONS


class WebSessions:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    @classmethod
    def for_database(cls, handle: DatabaseHandle) -> WebSessions:
        return cls(handle.db[COLLECTION])

    def ensure_indexes(self) -> None:
        """Expired sessions are removed by a TTL index (and ignored until then).

        On servers without TTL indexes the index is created plain and ``db init`` purges
        expired sessions (see db/portable.py).
        """
        with translate_errors():
            ensure_indexes(self.collection.database, [COLLECTION]).raise_failures()

    def add(self, doc: dict[str, Any]) -> None:
        """Store a new session document (``bytes`` values are stored as BSON binary)."""
        with translate_errors():
            self.collection.insert_one(doc)

    def find(self, key: str) -> dict[str, Any] | None:
        with translate_errors():
            return self.collection.find_one({"_id": key})

    def remove(self, key: str) -> None:
        with translate_errors():
            self.collection.delete_one({"_id": key})

    def claim_renewal(
        self, key: str, generation: int, now: datetime, until: datetime
    ) -> dict[str, Any] | None:
        """Claim the renewal of ``generation`` until ``until``; None when another request
        holds a live claim or already renewed it."""
        with translate_errors():
            return self.collection.find_one_and_update(
                {
                    "_id": key,
                    "generation": generation,
                    "$or": [{"renewingUntil": None}, {"renewingUntil": {"$lt": now}}],
                },
                {"$set": {"renewingUntil": until}},
                return_document=ReturnDocument.AFTER,
            )

    def save_renewal(self, key: str, fields: dict[str, Any]) -> None:
        """Store a renewal's result (``sealed`` tokens, next ``generation``, expiry)."""
        with translate_errors():
            self.collection.update_one({"_id": key}, {"$set": fields})
