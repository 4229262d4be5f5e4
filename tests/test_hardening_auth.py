"""Authentication hardening against a real server: parallel lockout, revoked access tokens,
the signed sign-in CSRF cookie, share errors that name no account, private caching."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr
from pymongo import MongoClient, monitoring

from jwstdata.config import Settings
from jwstdata.db.connection import DatabaseHandle
from jwstdata.db.features import server_features
from jwstdata.db.login_attempts import LoginAttempts
from jwstdata.errors import AuthenticationError
from jwstdata.models.user import UserCreate
from jwstdata.services.auth import AuthService
from jwstdata.services.auth.limits import LoginLimiter
from tests.factories import make_record
from tests.hardening_support import custom_server
from tests.plugins.api_server import ApiServer
from tests.test_indexes import NO_PLAN_STAGES, _assert_indexed

PASSWORD = "correct horse battery"
LIMIT = 5


@pytest.fixture(scope="module")
def server(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with custom_server(
        mongo_uri,
        tmp_path_factory.mktemp("hard-auth"),
        login_max_failures=str(LIMIT),
        login_lockout_seconds="600",
        login_rate_per_minute="1000",
    ) as running:
        yield running


def _login(server: ApiServer, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/auth/token",
        data={"username": username, "password": password},
        timeout=60,
    )


def test_parallel_wrong_passwords_cannot_pass_the_lockout(server: ApiServer) -> None:
    server.create_user("target")

    def attempt(_: int) -> int:
        return _login(server, "target", "wrong password here").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(attempt, range(16)))
    # Only LIMIT attempts were checked against the password; the others were refused unseen.
    assert codes.count(401) <= LIMIT, codes
    assert set(codes) <= {401, 429}
    locked = _login(server, "target")
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "rate_limited"


def test_parallel_first_attempts_from_new_clients_all_count(
    db_handle: DatabaseHandle, settings: Settings
) -> None:
    # A new minute (or client) makes 16 parallel requests race to create its counter. On
    # SecantusDB the losing upserts returned no document at all, which was a 500.
    limits = settings.model_copy(update={"login_rate_per_minute": 1000})
    limiter = LoginLimiter(
        LoginAttempts(db_handle.db["login_attempts"]), limits, lambda: datetime.now(UTC)
    )
    for round_ in range(25):
        client = f"c{round_}"
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda _, c=client: limiter.count_client_attempt(c), range(16)))
        counter = db_handle.db["login_attempts"].find_one({"key": {"$regex": f"^client:{client}:"}})
        assert counter is not None and counter["count"] >= 16


def test_logout_ends_the_access_token_too(server: ApiServer) -> None:
    server.create_user("leaver")
    tokens = _login(server, "leaver").json()
    with server.client(tokens["access_token"]) as client:
        assert client.get("/api/auth/me").status_code == 200
        out = client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
        assert out.status_code == 204
        after = client.get("/api/auth/me")
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "unauthenticated"
    # Another session of the same user is untouched.
    other = _login(server, "leaver").json()
    with server.client(other["access_token"]) as client:
        assert client.get("/api/auth/me").status_code == 200


def test_signin_refuses_a_planted_csrf_cookie(server: ApiServer) -> None:
    server.create_user("browser")
    planted = "planted-by-a-sibling-domain"
    with httpx.Client(base_url=server.url, follow_redirects=False) as client:
        client.cookies.set("jwst_login_csrf", planted, path="/signin")
        response = client.post(
            "/signin",
            data={"username": "browser", "password": PASSWORD, "csrf_token": planted},
        )
        assert response.status_code == 403
        assert "jwst_session" not in response.cookies
    # The token the server hands out still works.
    with httpx.Client(base_url=server.url, follow_redirects=False) as client:
        form = client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
        assert client.cookies.get("jwst_login_csrf") == token
        ok = client.post(
            "/signin", data={"username": "browser", "password": PASSWORD, "csrf_token": token}
        )
        assert ok.status_code == 303 and "jwst_session" in ok.cookies


def test_share_errors_do_not_tell_which_accounts_exist(server: ApiServer) -> None:
    owner = server.create_user("sharer")
    server.create_user("dormant")
    server.auth().set_disabled(server.auth().users.find_by_username("dormant").id, True)
    reader = server.create_user("reader")
    record = server.repo.create(make_record(userId=owner.id, isPublic=True, sharedWith=[reader.id]))
    with server.client(_login(server, "sharer").json()["access_token"]) as client:
        unknown = client.post(f"/api/data/{record.id}/share", json={"usernames": ["nosuchname"]})
        disabled = client.post(f"/api/data/{record.id}/share", json={"usernames": ["dormant"]})
    assert unknown.status_code == disabled.status_code == 404
    assert unknown.json()["error"] == disabled.json()["error"]
    assert "nosuchname" not in unknown.text and "dormant" not in disabled.text
    # A reader who may not change the record learns nothing about names at all.
    with server.client(_login(server, "reader").json()["access_token"]) as client:
        real = client.post(f"/api/data/{record.id}/share", json={"usernames": ["sharer"]})
        fake = client.post(f"/api/data/{record.id}/share", json={"usernames": ["nosuchname"]})
    assert real.status_code == fake.status_code == 403
    assert real.json() == fake.json()


def test_signed_in_record_answers_are_private_and_not_stored(server: ApiServer) -> None:
    owner = server.create_user("cacher")
    record = server.repo.create(make_record(userId=owner.id))
    with server.client(_login(server, "cacher").json()["access_token"]) as client:
        one = client.get(f"/api/data/{record.id}")
        listing = client.get("/api/data")
    assert one.status_code == 200 and listing.status_code == 200
    assert one.headers["cache-control"] == "private, no-store"
    assert listing.headers["cache-control"] == "private, no-store"


class _Filters(monitoring.CommandListener):
    """The filter of every read or write sent to the authentication collections."""

    def __init__(self) -> None:
        self.filters: list[tuple[str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        name = event.command_name
        collection = command.get(name)
        if collection not in ("refresh_tokens", "login_attempts"):
            return
        if name in ("find", "findAndModify"):
            self.filters.append((collection, dict(command.get("filter") or command.get("query"))))
        elif name in ("update", "delete"):
            key = "updates" if name == "update" else "deletes"
            for statement in command.get(key, []):
                self.filters.append((collection, dict(statement["q"])))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def test_session_check_and_attempt_reservation_use_their_indexes(
    db_handle: DatabaseHandle, settings: Settings
) -> None:
    """Every authenticated request checks its session; every login reserves an attempt."""
    settings = settings.model_copy(update={"secret_key": SecretStr(secrets.token_urlsafe(48))})
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    AuthService(db_handle, settings, hasher=hasher).create_user(
        UserCreate(username="indexed", password=PASSWORD)
    )
    listener = _Filters()
    host, port = db_handle.client.address
    with MongoClient(host, port, event_listeners=[listener], tz_aware=True) as client:
        db = client[db_handle.db.name]
        handle = DatabaseHandle(client=client, db=db, redacted_uri="", embedded=False)
        auth = AuthService(handle, settings, hasher=hasher)
        pair = auth.login("indexed", PASSWORD, "192.0.2.1")
        auth.verify_access_token(pair.access_token)
        with pytest.raises(AuthenticationError):
            auth.login("indexed", "wrong password here", "192.0.2.1")
        if not server_features(db).explain_plan_stages:
            pytest.skip(NO_PLAN_STAGES)
        assert {c for c, _ in listener.filters} == {"refresh_tokens", "login_attempts"}
        for collection, query in listener.filters:
            _assert_indexed(db.command({"explain": {"find": collection, "filter": query}}))
