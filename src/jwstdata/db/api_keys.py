"""The API keys (``api_keys``): found by their public prefix, listed per owner.

Key format, hashing and verification are the API key service's
(:mod:`jwstdata.services.auth.api_keys`); this store keeps the documents. The hash leaves it
only through :meth:`ApiKeys.find_by_prefix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from jwstdata.db.auth_indexes import API_KEYS
from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.models.user import ApiKeyInfo

BY_PREFIX = "prefix_unique"
BY_OWNER = "owner_keys"
_INFO_FIELDS = {"name": 1, "prefix": 1, "createdAt": 1, "lastUsedAt": 1, "revokedAt": 1}


@dataclass(frozen=True, slots=True)
class StoredKey:
    """What verifying a key needs: its owner, its hash and whether it was revoked."""

    id: ObjectId
    user_id: ObjectId
    key_hash: str
    revoked: bool


def _info(doc: dict[str, Any]) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=doc["_id"],
        name=doc["name"],
        prefix=doc["prefix"],
        created_at=doc["createdAt"],
        last_used_at=doc.get("lastUsedAt"),
        revoked=doc.get("revokedAt") is not None,
    )


class ApiKeys:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    @classmethod
    def for_database(cls, handle: DatabaseHandle) -> ApiKeys:
        return cls(handle.db[API_KEYS])

    def add(
        self, user_id: ObjectId, name: str, prefix: str, key_hash: str, now: datetime
    ) -> ApiKeyInfo | None:
        """Store a new key; None when ``prefix`` is already taken (draw another)."""
        doc = {
            "_id": ObjectId(),
            "userId": user_id,
            "name": name,
            "prefix": prefix,
            "keyHash": key_hash,
            "createdAt": now,
            "lastUsedAt": None,
            "revokedAt": None,
        }
        with translate_errors():
            try:
                self.collection.insert_one(doc)
            except DuplicateKeyError:
                return None
        return _info(doc)

    def list_for(self, user_id: ObjectId) -> list[ApiKeyInfo]:
        """A user's keys, newest first."""
        with translate_errors():
            cursor = (
                self.collection.find({"userId": user_id}, _INFO_FIELDS)
                .sort([("createdAt", -1), ("_id", -1)])
                .hint(index_hint(self.collection, BY_OWNER))
            )
            return [_info(doc) for doc in cursor]

    def revoke(self, key_id: ObjectId, owner: ObjectId | None, now: datetime) -> ApiKeyInfo | None:
        """Revoke a key (idempotent) of ``owner`` (None: anyone's); None if there is none."""
        query: dict[str, Any] = {"_id": key_id}
        if owner is not None:
            query["userId"] = owner
        with translate_errors():
            self.collection.update_one(
                {**query, "revokedAt": None},
                {"$set": {"revokedAt": now}},
                hint=index_hint(self.collection, ID_INDEX),
            )
            doc = self.collection.find_one(
                query, _INFO_FIELDS, hint=index_hint(self.collection, ID_INDEX)
            )
        return None if doc is None else _info(doc)

    def find_by_prefix(self, prefix: str) -> StoredKey | None:
        with translate_errors():
            doc = self.collection.find_one(
                {"prefix": prefix},
                {"userId": 1, "keyHash": 1, "revokedAt": 1},
                hint=index_hint(self.collection, BY_PREFIX),
            )
        if doc is None:
            return None
        revoked = doc.get("revokedAt") is not None
        return StoredKey(doc["_id"], doc["userId"], doc["keyHash"], revoked)

    def mark_used(self, key_id: ObjectId, now: datetime, resolution: timedelta) -> None:
        """Set ``lastUsedAt`` unless it was set less than ``resolution`` ago."""
        with translate_errors():
            self.collection.update_one(
                {
                    "_id": key_id,
                    "$or": [
                        {"lastUsedAt": None},
                        {"lastUsedAt": {"$lte": now - resolution}},
                    ],
                },
                {"$set": {"lastUsedAt": now}},
                hint=index_hint(self.collection, ID_INDEX),
            )
