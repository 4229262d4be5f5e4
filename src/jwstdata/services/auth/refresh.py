"""Rotating refresh tokens (``refresh_tokens``), stored only as SHA-256 hashes.

Every login starts a *family*. Each refresh marks the presented token used and issues its
successor in the same family. A token presented a second time means it was copied: the
whole family is revoked, so both the thief and the victim must log in again.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from bson import ObjectId
from pymongo.collection import Collection

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import index_hint
from jwstdata.errors import AuthenticationError

BY_HASH = "token_hash_unique"
BY_FAMILY = "family"
BY_USER = "user_tokens"
INVALID_REFRESH = "invalid or expired refresh token"


def token_hash(token: str) -> str:
    """High-entropy random tokens need no salt or slow hash: SHA-256 is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RefreshTokenStore:
    def __init__(
        self, collection: Collection, clock: Callable[[], datetime], lifetime: timedelta
    ) -> None:
        self.collection = collection
        self.clock = clock
        self.lifetime = lifetime

    def issue(self, user_id: ObjectId, family_id: ObjectId | None = None) -> tuple[str, ObjectId]:
        """A new token for ``user_id`` (a new family, or the next one in ``family_id``), and
        the id of its stored document: the session id access tokens issued with it carry."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        doc_id = ObjectId()
        with translate_errors():
            self.collection.insert_one(
                {
                    "_id": doc_id,
                    "tokenHash": token_hash(token),
                    "familyId": family_id or ObjectId(),
                    "userId": user_id,
                    "createdAt": now,
                    "expiresAt": now + self.lifetime,
                    "usedAt": None,
                    "revokedAt": None,
                }
            )
        return token, doc_id

    def use(self, token: str) -> tuple[ObjectId, ObjectId]:
        """Mark a live token used; ``(user id, family id)``. Reuse revokes the family."""
        digest = token_hash(token)
        now = self.clock()
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
            if doc is None:
                previous = self.collection.find_one(
                    {"tokenHash": digest}, hint=index_hint(self.collection, BY_HASH)
                )
                if previous is not None and previous.get("usedAt") is not None:
                    self.revoke_family(previous["familyId"])
                raise AuthenticationError(INVALID_REFRESH)
        return doc["userId"], doc["familyId"]

    def revoke_token_family(self, token: str) -> bool:
        """Revoke the family ``token`` belongs to (logout); False when it is unknown."""
        with translate_errors():
            doc = self.collection.find_one(
                {"tokenHash": token_hash(token)},
                {"familyId": 1},
                hint=index_hint(self.collection, BY_HASH),
            )
        if doc is None:
            return False
        self.revoke_family(doc["familyId"])
        return True

    def session_active(self, session_id: ObjectId) -> bool:
        """False once the session an access token was issued in has ended.

        ``session_id`` is the refresh token issued together with the access token.
        Revocation (logout, reuse, password change, disabling) marks every token of the
        family, this one included; a token already removed (expired) also ends it. One
        look-up by ``_id``.
        """
        with translate_errors():
            doc = self.collection.find_one({"_id": session_id}, {"revokedAt": 1})
        return doc is not None and doc.get("revokedAt") is None

    def revoke_family(self, family_id: ObjectId) -> int:
        with translate_errors():
            result = self.collection.update_many(
                {"familyId": family_id, "revokedAt": None},
                {"$set": {"revokedAt": self.clock()}},
                hint=index_hint(self.collection, BY_FAMILY),
            )
        return result.modified_count

    def revoke_user(self, user_id: ObjectId) -> int:
        """Revoke every session of a user (on disabling it or changing its password)."""
        with translate_errors():
            result = self.collection.update_many(
                {"userId": user_id, "revokedAt": None},
                {"$set": {"revokedAt": self.clock()}},
                hint=index_hint(self.collection, BY_USER),
            )
        return result.modified_count
