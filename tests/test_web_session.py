"""Browser sessions against the real database: sealed storage, renewal, races and revocation."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle
from jwstdata.db.web_sessions import COLLECTION, WebSessions
from jwstdata.http.session import BrowserSessions
from jwstdata.models import utcnow
from jwstdata.models.user import UserCreate
from jwstdata.services.auth import AuthService

PASSWORD = "correct horse battery"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(db_handle: DatabaseHandle, settings: Settings, clock: Clock) -> AuthService:
    signed = settings.model_copy(update={"secret_key": SecretStr(secrets.token_urlsafe(48))})
    service = AuthService(db_handle, signed, clock=clock, hasher=FAST_HASHER)
    service.create_user(UserCreate(username="alice", password=SecretStr(PASSWORD)))
    return service


@pytest.fixture
def sessions(db_handle: DatabaseHandle, auth: AuthService, clock: Clock) -> BrowserSessions:
    store = BrowserSessions(
        WebSessions(db_handle.db[COLLECTION]), auth, timedelta(days=14), clock=clock
    )
    store.ensure_indexes()
    return store


def test_a_session_resolves_from_its_id_only(sessions: BrowserSessions) -> None:
    session_id, started = sessions.start("alice", PASSWORD, "test")
    resolved = sessions.resolve(session_id)
    assert resolved is not None
    assert resolved.user.username == "alice" and resolved.csrf_token == started.csrf_token
    assert sessions.resolve(session_id[:-1] + ("A" if session_id[-1] != "A" else "B")) is None
    assert sessions.resolve("") is None and sessions.resolve("x" * 500) is None


def test_the_database_holds_neither_the_session_id_nor_the_tokens(
    sessions: BrowserSessions, auth: AuthService
) -> None:
    session_id, _ = sessions.start("alice", PASSWORD, "test")
    doc = sessions.sessions.collection.find_one({})
    assert doc is not None and doc["_id"] != session_id
    raw = repr(doc)
    assert session_id not in raw and "eyJ" not in raw  # no JWT, no id in clear
    assert sessions.resolve(session_id) is not None


def test_an_expired_access_token_is_renewed_once(sessions: BrowserSessions, clock: Clock) -> None:
    session_id, _ = sessions.start("alice", PASSWORD, "test")
    clock.advance(minutes=20)  # past the 15-minute access token
    renewed = sessions.resolve(session_id)
    assert renewed is not None and renewed.user.username == "alice"
    assert sessions.sessions.collection.find_one({})["generation"] == 1
    assert sessions.resolve(session_id) is not None  # the new token is used, no renewal
    assert sessions.sessions.collection.find_one({})["generation"] == 1


def test_concurrent_requests_share_one_renewal(sessions: BrowserSessions, clock: Clock) -> None:
    """Presenting the refresh token twice would revoke the family; one request renews."""
    session_id, _ = sessions.start("alice", PASSWORD, "test")
    clock.advance(minutes=20)
    results: list[object] = []
    barrier = threading.Barrier(6)

    def resolve() -> None:
        barrier.wait()
        results.append(sessions.resolve(session_id))

    threads = [threading.Thread(target=resolve) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and all(r is not None for r in results)
    assert sessions.sessions.collection.find_one({})["generation"] == 1
    clock.advance(minutes=20)
    assert sessions.resolve(session_id) is not None  # the family was never revoked


def test_sign_out_and_disabling_end_sessions(
    sessions: BrowserSessions, auth: AuthService, clock: Clock
) -> None:
    first, _ = sessions.start("alice", PASSWORD, "test")
    second, started = sessions.start("alice", PASSWORD, "test")
    sessions.end(first)
    assert sessions.resolve(first) is None
    assert sessions.resolve(second) is not None  # other sessions live on
    auth.set_disabled(started.user.id, True)
    assert sessions.resolve(second) is None  # at once, not at the next renewal
    auth.set_disabled(started.user.id, False)
    clock.advance(minutes=20)
    assert sessions.resolve(second) is None  # its refresh family was revoked too
    assert sessions.sessions.collection.count_documents({}) == 0


def test_sessions_expire_with_their_lifetime(sessions: BrowserSessions, clock: Clock) -> None:
    session_id, _ = sessions.start("alice", PASSWORD, "test")
    clock.advance(days=15)
    assert sessions.resolve(session_id) is None
