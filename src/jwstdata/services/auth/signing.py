"""The JWT signing secret and the access tokens signed with it (HS256).

The secret comes from ``JWSTDATA_SECRET_KEY`` or the file named by
``JWSTDATA_SECRET_KEY_FILE``. Without either, only development mode (which ``make run``
sets explicitly) may go on: it generates a secret once and keeps it in
``$JWSTDATA_HOME/dev-secret`` (mode 0600), so restarting the server keeps sessions valid.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from jwstdata.config import Settings, secret_from
from jwstdata.errors import AuthenticationError, ConfigurationError

MIN_SECRET_BYTES = 32
DEV_SECRET_FILE = "dev-secret"
ALGORITHM = "HS256"
ACCESS = "access"
INVALID_TOKEN = "invalid or expired access token"
# ``sid``: the session the token was issued in (the refresh token issued with it); ending
# the session (logout, reuse, password change, disabling) ends the access token too.
_REQUIRED_CLAIMS = ["sub", "adm", "iat", "exp", "jti", "typ", "sid"]


def signing_secret(settings: Settings) -> bytes:
    """The secret that signs access tokens; a ConfigurationError when there is none."""
    if settings.secret_key is not None:
        return _checked(settings.secret_key.get_secret_value(), "JWSTDATA_SECRET_KEY")
    if (text := secret_from(None, settings.secret_key_file, "SECRET_KEY")) is not None:
        return _checked(text, f"JWSTDATA_SECRET_KEY_FILE {settings.secret_key_file}")
    if settings.dev_mode:
        return _checked(_dev_secret(settings.home_dir / DEV_SECRET_FILE), DEV_SECRET_FILE)
    raise ConfigurationError("JWSTDATA_SECRET_KEY (or _FILE) is required outside development mode")


def _checked(text: str, source: str) -> bytes:
    secret = text.strip().encode("utf-8")
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"{source} is too short: the signing secret needs at least {MIN_SECRET_BYTES} bytes "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    return secret


def _dev_secret(path: Path) -> str:
    """Read the development secret, creating it first if needed (safe between processes)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            # link() never replaces: when two processes race, the first secret wins.
            with contextlib.suppress(FileExistsError):
                os.link(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the development secret {path}: {exc.strerror or exc}"
        ) from None


def encode_access_token(
    secret: bytes,
    *,
    user_id: str,
    admin: bool,
    now: datetime,
    lifetime: timedelta,
    session_id: str,
) -> str:
    issued = int(now.timestamp())
    claims = {
        "sub": user_id,
        "adm": admin,
        "iat": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "jti": secrets.token_urlsafe(16),
        "typ": ACCESS,
        "sid": session_id,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(secret: bytes, token: str, *, now: datetime) -> dict[str, Any]:
    """The claims of a valid, unexpired access token; AuthenticationError otherwise.

    Expiry is checked against the service's clock rather than PyJWT's wall clock, so the
    same clock decides when a token is issued and when it runs out.
    """
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": _REQUIRED_CLAIMS,
            },
        )
    except jwt.PyJWTError:
        raise AuthenticationError(INVALID_TOKEN) from None
    expires = claims.get("exp")
    if (
        claims.get("typ") != ACCESS
        or not isinstance(claims.get("sid"), str)
        or not isinstance(expires, int | float)
        or now.timestamp() >= expires
    ):
        raise AuthenticationError(INVALID_TOKEN)
    return claims
