"""Users, credentials on the way in, and the tokens and API keys handed out.

The password hash is never part of these models: the repository keeps it in the stored
document (``passwordHash``) and reads it only where a password is checked, so no model
dump, log line or API response can carry it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ConfigDict, Field, SecretStr, field_validator

from jwstdata.models.base import CamelModel, ObjectIdField, UtcDatetime, utcnow

USERNAME_PATTERN = r"^[A-Za-z0-9._-]{3,64}$"
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
EMAIL_MAX_LENGTH = 254
# Deliberately loose (one "@", no spaces, a dot in the domain): the real check is a mail
# that arrives; this only catches typos and keeps garbage out of a unique index.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def username_key(username: str) -> str:
    """The case-insensitive identity of a user name (what uniqueness and look-ups use)."""
    return username.casefold()


def email_key(email: str) -> str:
    return email.casefold()


def normalize_email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > EMAIL_MAX_LENGTH or not _EMAIL.match(value):
        raise ValueError("must be an email address such as name@example.org")
    return value


class User(CamelModel):
    """A user as the API shows it (never the password hash)."""

    id: ObjectIdField
    username: str
    email: str | None = None
    is_admin: bool = False
    is_disabled: bool = False
    created_at: UtcDatetime = Field(default_factory=utcnow)
    updated_at: UtcDatetime = Field(default_factory=utcnow)
    last_login_at: UtcDatetime | None = None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> User:
        return cls.model_validate(
            {"id": doc["_id"], **{k: v for k, v in doc.items() if k in _PUBLIC_FIELDS}}
        )

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


# Stored fields that map onto ``User`` (the projection every user read uses).
_PUBLIC_FIELDS = frozenset(
    {"username", "email", "isAdmin", "isDisabled", "createdAt", "updatedAt", "lastLoginAt"}
)
USER_PROJECTION: dict[str, int] = {"_id": 1, **dict.fromkeys(_PUBLIC_FIELDS, 1)}


class UserCreate(CamelModel):
    """A new account: what an admin, the CLI or self-registration supplies.

    Error strings never repeat the input (it may be the password); callers that return
    ``errors()`` should pass ``include_input=False`` for the same reason.
    """

    model_config = ConfigDict(hide_input_in_errors=True)

    username: str = Field(pattern=USERNAME_PATTERN, examples=["jrigby"])
    email: str | None = Field(default=None, max_length=EMAIL_MAX_LENGTH)
    password: SecretStr

    @field_validator("email", mode="before")
    @classmethod
    def _check_email(cls, value: Any) -> Any:
        return normalize_email(value) if isinstance(value, str) or value is None else value

    @field_validator("password")
    @classmethod
    def _check_password(cls, value: SecretStr) -> SecretStr:
        return check_password(value)


def check_password(value: SecretStr) -> SecretStr:
    length = len(value.get_secret_value())
    if length < PASSWORD_MIN_LENGTH:
        raise ValueError(f"must be at least {PASSWORD_MIN_LENGTH} characters")
    if length > PASSWORD_MAX_LENGTH:
        raise ValueError(f"must be at most {PASSWORD_MAX_LENGTH} characters")
    return value


class TokenPair(CamelModel):
    """A short-lived access token and the rotating refresh token that renews it."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")

    def to_oauth2(self) -> dict[str, Any]:
        """RFC 6749 field names (``access_token``…), which OAuth2 clients such as the
        OpenAPI page's "Authorize" dialog read from the token endpoint."""
        return self.model_dump(by_alias=False)


class ApiKeyInfo(CamelModel):
    """An API key as listed: enough to recognise and revoke it, never the key itself."""

    id: ObjectIdField
    name: str
    prefix: str = Field(description="Public part of the key (``jwst_<prefix>_…``).")
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None = None
    revoked: bool = False


class ApiKeyCreated(ApiKeyInfo):
    """The answer to creating a key: the only time its plaintext is shown."""

    key: str
