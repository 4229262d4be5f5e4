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

from jwstdata.config import Settings
from jwstdata.db.login_attempts import FailureCounter, LoginAttempts
from jwstdata.errors import RateLimitedError

WINDOW = timedelta(minutes=1)
# How long failed attempts are remembered after the last one.
FAILURE_MEMORY = timedelta(hours=24)
_MAX_KEY_PART = 200


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


class LoginLimiter:
    def __init__(
        self, attempts: LoginAttempts, settings: Settings, clock: Callable[[], datetime]
    ) -> None:
        self.attempts = attempts
        self.settings = settings
        self.clock = clock

    def count_client_attempt(self, client: str) -> None:
        """Count one attempt from ``client``; RateLimitedError once over the minute's limit."""
        now = self.clock()
        minute = int(now.timestamp() // WINDOW.total_seconds())
        window_end = datetime.fromtimestamp((minute + 1) * WINDOW.total_seconds(), tz=now.tzinfo)
        key = f"client:{client[:_MAX_KEY_PART]}:{minute}"
        count = self.attempts.count(key, window_end + WINDOW)
        if count > self.settings.login_rate_per_minute:
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
        the counter.
        """
        now = self.clock()
        key = _user_key(name_key)
        limit = self.settings.login_max_failures
        current = self.attempts.find_failures(key)
        if current is not None and _stale(current, now):
            # Its memory ran out or its lockout passed: start again from zero.
            self.attempts.forget(current)
            current = None
        if current is not None and current.locked_until is not None:
            raise self._locked(current.locked_until, now)
        expires_at = now + FAILURE_MEMORY
        reserved = self.attempts.reserve(key, limit, expires_at)
        if not reserved and current is None:
            if self.attempts.start(key, expires_at):  # the first attempt creates the counter
                return
            # A parallel first attempt created it.
            reserved = self.attempts.reserve(key, limit, expires_at)
        if not reserved:
            counter = self.attempts.find_failures(key)
            locked_until = counter.locked_until if counter is not None else None
            raise self._locked(
                locked_until or now + timedelta(seconds=self.settings.login_lockout_seconds), now
            )

    def record_failure(self, name_key: str) -> None:
        """The reserved attempt failed: lock the name once the failures reach the limit."""
        now = self.clock()
        locked_until = now + timedelta(seconds=self.settings.login_lockout_seconds)
        # Concurrent failures past the limit set (about) the same moment: no pile-up.
        self.attempts.lock(
            _user_key(name_key),
            self.settings.login_max_failures,
            locked_until,
            max(now + FAILURE_MEMORY, locked_until),
        )

    def record_success(self, name_key: str) -> None:
        current = self.attempts.find_failures(_user_key(name_key))
        if current is not None and current.locked_until is None:
            self.attempts.forget(current)

    @staticmethod
    def _locked(locked_until: datetime, now: datetime) -> RateLimitedError:
        return RateLimitedError(
            "too many failed logins for this user; try again later",
            retry_after=_seconds_until(locked_until, now),
        )


def _stale(counter: FailureCounter, now: datetime) -> bool:
    locked_until = counter.locked_until
    return counter.expires_at <= now or (locked_until is not None and locked_until <= now)


def _user_key(name_key: str) -> str:
    return f"user:{name_key[:_MAX_KEY_PART]}"
