"""The refresh tokens (``refresh_tokens``), stored by their SHA-256 hash.

Rotation and reuse detection are the refresh service's
(:mod:`jwstdata.services.auth.refresh`); this store keeps the token documents: one per
issued token, grouped by ``familyId`` (one login and its rotations) and ``userId``.
"""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from pymongo.collection import Collection

from jwstdata.db.auth_indexes import REFRESH_TOKENS
from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.hints import index_hint

BY_HASH = "token_hash_unique"
BY_FAMILY = "family"
BY_USER = "user_tokens"


class RefreshTokens:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    @classmethod
    def for_database(cls, handle: DatabaseHandle) -> RefreshTokens:
        return cls(handle.db[REFRESH_TOKENS])

    def add(
        self,
        digest: str,
        user_id: ObjectId,
        family_id: ObjectId | None,
        now: datetime,
        expires_at: datetime,
    ) -> ObjectId:
        """Store a new token (in a new family unless ``family_id``); its document id."""
        doc_id = ObjectId()
        with translate_errors():
            self.collection.insert_one(
                {
                    "_id": doc_id,
                    "tokenHash": digest,
                    "familyId": family_id or ObjectId(),
                    "userId": user_id,
                    "createdAt": now,
                    "expiresAt": expires_at,
                    "usedAt": None,
                    "revokedAt": None,
                }
            )
        return doc_id

    def mark_used(self, digest: str, now: datetime) -> tuple[ObjectId, ObjectId] | None:
        """Mark a live (unused, unrevoked, unexpired) token used: ``(user id, family id)``,
        or None when there is no such token."""
        with translate_errors():
            doc = self.collection.find_one_and_update(
                {
                    "tokenHash": digest,
                    "usedAt": None,
                    "revokedAt": None,
                    "expiresAt": {"$gt": now},
                },
                {"$set": {"usedAt": now}},
                hint=index_hint(self.collection, BY_HASH),
            )
        return None if doc is None else (doc["userId"], doc["familyId"])

    def used_family(self, digest: str) -> ObjectId | None:
        """The family of a token that was already used, None for any other token."""
        with translate_errors():
            previous = self.collection.find_one(
                {"tokenHash": digest}, hint=index_hint(self.collection, BY_HASH)
            )
        if previous is not None and previous.get("usedAt") is not None:
            return previous["familyId"]
        return None

    def family_of(self, digest: str) -> ObjectId | None:
        with translate_errors():
            doc = self.collection.find_one(
                {"tokenHash": digest}, {"familyId": 1}, hint=index_hint(self.collection, BY_HASH)
            )
        return None if doc is None else doc["familyId"]

    def is_live(self, token_id: ObjectId) -> bool:
        """Whether the token document ``token_id`` still exists, unrevoked (by ``_id``)."""
        with translate_errors():
            doc = self.collection.find_one({"_id": token_id}, {"revokedAt": 1})
        return doc is not None and doc.get("revokedAt") is None

    def revoke_family(self, family_id: ObjectId, now: datetime) -> int:
        with translate_errors():
            result = self.collection.update_many(
                {"familyId": family_id, "revokedAt": None},
                {"$set": {"revokedAt": now}},
                hint=index_hint(self.collection, BY_FAMILY),
            )
        return result.modified_count

    def revoke_user(self, user_id: ObjectId, now: datetime) -> int:
        with translate_errors():
            result = self.collection.update_many(
                {"userId": user_id, "revokedAt": None},
                {"$set": {"revokedAt": now}},
                hint=index_hint(self.collection, BY_USER),
            )
        return result.modified_count
