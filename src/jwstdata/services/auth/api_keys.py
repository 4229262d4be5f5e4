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

from bson import ObjectId

from jwstdata.db.api_keys import ApiKeys
from jwstdata.db.connection import duplicate_of
from jwstdata.errors import AuthenticationError, NotFoundError, ValidationError
from jwstdata.models.user import ApiKeyCreated, ApiKeyInfo
from jwstdata.services.auth.refresh import token_hash

KEY_SCHEME = "jwst"
NAME_MAX_LENGTH = 100
LAST_USED_RESOLUTION = timedelta(minutes=1)
INVALID_KEY = "invalid API key"
_KEY = re.compile(rf"^{KEY_SCHEME}_(?P<prefix>[0-9a-f]{{12}})_[A-Za-z0-9_-]{{43}}$")
_PREFIX_DRAWS = 3


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValidationError.from_fields(
            [{"field": "name", "message": f"must be 1 to {NAME_MAX_LENGTH} characters"}]
        )
    return name


class ApiKeyStore:
    def __init__(self, keys: ApiKeys, clock: Callable[[], datetime]) -> None:
        self.keys = keys
        self.clock = clock

    def create(self, user_id: ObjectId, name: str) -> ApiKeyCreated:
        name = _checked_name(name)
        now = self.clock()
        for _ in range(_PREFIX_DRAWS):
            prefix = secrets.token_hex(6)
            key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
            info = self.keys.add(user_id, name, prefix, token_hash(key), now)
            if info is not None:
                return ApiKeyCreated(**info.model_dump(), key=key)
            # A 48-bit prefix collision: draw again.
        raise duplicate_of(["prefix"])

    def list(self, user_id: ObjectId) -> list[ApiKeyInfo]:
        return self.keys.list_for(user_id)

    def revoke(self, key_id: ObjectId, owner: ObjectId | None) -> ApiKeyInfo:
        """Revoke a key (idempotent). ``owner`` None means an admin: any key may go."""
        info = self.keys.revoke(key_id, owner, self.clock())
        if info is None:
            raise NotFoundError(f"API key {key_id} not found")
        return info

    def verify(self, key: str) -> ObjectId:
        """The owner of a valid, unrevoked key; AuthenticationError otherwise."""
        match = _KEY.match(key)
        if match is None:
            raise AuthenticationError(INVALID_KEY)
        stored = self.keys.find_by_prefix(match["prefix"])
        if (
            stored is None
            or not hmac.compare_digest(stored.key_hash, token_hash(key))
            or stored.revoked
        ):
            raise AuthenticationError(INVALID_KEY)
        self.keys.mark_used(stored.id, self.clock(), LAST_USED_RESOLUTION)
        return stored.user_id
