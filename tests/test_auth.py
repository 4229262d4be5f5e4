"""Authentication: the signing secret, login and its limits, tokens, refresh rotation, API keys.

Time is a clock the tests move (``MovableClock``), injected into ``AuthService``; nothing
sleeps. Passwords use argon2 with cheap parameters so the suite stays fast.
"""

from __future__ import annotations

import os
import stat
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

import jwt
import pytest
from argon2 import PasswordHasher
from bson import ObjectId
from pydantic import SecretStr

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle
from jwstdata.errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ValidationError,
)
from jwstdata.models import AccessContext
from jwstdata.models.base import utcnow
from jwstdata.models.user import User, UserCreate
from jwstdata.services.auth import AuthService, signing_secret

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
SECRET = "k" * 40
CLIENT = "203.0.113.7"


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class CountingHasher(PasswordHasher):
    """A real argon2 hasher that also counts verifications."""

    verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture
def clock() -> MovableClock:
    # Start at the top of a minute, so per-minute windows are predictable.
    return MovableClock(utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1))


@pytest.fixture
def auth_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "secret_key": SecretStr(SECRET),
            "secret_key_file": None,
            "dev_mode": False,
            "login_max_failures": 3,
            "login_lockout_seconds": 300,
            "login_rate_per_minute": 50,
        }
    )


def make_service(
    db_handle: DatabaseHandle,
    settings: Settings,
    clock: MovableClock,
    hasher: PasswordHasher = FAST_HASHER,
    **overrides: object,
) -> AuthService:
    return AuthService(db_handle, settings.model_copy(update=overrides), clock=clock, hasher=hasher)


@pytest.fixture
def auth(db_handle: DatabaseHandle, auth_settings: Settings, clock: MovableClock) -> AuthService:
    return make_service(db_handle, auth_settings, clock)


@pytest.fixture
def jane(auth: AuthService) -> User:
    return auth.create_user(
        UserCreate(username="Jane", email="jane@example.org", password=PASSWORD)
    )


def claims_of(token: str) -> dict:
    """Decode with the real secret; the test clock runs ahead of the wall clock."""
    return jwt.decode(
        token, SECRET, algorithms=["HS256"], options={"verify_iat": False, "verify_exp": False}
    )


def database_text(handle: DatabaseHandle) -> str:
    return "\n".join(
        repr(doc) for name in handle.db.list_collection_names() for doc in handle.db[name].find()
    )


# --- the signing secret -----------------------------------------------------------------
def bare_settings(tmp_path: Path, **values: object) -> Settings:
    base = {"home": tmp_path, "secret_key": None, "secret_key_file": None, "dev_mode": False}
    return Settings(**{**base, **values})  # type: ignore[arg-type]


def test_secret_is_required_outside_dev_mode(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        signing_secret(bare_settings(tmp_path))
    assert info.value.message == (
        "JWSTDATA_SECRET_KEY (or _FILE) is required outside development mode"
    )


def test_secret_from_variable_or_file(tmp_path: Path) -> None:
    assert signing_secret(bare_settings(tmp_path, secret_key=SECRET)) == SECRET.encode()
    path = tmp_path / "secret"
    path.write_text("f" * 32 + "\n")
    assert signing_secret(bare_settings(tmp_path, secret_key_file=path)) == b"f" * 32
    with pytest.raises(ConfigurationError, match="cannot read"):
        signing_secret(bare_settings(tmp_path, secret_key_file=tmp_path / "missing"))


def test_short_secret_is_refused_without_echoing_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        signing_secret(bare_settings(tmp_path, secret_key="tooshort-secret"))
    assert "at least 32 bytes" in info.value.message
    assert "tooshort-secret" not in info.value.message


def test_dev_mode_generates_a_private_secret_once(tmp_path: Path) -> None:
    settings = bare_settings(tmp_path / "home", dev_mode=True)
    first = signing_secret(settings)
    path = tmp_path / "home" / "dev-secret"
    assert len(first) >= 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert signing_secret(settings) == first  # a restart keeps sessions valid
    assert os.listdir(tmp_path / "home") == ["dev-secret"]


def test_accounts_need_no_secret_but_tokens_do(
    db_handle: DatabaseHandle, settings: Settings, clock: MovableClock, tmp_path: Path
) -> None:
    service = make_service(
        db_handle, settings, clock, secret_key=None, secret_key_file=None, dev_mode=False
    )
    service.create_user(UserCreate(username="cli-made", password=PASSWORD))
    with pytest.raises(ConfigurationError):
        service.login("cli-made", PASSWORD, CLIENT)


# --- registration ----------------------------------------------------------------------
def test_self_registration_is_off_by_default(auth: AuthService) -> None:
    assert auth.settings.allow_registration is False
    with pytest.raises(PermissionDeniedError):
        auth.register(UserCreate(username="eve", email="eve@example.org", password=PASSWORD))


def test_self_registration_when_allowed_makes_plain_users(
    db_handle: DatabaseHandle, auth_settings: Settings, clock: MovableClock
) -> None:
    service = make_service(db_handle, auth_settings, clock, allow_registration=True)
    user = service.register(UserCreate(username="eve", email="eve@example.org", password=PASSWORD))
    assert not user.is_admin
    with pytest.raises(ValidationError):
        service.register(UserCreate(username="noemail", password=PASSWORD))


# --- login -----------------------------------------------------------------------------
def test_login_returns_tokens_for_the_user(auth: AuthService, jane: User) -> None:
    tokens = auth.login("JANE", PASSWORD, CLIENT)
    assert tokens.token_type == "bearer" and tokens.expires_in == 15 * 60
    assert tokens.to_oauth2()["access_token"] == tokens.access_token
    me = auth.verify_access_token(tokens.access_token)
    assert me.id == jane.id and me.last_login_at == auth.clock()
    claims = claims_of(tokens.access_token)
    assert claims["sub"] == str(jane.id) and claims["adm"] is False and claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == 15 * 60 and claims["jti"]


@pytest.mark.parametrize(("username", "password"), [("jane", "wrong password!"), ("nobody", "x")])
def test_wrong_password_and_unknown_user_fail_alike(
    auth: AuthService, jane: User, username: str, password: str
) -> None:
    with pytest.raises(AuthenticationError) as info:
        auth.login(username, password, CLIENT)
    assert info.value.message == "incorrect username or password"


def test_unknown_user_still_runs_one_password_check(
    db_handle: DatabaseHandle, auth_settings: Settings, clock: MovableClock
) -> None:
    hasher = CountingHasher(time_cost=1, memory_cost=8, parallelism=1)
    service = make_service(db_handle, auth_settings, clock, hasher=hasher)
    service.create_user(UserCreate(username="jane", password=PASSWORD))
    for username in ("jane", "nobody"):
        before = hasher.verifications
        with pytest.raises(AuthenticationError):
            service.login(username, "wrong password!", CLIENT)
        assert hasher.verifications == before + 1


def test_unknown_user_takes_about_as_long_as_a_wrong_password(
    db_handle: DatabaseHandle, auth_settings: Settings, clock: MovableClock
) -> None:
    # Costly enough that hashing, not the database, dominates each attempt.
    hasher = PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1)
    service = make_service(db_handle, auth_settings, clock, hasher=hasher, login_max_failures=100)
    service.create_user(UserCreate(username="jane", password=PASSWORD))

    def timed(username: str) -> float:
        start = time.perf_counter()
        with pytest.raises(AuthenticationError):
            service.login(username, "wrong password!", CLIENT)
        return time.perf_counter() - start

    timed("nobody")  # the dummy hash is computed once, on first use
    known = statistics.median(timed("jane") for _ in range(5))
    unknown = statistics.median(timed("nobody") for _ in range(5))
    assert known / 3 < unknown < known * 3, (known, unknown)


def test_disabled_user_cannot_log_in_or_use_tokens_or_keys(auth: AuthService, jane: User) -> None:
    tokens = auth.login("jane", PASSWORD, CLIENT)
    key = auth.create_api_key(jane, "script").key
    auth.set_disabled(jane.id, True)
    with pytest.raises(AuthenticationError) as info:
        auth.login("jane", PASSWORD, CLIENT)
    assert info.value.message == "incorrect username or password"
    for check in (
        lambda: auth.verify_access_token(tokens.access_token),
        lambda: auth.refresh(tokens.refresh_token),
        lambda: auth.verify_api_key(key),
    ):
        with pytest.raises(AuthenticationError):
            check()
    # Re-enabled, passwords and keys work again; the sessions ended for good.
    auth.set_disabled(jane.id, False)
    assert auth.verify_api_key(key).id == jane.id
    assert auth.login("jane", PASSWORD, CLIENT)
    with pytest.raises(AuthenticationError):
        auth.refresh(tokens.refresh_token)


def test_lockout_after_repeated_failures_and_its_expiry(
    auth: AuthService, jane: User, clock: MovableClock
) -> None:
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            auth.login("jane", "wrong password!", CLIENT)
    with pytest.raises(RateLimitedError) as info:
        auth.login("JANE", PASSWORD, "198.51.100.1")  # right password, other client: locked
    assert info.value.retry_after == 300
    clock.advance(seconds=299)
    with pytest.raises(RateLimitedError) as info:
        auth.login("jane", PASSWORD, CLIENT)
    assert info.value.retry_after == 1
    clock.advance(seconds=1)
    assert auth.login("jane", PASSWORD, CLIENT).access_token


def test_success_resets_the_failure_count(auth: AuthService, jane: User) -> None:
    for _ in range(2):
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                auth.login("jane", "wrong password!", CLIENT)
        auth.login("jane", PASSWORD, CLIENT)


def test_unknown_user_names_lock_out_too(auth: AuthService) -> None:
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            auth.login("ghost", "wrong password!", CLIENT)
    with pytest.raises(RateLimitedError):
        auth.login("ghost", "wrong password!", CLIENT)


def test_old_failures_are_forgotten(auth: AuthService, jane: User, clock: MovableClock) -> None:
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            auth.login("jane", "wrong password!", CLIENT)
    clock.advance(days=2)
    with pytest.raises(AuthenticationError):
        auth.login("jane", "wrong password!", CLIENT)
    assert auth.login("jane", PASSWORD, CLIENT)  # one recent failure: not locked


def test_per_client_rate_limit(
    db_handle: DatabaseHandle, auth_settings: Settings, clock: MovableClock
) -> None:
    service = make_service(db_handle, auth_settings, clock, login_rate_per_minute=5)
    service.create_user(UserCreate(username="jane", password=PASSWORD))
    for n in range(5):
        with pytest.raises(AuthenticationError):
            service.login(f"user{n}", "wrong password!", CLIENT)
    clock.advance(seconds=20)
    with pytest.raises(RateLimitedError) as info:
        service.login("jane", PASSWORD, CLIENT)
    assert info.value.retry_after == 40
    assert service.login("jane", PASSWORD, "198.51.100.1")  # other clients are unaffected
    clock.advance(seconds=40)
    assert service.login("jane", PASSWORD, CLIENT)


def test_login_rehashes_when_parameters_change(
    db_handle: DatabaseHandle, auth_settings: Settings, clock: MovableClock, jane: User
) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    make_service(db_handle, auth_settings, clock, hasher=stronger).login("jane", PASSWORD, CLIENT)
    stored = db_handle.db["users"].find_one({"_id": jane.id})["passwordHash"]
    assert not stronger.check_needs_rehash(stored)


# --- access tokens ---------------------------------------------------------------------
def test_access_token_expires(auth: AuthService, jane: User, clock: MovableClock) -> None:
    token = auth.login("jane", PASSWORD, CLIENT).access_token
    clock.advance(minutes=15, seconds=-1)
    assert auth.verify_access_token(token).id == jane.id
    clock.advance(seconds=1)
    with pytest.raises(AuthenticationError) as info:
        auth.verify_access_token(token)
    assert info.value.message == "invalid or expired access token"


def test_forged_or_foreign_tokens_are_rejected(auth: AuthService, jane: User) -> None:
    tokens = auth.login("jane", PASSWORD, CLIENT)
    now = int(auth.clock().timestamp())
    claims = {"sub": str(jane.id), "adm": True, "iat": now, "exp": now + 60, "jti": "x"}
    forged = [
        jwt.encode({**claims, "typ": "access"}, "z" * 40, algorithm="HS256"),
        jwt.encode({**claims, "typ": "refresh"}, SECRET, algorithm="HS256"),
        jwt.encode({**claims, "typ": "access", "sub": str(ObjectId())}, SECRET, algorithm="HS256"),
        jwt.encode({**claims, "typ": "access"}, None, algorithm="none"),
        tokens.refresh_token,
        tokens.access_token[:-2] + ("AA" if not tokens.access_token.endswith("AA") else "BB"),
        "",
    ]
    for token in forged:
        with pytest.raises(AuthenticationError):
            auth.verify_access_token(token)


def test_admin_claim_and_access_context(auth: AuthService, jane: User) -> None:
    root = auth.create_user(UserCreate(username="root", password=PASSWORD), is_admin=True)
    claims = claims_of(auth.login("root", PASSWORD, CLIENT).access_token)
    assert claims["adm"] is True
    assert auth.context_for(root) == AccessContext.admin(root.id)
    assert auth.context_for(jane) == AccessContext.user(jane.id)


# --- refresh tokens --------------------------------------------------------------------
def test_refresh_rotates(auth: AuthService, jane: User, db_handle: DatabaseHandle) -> None:
    first = auth.login("jane", PASSWORD, CLIENT)
    second = auth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert auth.verify_access_token(second.access_token).id == jane.id
    third = auth.refresh(second.refresh_token)
    families = db_handle.db["refresh_tokens"].distinct("familyId")
    assert len(families) == 1
    assert third.refresh_token not in database_text(db_handle)  # stored only as a hash


def test_reused_refresh_token_revokes_the_family(auth: AuthService, jane: User) -> None:
    stolen = auth.login("jane", PASSWORD, CLIENT).refresh_token
    other_session = auth.login("jane", PASSWORD, CLIENT).refresh_token
    current = auth.refresh(stolen).refresh_token
    with pytest.raises(AuthenticationError):
        auth.refresh(stolen)
    with pytest.raises(AuthenticationError):
        auth.refresh(current)  # the legitimate holder must log in again
    assert auth.refresh(other_session).refresh_token  # other families are untouched


def test_logout_revokes_the_session(auth: AuthService, jane: User) -> None:
    first = auth.login("jane", PASSWORD, CLIENT)
    second = auth.refresh(first.refresh_token)
    assert auth.logout(first.refresh_token) is True
    with pytest.raises(AuthenticationError):
        auth.refresh(second.refresh_token)
    assert auth.logout("not-a-token") is False


def test_refresh_token_expires(auth: AuthService, jane: User, clock: MovableClock) -> None:
    token = auth.login("jane", PASSWORD, CLIENT).refresh_token
    clock.advance(days=14)
    with pytest.raises(AuthenticationError):
        auth.refresh(token)


def test_new_password_ends_sessions(auth: AuthService, jane: User) -> None:
    token = auth.login("jane", PASSWORD, CLIENT).refresh_token
    with pytest.raises(ValidationError):
        auth.set_password(jane.id, "short")
    auth.set_password(jane.id, "a brand new password")
    with pytest.raises(AuthenticationError):
        auth.refresh(token)
    with pytest.raises(AuthenticationError):
        auth.login("jane", PASSWORD, CLIENT)
    assert auth.login("jane", "a brand new password", CLIENT)


# --- API keys --------------------------------------------------------------------------
def test_api_key_create_verify_list_revoke(
    auth: AuthService, jane: User, db_handle: DatabaseHandle
) -> None:
    created = auth.create_api_key(jane, "  nightly import ")
    assert created.key.startswith(f"jwst_{created.prefix}_") and created.name == "nightly import"
    assert auth.verify_api_key(created.key).id == jane.id
    stored = database_text(db_handle)
    assert created.key not in stored and created.key.split("_", 2)[2] not in stored
    [listed] = auth.list_api_keys(jane)
    assert listed.id == created.id and not listed.revoked and "key" not in listed.model_dump()
    assert listed.last_used_at == auth.clock()

    revoked = auth.revoke_api_key(jane, created.id)
    assert revoked.revoked
    with pytest.raises(AuthenticationError):
        auth.verify_api_key(created.key)
    assert auth.revoke_api_key(jane, created.id).revoked  # idempotent


def test_malformed_or_altered_keys_are_rejected(auth: AuthService, jane: User) -> None:
    key = auth.create_api_key(jane, "k").key
    altered = key[:-1] + ("A" if key[-1] != "A" else "B")
    for bad in (altered, "jwst_", "", key + "x", key.replace("jwst_", "jwsx_")):
        with pytest.raises(AuthenticationError):
            auth.verify_api_key(bad)
    with pytest.raises(ValidationError):
        auth.create_api_key(jane, "   ")


def test_only_owner_or_admin_revokes_a_key(auth: AuthService, jane: User) -> None:
    bob = auth.create_user(UserCreate(username="bob", password=PASSWORD))
    root = auth.create_user(UserCreate(username="root", password=PASSWORD), is_admin=True)
    key = auth.create_api_key(jane, "k")
    with pytest.raises(NotFoundError):
        auth.revoke_api_key(bob, key.id)
    assert auth.list_api_keys(bob) == []
    assert auth.verify_api_key(key.key).id == jane.id
    assert auth.revoke_api_key(root, key.id).revoked


def test_last_used_is_written_at_most_once_a_minute(
    auth: AuthService, jane: User, clock: MovableClock
) -> None:
    created = auth.create_api_key(jane, "k")
    first_use = clock()
    auth.verify_api_key(created.key)
    clock.advance(seconds=59)
    auth.verify_api_key(created.key)
    assert auth.list_api_keys(jane)[0].last_used_at == first_use
    clock.advance(seconds=1)
    auth.verify_api_key(created.key)
    assert auth.list_api_keys(jane)[0].last_used_at == clock()
