"""Login rate limits, kept in MongoDB (``login_attempts``) so every server process agrees.

Two kinds of counter, one document each, keyed by ``key``:

- ``client:<client>:<minute>`` counts every login attempt from one client in one clock
  minute; more than ``login_rate_per_minute`` is refused until the minute ends.
- ``user:<name>`` counts consecutive failed logins for one user name (existing or not, so
  the answer does not reveal which names exist). Reaching ``login_max_failures`` locks the
  name for ``login_lockout_seconds``; a successful login clears the counter.

Counters carry ``expiresAt`` for the TTL index; expiry is also checked here, against the
service's clock, so the rules hold whether or not the server has cleaned up yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from jwstdata.config import Settings
from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import index_hint
from jwstdata.errors import RateLimitedError

BY_KEY = "attempt_key_unique"
WINDOW = timedelta(minutes=1)
# How long failed attempts are remembered after the last one.
FAILURE_MEMORY = timedelta(hours=24)
_MAX_KEY_PART = 200


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


class LoginLimiter:
    def __init__(
        self, collection: Collection, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        self.collection = collection
        self.settings = settings
        self.clock = clock

    def count_client_attempt(self, client: str) -> None:
        """Count one attempt from ``client``; RateLimitedError once over the minute's limit."""
        now = self.clock()
        minute = int(now.timestamp() // WINDOW.total_seconds())
        window_end = datetime.fromtimestamp((minute + 1) * WINDOW.total_seconds(), tz=now.tzinfo)
        doc = self._upsert(
            f"client:{client[:_MAX_KEY_PART]}:{minute}",
            {"$inc": {"count": 1}, "$setOnInsert": {"expiresAt": window_end + WINDOW}},
        )
        if doc["count"] > self.settings.login_rate_per_minute:
            raise RateLimitedError(
                "too many login attempts from this client; try again shortly",
                retry_after=_seconds_until(window_end, now),
            )

    def check_user(self, name_key: str) -> None:
        """RateLimitedError while the user name is locked out."""
        now = self.clock()
        with translate_errors():
            doc = self.collection.find_one(
                {"key": _user_key(name_key)}, hint=index_hint(self.collection, BY_KEY)
            )
        locked_until = (doc or {}).get("lockedUntil")
        if locked_until is not None and locked_until > now:
            raise RateLimitedError(
                "too many failed logins for this user; try again later",
                retry_after=_seconds_until(locked_until, now),
            )

    def record_failure(self, name_key: str) -> None:
        now = self.clock()
        key = _user_key(name_key)
        limit = self.settings.login_max_failures
        with translate_errors():
            # A counter whose memory ran out (or whose lockout passed) starts again at zero.
            self.collection.update_one(
                {"key": key, "expiresAt": {"$lte": now}},
                {"$set": {"failures": 0}, "$unset": {"lockedUntil": ""}},
                hint=index_hint(self.collection, BY_KEY),
            )
        doc = self._upsert(
            key, {"$inc": {"failures": 1}, "$set": {"expiresAt": now + FAILURE_MEMORY}}
        )
        if doc["failures"] < limit:
            return
        locked_until = now + timedelta(seconds=self.settings.login_lockout_seconds)
        with translate_errors():
            # Conditional, so concurrent failures past the limit lock once, not repeatedly.
            self.collection.update_one(
                {"key": key, "failures": {"$gte": limit}},
                {
                    "$set": {
                        "failures": 0,
                        "lockedUntil": locked_until,
                        "expiresAt": max(now + FAILURE_MEMORY, locked_until),
                    }
                },
                hint=index_hint(self.collection, BY_KEY),
            )

    def record_success(self, name_key: str) -> None:
        now = self.clock()
        with translate_errors():
            self.collection.delete_one(
                {
                    "key": _user_key(name_key),
                    "$or": [{"lockedUntil": {"$exists": False}}, {"lockedUntil": {"$lte": now}}],
                },
                hint=index_hint(self.collection, BY_KEY),
            )

    def _upsert(self, key: str, update: dict[str, Any]) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            return self.collection.find_one_and_update(
                {"key": key},
                update,
                upsert=True,
                hint=index_hint(self.collection, BY_KEY),
                return_document=ReturnDocument.AFTER,
            )

        with translate_errors():
            try:
                return run()
            except DuplicateKeyError:
                # Two first attempts raced to insert the counter; the loser updates it.
                return run()


def _user_key(name_key: str) -> str:
    return f"user:{name_key[:_MAX_KEY_PART]}"
