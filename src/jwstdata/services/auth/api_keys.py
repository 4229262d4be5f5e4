"""API keys for scripts (``api_keys``): shown once, stored as a SHA-256 hash, revocable.

A key reads ``jwst_<prefix>_<secret>``: the 12-hex-digit prefix is public (it is listed,
and finds the stored key); the secret is 43 URL-safe characters (256 random bits), which
is why a fast hash is enough. ``lastUsedAt`` is written at most once a minute per key.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import index_hint
from jwstdata.errors import AuthenticationError, NotFoundError, ValidationError
from jwstdata.models.user import ApiKeyCreated, ApiKeyInfo
from jwstdata.services.auth.refresh import token_hash

BY_PREFIX = "prefix_unique"
BY_OWNER = "owner_keys"
ID_INDEX = "_id_"
KEY_SCHEME = "jwst"
NAME_MAX_LENGTH = 100
LAST_USED_RESOLUTION = timedelta(minutes=1)
INVALID_KEY = "invalid API key"
_KEY = re.compile(rf"^{KEY_SCHEME}_(?P<prefix>[0-9a-f]{{12}})_[A-Za-z0-9_-]{{43}}$")
_INFO_FIELDS = {"name": 1, "prefix": 1, "createdAt": 1, "lastUsedAt": 1, "revokedAt": 1}


def _info(doc: dict[str, Any]) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=doc["_id"],
        name=doc["name"],
        prefix=doc["prefix"],
        created_at=doc["createdAt"],
        last_used_at=doc.get("lastUsedAt"),
        revoked=doc.get("revokedAt") is not None,
    )


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValidationError.from_fields(
            [{"field": "name", "message": f"must be 1 to {NAME_MAX_LENGTH} characters"}]
        )
    return name


class ApiKeyStore:
    def __init__(self, collection: Collection, clock: Callable[[], datetime]) -> None:
        self.collection = collection
        self.clock = clock

    def create(self, user_id: ObjectId, name: str) -> ApiKeyCreated:
        name = _checked_name(name)
        now = self.clock()
        with translate_errors():
            for attempt in range(3):
                prefix = secrets.token_hex(6)
                key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
                doc = {
                    "_id": ObjectId(),
                    "userId": user_id,
                    "name": name,
                    "prefix": prefix,
                    "keyHash": token_hash(key),
                    "createdAt": now,
                    "lastUsedAt": None,
                    "revokedAt": None,
                }
                try:
                    self.collection.insert_one(doc)
                    break
                except DuplicateKeyError:  # a 48-bit prefix collision: draw again
                    if attempt == 2:
                        raise
        return ApiKeyCreated(**_info(doc).model_dump(), key=key)

    def list(self, user_id: ObjectId) -> list[ApiKeyInfo]:
        with translate_errors():
            cursor = (
                self.collection.find({"userId": user_id}, _INFO_FIELDS)
                .sort([("createdAt", -1), ("_id", -1)])
                .hint(index_hint(self.collection, BY_OWNER))
            )
            return [_info(doc) for doc in cursor]

    def revoke(self, key_id: ObjectId, owner: ObjectId | None) -> ApiKeyInfo:
        """Revoke a key (idempotent). ``owner`` None means an admin: any key may go."""
        query: dict[str, Any] = {"_id": key_id}
        if owner is not None:
            query["userId"] = owner
        with translate_errors():
            self.collection.update_one(
                {**query, "revokedAt": None},
                {"$set": {"revokedAt": self.clock()}},
                hint=index_hint(self.collection, ID_INDEX),
            )
            doc = self.collection.find_one(
                query, _INFO_FIELDS, hint=index_hint(self.collection, ID_INDEX)
            )
        if doc is None:
            raise NotFoundError(f"API key {key_id} not found")
        return _info(doc)

    def verify(self, key: str) -> ObjectId:
        """The owner of a valid, unrevoked key; AuthenticationError otherwise."""
        match = _KEY.match(key)
        if match is None:
            raise AuthenticationError(INVALID_KEY)
        with translate_errors():
            doc = self.collection.find_one(
                {"prefix": match["prefix"]},
                {"userId": 1, "keyHash": 1, "revokedAt": 1},
                hint=index_hint(self.collection, BY_PREFIX),
            )
        if (
            doc is None
            or not hmac.compare_digest(doc["keyHash"], token_hash(key))
            or doc.get("revokedAt") is not None
        ):
            raise AuthenticationError(INVALID_KEY)
        now = self.clock()
        with translate_errors():
            self.collection.update_one(
                {
                    "_id": doc["_id"],
                    "$or": [
                        {"lastUsedAt": None},
                        {"lastUsedAt": {"$lte": now - LAST_USED_RESOLUTION}},
                    ],
                },
                {"$set": {"lastUsedAt": now}},
                hint=index_hint(self.collection, ID_INDEX),
            )
        return doc["userId"]
