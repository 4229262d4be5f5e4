"""Login rate limits, kept in MongoDB (``login_attempts``) so every server process agrees.

Two kinds of counter, one document each, keyed by ``key``:

- ``client:<client>:<minute>`` counts every login attempt from one client in one clock
  minute; more than ``login_rate_per_minute`` is refused until the minute ends.
- ``user:<name>`` counts login attempts in flight and failed for one user name (existing
  or not, so the answer does not reveal which names exist). Each attempt is reserved before
  its password is checked; reaching ``login_max_failures`` refuses further attempts and a
  failure at the limit locks the name for ``login_lockout_seconds``; a successful login
  clears the counter.

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
BY_KEY_FAILURES = "attempt_key_failures"
WINDOW = timedelta(minutes=1)
# How long failed attempts are remembered after the last one.
FAILURE_MEMORY = timedelta(hours=24)
_MAX_KEY_PART = 200
_UPSERT_TRIES = 5


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

    def reserve_attempt(self, name_key: str) -> None:
        """Count one attempt for the user name *before* its password is checked.

        The counter goes up in one conditional update (``failures`` below the limit), so
        parallel attempts cannot all pass a check made before any of them was counted: once
        ``login_max_failures`` attempts are in flight or failed, the next one is refused
        without a password check. A failure at the limit locks the name; a success clears
        the counter. (Every filter here is the counter's key alone or key + failures, the
        shapes an index serves on every supported server.)
        """
        now = self.clock()
        key = _user_key(name_key)
        limit = self.settings.login_max_failures
        current = self._find(key)
        if current is not None and _stale(current, now):
            # Its memory ran out or its lockout passed: start again from zero.
            with translate_errors():
                self.collection.delete_one({"_id": current["_id"]})
            current = None
        if current is not None and current.get("lockedUntil") is not None:
            raise self._locked(current["lockedUntil"], now)
        update = {"$inc": {"failures": 1}, "$set": {"expiresAt": now + FAILURE_MEMORY}}
        with translate_errors():
            doc = self.collection.find_one_and_update(
                {"key": key, "failures": {"$lt": limit}},
                update,
                hint=index_hint(self.collection, BY_KEY_FAILURES),
                return_document=ReturnDocument.AFTER,
            )
            if doc is None and current is None:
                try:  # the first attempt creates the counter
                    self.collection.insert_one(
                        {"key": key, "failures": 1, "expiresAt": now + FAILURE_MEMORY}
                    )
                    return
                except DuplicateKeyError:  # a parallel first attempt created it
                    doc = self.collection.find_one_and_update(
                        {"key": key, "failures": {"$lt": limit}},
                        update,
                        hint=index_hint(self.collection, BY_KEY_FAILURES),
                        return_document=ReturnDocument.AFTER,
                    )
        if doc is None:
            locked_until = (self._find(key) or {}).get("lockedUntil")
            raise self._locked(
                locked_until or now + timedelta(seconds=self.settings.login_lockout_seconds), now
            )

    def record_failure(self, name_key: str) -> None:
        """The reserved attempt failed: lock the name once the failures reach the limit."""
        now = self.clock()
        limit = self.settings.login_max_failures
        locked_until = now + timedelta(seconds=self.settings.login_lockout_seconds)
        with translate_errors():
            # Concurrent failures past the limit set (about) the same moment: no pile-up.
            self.collection.update_one(
                {"key": _user_key(name_key), "failures": {"$gte": limit}},
                {
                    "$set": {
                        "lockedUntil": locked_until,
                        "expiresAt": max(now + FAILURE_MEMORY, locked_until),
                    }
                },
                hint=index_hint(self.collection, BY_KEY_FAILURES),
            )

    def record_success(self, name_key: str) -> None:
        current = self._find(_user_key(name_key))
        if current is not None and current.get("lockedUntil") is None:
            with translate_errors():
                self.collection.delete_one({"_id": current["_id"]})

    def _find(self, key: str) -> dict[str, Any] | None:
        with translate_errors():
            return self.collection.find_one({"key": key}, hint=index_hint(self.collection, BY_KEY))

    @staticmethod
    def _locked(locked_until: datetime, now: datetime) -> RateLimitedError:
        return RateLimitedError(
            "too many failed logins for this user; try again later",
            retry_after=_seconds_until(locked_until, now),
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
            # Parallel first attempts race to insert the counter: the loser gets a duplicate
            # key error (MongoDB, FerretDB) or, on SecantusDB, no document back at all. Either
            # way the counter exists now and the update is run again.
            for _ in range(_UPSERT_TRIES):
                try:
                    doc = run()
                except DuplicateKeyError:
                    continue
                if doc is not None:
                    return doc
        raise RuntimeError(f"login counter {key!r} could not be updated")


def _stale(doc: dict[str, Any], now: datetime) -> bool:
    locked_until = doc.get("lockedUntil")
    return doc["expiresAt"] <= now or (locked_until is not None and locked_until <= now)


def _user_key(name_key: str) -> str:
    return f"user:{name_key[:_MAX_KEY_PART]}"
