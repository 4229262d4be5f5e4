"""Users: validation, case-insensitive uniqueness, hash-free models, and ``jwstdata users``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError as PydanticValidationError

from jwstdata.cli.common import resolve_owner
from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, list_indexes
from jwstdata.db.auth_indexes import AUTH_INDEXES
from jwstdata.db.users import UserRepository
from jwstdata.errors import DuplicateError, NotFoundError
from jwstdata.models.user import User, UserCreate
from jwstdata.root import Root
from jwstdata.services.auth import AuthService

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"


@pytest.fixture
def service(db_handle: DatabaseHandle, settings: Settings) -> AuthService:
    return AuthService(db_handle, settings, hasher=FAST_HASHER)


@pytest.fixture
def users(db_handle: DatabaseHandle) -> UserRepository:
    return UserRepository.for_database(db_handle)


def new_user(username: str, email: str | None = None, password: str = PASSWORD) -> UserCreate:
    return UserCreate(username=username, email=email, password=password)


# --- models ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "ab"),
        ("username", "x" * 65),
        ("username", "has space"),
        ("username", "émile"),
        ("username", "a/b"),
        ("email", "not-an-email"),
        ("email", "two@@example.org"),
        ("email", "no-dot@localhost"),
        ("password", "short"),
        ("password", "x" * 1025),
    ],
)
def test_user_create_rejects_bad_input(field: str, value: str) -> None:
    data = {"username": "jrigby", "email": "j@example.org", "password": PASSWORD, field: value}
    with pytest.raises(PydanticValidationError) as info:
        UserCreate.model_validate(data)
    assert info.value.errors()[0]["loc"] == (field,)
    if field == "password":
        assert value not in str(info.value)


def test_user_create_accepts_the_allowed_alphabet() -> None:
    data = UserCreate(username="J.Rigby_2-x", email="  Jane.R@Example.ORG ", password="x" * 10)
    assert data.email == "Jane.R@Example.ORG"
    assert "x" * 10 not in repr(data)


def test_user_json_has_no_password_hash_field() -> None:
    assert set(User.model_json_schema(by_alias=True)["properties"]) == {
        "id",
        "username",
        "email",
        "isAdmin",
        "isDisabled",
        "createdAt",
        "updatedAt",
        "lastLoginAt",
    }


# --- repository --------------------------------------------------------------------------
def test_create_stores_an_argon2_hash_and_returns_no_hash(
    service: AuthService, db_handle: DatabaseHandle
) -> None:
    user = service.create_user(new_user("Jrigby", "jane@example.org"))
    assert user.username == "Jrigby" and not user.is_admin and not user.is_disabled
    assert "passwordHash" not in user.to_json()
    stored = db_handle.db["users"].find_one({"_id": user.id})
    assert stored["usernameKey"] == "jrigby" and stored["emailKey"] == "jane@example.org"
    assert stored["passwordHash"].startswith("$argon2id$")
    assert PASSWORD not in str(stored)
    assert service.users.get(user.id) == user


@pytest.mark.parametrize("variant", ["jrigby", "JRIGBY", "JRigby"])
def test_username_is_unique_in_any_case(service: AuthService, variant: str) -> None:
    service.create_user(new_user("JRigby"))
    with pytest.raises(DuplicateError) as info:
        service.create_user(new_user(variant))
    assert info.value.details == {"fields": ["username"]}
    assert "username" in info.value.message


def test_email_is_unique_in_any_case(service: AuthService) -> None:
    service.create_user(new_user("first", "Jane@Example.org"))
    with pytest.raises(DuplicateError) as info:
        service.create_user(new_user("second", "jane@EXAMPLE.ORG"))
    assert info.value.details == {"fields": ["email"]}


def test_many_users_may_have_no_email(service: AuthService, users: UserRepository) -> None:
    for name in ("one", "two", "three"):
        service.create_user(new_user(name))
    assert [u.username for u in users.list()] == ["one", "three", "two"]


def test_find_by_username_ignores_case(service: AuthService, users: UserRepository) -> None:
    created = service.create_user(new_user("MixedCase"))
    assert users.find_by_username("mixedcase") == created
    assert users.find_by_username("nobody") is None
    with pytest.raises(NotFoundError):
        users.get_by_username("nobody")


def test_list_is_by_name_and_pages(service: AuthService, users: UserRepository) -> None:
    for name in ("delta", "Alpha", "charlie", "Bravo"):
        service.create_user(new_user(name))
    assert [u.username for u in users.list()] == ["Alpha", "Bravo", "charlie", "delta"]
    first = users.list(limit=2)
    assert [u.username for u in users.list(after=first[-1].username)] == ["charlie", "delta"]


def test_set_disabled_and_admin(service: AuthService, users: UserRepository) -> None:
    user = service.create_user(new_user("jane"))
    assert users.set_disabled(user.id, True).is_disabled
    assert users.set_admin(user.id, True).is_admin
    again = users.get(user.id)
    assert again.is_disabled and again.is_admin and again.updated_at >= user.updated_at


def test_resolve_owner_finds_users_by_name_in_any_case_or_by_id(
    service: AuthService, db_handle: DatabaseHandle, settings: Settings
) -> None:
    user = service.create_user(new_user("Owner"))
    root = Root(settings, handle=db_handle)
    assert resolve_owner(root, "OWNER") == user.id
    assert resolve_owner(root, str(user.id)) == user.id
    assert resolve_owner(root, None) is None
    with pytest.raises(NotFoundError):
        resolve_owner(root, "nobody")


def test_db_init_creates_the_auth_indexes(db_handle: DatabaseHandle) -> None:
    rows = [row for row in list_indexes(db_handle) if row["collection"] in AUTH_INDEXES]
    assert {(r["collection"], r["name"]) for r in rows} == {
        (collection, spec.name) for collection, specs in AUTH_INDEXES.items() for spec in specs
    }
    assert all(row["present"] for row in rows), rows
    ttl = {
        ix["name"]: ix.get("expireAfterSeconds")
        for name in ("refresh_tokens", "login_attempts")
        for ix in db_handle.db[name].list_indexes()
    }
    assert ttl["refresh_expiry"] == 0 and ttl["attempt_expiry"] == 0


# --- CLI ---------------------------------------------------------------------------------
def _cli(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", "users", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_create_list_disable_enable_make_admin(
    db_handle: DatabaseHandle, cli_env: dict[str, str]
) -> None:
    created = _cli(
        ["create", "Jane", "--email", "jane@example.org", "--password-stdin", "--json"],
        cli_env,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    user = json.loads(created.stdout)
    assert user["username"] == "Jane" and user["isAdmin"] is False
    assert PASSWORD not in created.stdout + created.stderr
    admin = _cli(["create", "root", "--admin", "--password-stdin"], cli_env, PASSWORD + "\n")
    assert admin.returncode == 0, admin.stderr
    assert "created admin root" in admin.stdout

    listed = json.loads(_cli(["list", "--json"], cli_env).stdout)
    assert [(u["username"], u["isAdmin"]) for u in listed] == [("Jane", False), ("root", True)]
    assert all("passwordHash" not in u for u in listed)

    disabled = _cli(["disable", "JANE"], cli_env)
    assert disabled.returncode == 0, disabled.stderr
    assert db_handle.db["users"].find_one({"usernameKey": "jane"})["isDisabled"] is True
    table = _cli(["list"], cli_env)
    assert table.returncode == 0 and "disabled" in table.stdout

    assert _cli(["enable", "jane"], cli_env).returncode == 0
    assert _cli(["make-admin", "jane"], cli_env).returncode == 0
    stored = db_handle.db["users"].find_one({"usernameKey": "jane"})
    assert stored["isDisabled"] is False and stored["isAdmin"] is True

    # The account works: the stored hash is argon2-cffi's production default.
    settings = Settings(
        mongodb_uri=cli_env["JWSTDATA_MONGODB_URI"],
        database=cli_env["JWSTDATA_DATABASE"],
        secret_key="s" * 40,
    )
    tokens = AuthService(db_handle, settings).login("jane", PASSWORD, client="test")
    assert tokens.access_token


def test_cli_create_enforces_uniqueness_before_db_init(
    db_handle: DatabaseHandle, cli_env: dict[str, str]
) -> None:
    db_handle.db["users"].drop()  # a fresh database: `jwstdata db init` never ran
    assert _cli(["create", "root", "--password-stdin"], cli_env, PASSWORD + "\n").returncode == 0
    again = _cli(["create", "ROOT", "--password-stdin"], cli_env, PASSWORD + "\n")
    assert again.returncode == 1 and "already taken" in again.stderr
    assert db_handle.db["users"].count_documents({}) == 1


def test_cli_errors_are_one_line(db_handle: DatabaseHandle, cli_env: dict[str, str]) -> None:
    assert _cli(["create", "jane", "--password-stdin"], cli_env, PASSWORD + "\n").returncode == 0
    duplicate = _cli(["create", "JANE", "--password-stdin"], cli_env, PASSWORD + "\n")
    assert duplicate.returncode == 1
    assert duplicate.stderr.strip() == "error: username 'JANE' is already taken"

    short = _cli(["create", "other", "--password-stdin"], cli_env, "tooshort\n")
    assert short.returncode == 1
    assert short.stderr.strip() == (
        "error: invalid input: password: Value error, must be at least 10 characters"
    )
    assert "tooshort" not in short.stdout + short.stderr

    unknown = _cli(["disable", "nobody"], cli_env)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "error: unknown user 'nobody'"
