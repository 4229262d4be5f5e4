"""Password hashing with argon2id (argon2-cffi), and a check that costs the same either way.

Production uses argon2-cffi's default parameters (``PasswordHasher()``); tests pass a
cheaper hasher to :class:`~jwstdata.services.auth.AuthService`.
"""

from __future__ import annotations

import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_dummy_hashes: dict[tuple[object, ...], str] = {}
_lock = threading.Lock()


def _parameters(hasher: PasswordHasher) -> tuple[object, ...]:
    return (
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
        hasher.salt_len,
        hasher.type,
    )


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password, made once per parameter set.

    Checking a password for a user that does not exist against it takes as long as a real
    check, so response times do not tell which user names exist.
    """
    key = _parameters(hasher)
    with _lock:
        if key not in _dummy_hashes:
            _dummy_hashes[key] = hasher.hash(secrets.token_urlsafe(32))
        return _dummy_hashes[key]


def verify_password(hasher: PasswordHasher, stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; always runs one argon2 verification."""
    try:
        hasher.verify(stored_hash or dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored_hash is not None


def needs_rehash(hasher: PasswordHasher, stored_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
