"""Indexes of the authentication collections (users, refresh tokens, API keys, login state,
dashboard sessions).

Registered into :data:`jwstdata.db.indexes.INDEXES`, so ``jwstdata db init`` creates them.
Every query on these collections names its index with ``hint``. TTL indexes let the server
delete refresh tokens and login counters once ``expiresAt`` has passed; the code never
relies on that clean-up for correctness (it compares ``expiresAt`` itself).
"""

from __future__ import annotations

from jwstdata.db.index_spec import IndexSpec, _ix

USERS = "users"
REFRESH_TOKENS = "refresh_tokens"
API_KEYS = "api_keys"
LOGIN_ATTEMPTS = "login_attempts"
WEB_SESSIONS = "web_sessions"

USER_INDEXES: tuple[IndexSpec, ...] = (
    _ix(
        "username_unique",
        ("usernameKey", 1),
        unique=True,
        serves="case-insensitive unique user names; login look-up; listing by name",
    ),
    # Sparse: accounts without an email are not indexed, so any number of them may exist.
    _ix(
        "email_unique",
        ("emailKey", 1),
        unique=True,
        sparse=True,
        serves="case-insensitive unique email addresses",
    ),
)

REFRESH_TOKEN_INDEXES: tuple[IndexSpec, ...] = (
    _ix("token_hash_unique", ("tokenHash", 1), unique=True, serves="refresh: find a token"),
    _ix("family", ("familyId", 1), serves="rotation reuse and logout: revoke a token family"),
    _ix("user_tokens", ("userId", 1), serves="revoke every session of a user"),
    _ix(
        "refresh_expiry",
        ("expiresAt", 1),
        expireAfterSeconds=0,
        serves="TTL: drop refresh tokens after they expire",
    ),
)

API_KEY_INDEXES: tuple[IndexSpec, ...] = (
    _ix("prefix_unique", ("prefix", 1), unique=True, serves="verify a key by its public prefix"),
    _ix(
        "owner_keys",
        ("userId", 1),
        ("createdAt", -1),
        ("_id", -1),
        serves="a user's API keys, newest first",
    ),
)

LOGIN_ATTEMPT_INDEXES: tuple[IndexSpec, ...] = (
    _ix(
        "attempt_key_unique",
        ("key", 1),
        unique=True,
        serves="one counter per client window and per user name",
    ),
    _ix(
        "attempt_key_failures",
        ("key", 1),
        ("failures", 1),
        serves="reserve a login attempt while a user name's counter is below the limit",
    ),
    _ix(
        "attempt_expiry",
        ("expiresAt", 1),
        expireAfterSeconds=0,
        serves="TTL: drop rate-limit windows and stale failure counters",
    ),
)

# The dashboard's sessions (:mod:`jwstdata.http.session`), looked up by ``_id`` only.
WEB_SESSION_INDEXES: tuple[IndexSpec, ...] = (
    _ix(
        "expires_ttl",
        ("expiresAt", 1),
        expireAfterSeconds=0,
        serves="TTL: drop dashboard sessions after they expire",
    ),
)

AUTH_INDEXES: dict[str, tuple[IndexSpec, ...]] = {
    USERS: USER_INDEXES,
    REFRESH_TOKENS: REFRESH_TOKEN_INDEXES,
    API_KEYS: API_KEY_INDEXES,
    LOGIN_ATTEMPTS: LOGIN_ATTEMPT_INDEXES,
    WEB_SESSIONS: WEB_SESSION_INDEXES,
}
