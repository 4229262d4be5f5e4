"""Browser sessions: an opaque HttpOnly cookie, the tokens kept server-side, and CSRF.

Signing in calls :meth:`AuthService.login` like every other client. The token pair it
returns never reaches the browser: it is stored in ``web_sessions`` under the SHA-256 of a
random session id, sealed (AES-GCM) with a key derived from that id, which only the
browser holds (cookie ``jwst_session``: HttpOnly, SameSite=Strict, Secure over HTTPS). A
copy of the database alone therefore yields neither a usable cookie nor usable tokens.

Each request verifies the access token through :meth:`AuthService.verify_access_token`, so a
disabled account or a revoked session is noticed at once. An expired access token is
renewed with the refresh token; one request claims the renewal (compare-and-set on
``generation``) and concurrent requests wait for its result, so rotation never presents a
refresh token twice (which the refresh store would treat as theft). A refresh that fails
(logout elsewhere, password change, disabled user) ends the session.

CSRF: every state-changing request carries the session's synchronizer token, as a form
field (``csrf_token``) or, from JavaScript, the ``X-CSRF-Token`` header; a cross-origin
``Origin`` header is refused outright. The sign-in form, which has no session yet, uses a
double-submit cookie instead, signed (HMAC with the app secret) so a planted value fails.
SameSite=Strict already keeps the cookie off cross-site requests; the tokens are the second,
independent layer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request, Response

from jwstdata.db.web_sessions import WebSessions
from jwstdata.errors import AuthenticationError, PermissionDeniedError
from jwstdata.models.base import utcnow
from jwstdata.models.user import TokenPair, User
from jwstdata.services.auth import AuthService

if TYPE_CHECKING:
    from jwstdata.http.container import Services

SESSION_COOKIE = "jwst_session"
LOGIN_CSRF_COOKIE = "jwst_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_SESSION_ID_LENGTH = 128
RENEWAL_CLAIM = timedelta(seconds=10)
RENEWAL_WAIT_SECONDS = 5.0
_UNRESOLVED = object()


@dataclass(frozen=True, slots=True)
class BrowserSession:
    key: str  # sha256 of the session id (the stored document's _id)
    user: User
    csrf_token: str


def _digest(label: bytes, session_id: str) -> bytes:
    return hashlib.sha256(label + session_id.encode("utf-8")).digest()


def _key_of(session_id: str) -> str:
    return _digest(b"jwstdata-web-session-id:", session_id).hex()


def _seal(session_id: str, pair: TokenPair) -> bytes:
    nonce = secrets.token_bytes(12)
    payload = json.dumps({"a": pair.access_token, "r": pair.refresh_token}).encode()
    sealed = AESGCM(_digest(b"jwstdata-web-session-key:", session_id)).encrypt(nonce, payload, None)
    return nonce + sealed


def _unseal(session_id: str, sealed: bytes) -> tuple[str, str] | None:
    """(access token, refresh token), or None if the blob does not open with this id."""
    try:
        aead = AESGCM(_digest(b"jwstdata-web-session-key:", session_id))
        tokens = json.loads(aead.decrypt(bytes(sealed[:12]), bytes(sealed[12:]), None))
        return tokens["a"], tokens["r"]
    except (InvalidTag, ValueError, KeyError, TypeError):
        return None


class BrowserSessions:
    """The ``web_sessions`` store: start, resolve (with renewal) and end sessions."""

    def __init__(
        self,
        sessions: WebSessions,
        auth: AuthService,
        lifetime: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.auth = auth
        self.lifetime = lifetime
        self.clock = clock

    @classmethod
    def build(cls, services: Services) -> BrowserSessions:
        store = cls(
            WebSessions.for_database(services.handle),
            services.auth,
            timedelta(days=services.settings.refresh_token_days),
        )
        store.ensure_indexes()
        return store

    def ensure_indexes(self) -> None:
        """Expired sessions are removed by a TTL index (and ignored until then)."""
        self.sessions.ensure_indexes()

    # --- lifecycle ----------------------------------------------------------------------
    def start(self, username: str, password: str, client: str) -> tuple[str, BrowserSession]:
        """Sign in (AuthService.login: rate limits, lockout) and open a fresh session."""
        pair = self.auth.login(username, password, client)
        user = self.auth.verify_access_token(pair.access_token)
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        doc = {
            "_id": _key_of(session_id),
            "userId": user.id,
            "csrf": secrets.token_urlsafe(32),
            "sealed": _seal(session_id, pair),
            "generation": 0,
            "renewingUntil": None,
            "createdAt": now,
            "expiresAt": now + self.lifetime,
        }
        self.sessions.add(doc)
        return session_id, BrowserSession(doc["_id"], user, doc["csrf"])

    def resolve(self, session_id: str) -> BrowserSession | None:
        """The live session for a cookie value, renewing its access token if needed."""
        if not session_id or len(session_id) > MAX_SESSION_ID_LENGTH:
            return None
        doc = self._find(_key_of(session_id))
        if doc is None:
            return None
        tokens = _unseal(session_id, doc["sealed"])
        if tokens is None:
            return None
        try:
            user = self.auth.verify_access_token(tokens[0])
        except AuthenticationError:
            renewed = self._renew(session_id, doc, tokens[1])
            if renewed is None:
                return None
            doc, user = renewed
        return BrowserSession(doc["_id"], user, doc["csrf"])

    def end(self, session_id: str) -> None:
        """Sign out: revoke the refresh token family and forget the session."""
        key = _key_of(session_id)
        doc = self._find(key)
        if doc is None:
            return
        tokens = _unseal(session_id, doc["sealed"])
        if tokens is not None:
            self.auth.logout(tokens[1])
        self.sessions.remove(key)

    # --- internals ----------------------------------------------------------------------
    def _find(self, key: str) -> dict[str, Any] | None:
        doc = self.sessions.find(key)
        if doc is None or _as_utc(doc["expiresAt"]) <= self.clock():
            return None
        return doc

    def _renew(
        self, session_id: str, doc: dict[str, Any], refresh_token: str
    ) -> tuple[dict[str, Any], User] | None:
        now = self.clock()
        generation = doc["generation"]
        claimed = self.sessions.claim_renewal(doc["_id"], generation, now, now + RENEWAL_CLAIM)
        if claimed is None:
            return self._await_renewal(session_id, doc["_id"], generation)
        try:
            pair = self.auth.refresh(refresh_token)
            user = self.auth.verify_access_token(pair.access_token)
        except AuthenticationError:
            self.sessions.remove(doc["_id"])
            return None
        update = {
            "sealed": _seal(session_id, pair),
            "generation": generation + 1,
            "renewingUntil": None,
            "expiresAt": self.clock() + self.lifetime,
        }
        self.sessions.save_renewal(doc["_id"], update)
        return {**claimed, **update}, user

    def _await_renewal(
        self, session_id: str, key: str, generation: int
    ) -> tuple[dict[str, Any], User] | None:
        """Another request is renewing this session: use its result when it lands."""
        deadline = time.monotonic() + RENEWAL_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            doc = self._find(key)
            if doc is None:
                return None
            if doc["generation"] > generation:
                tokens = _unseal(session_id, doc["sealed"])
                if tokens is None:
                    return None
                try:
                    return doc, self.auth.verify_access_token(tokens[0])
                except AuthenticationError:
                    return None
        return None


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- request helpers ------------------------------------------------------------------------
def browser_session(request: Request) -> BrowserSession | None:
    """The request's session from its cookie (resolved once per request)."""
    cached = getattr(request.state, "browser_session", _UNRESOLVED)
    if cached is not _UNRESOLVED:
        return cached  # type: ignore[return-value]
    session_id = request.cookies.get(SESSION_COOKIE)
    store: BrowserSessions | None = getattr(request.app.state, "browser_sessions", None)
    session = store.resolve(session_id) if session_id and store is not None else None
    request.state.browser_session = session
    return session


def same_origin(request: Request) -> bool:
    """False only when the browser says the request came from another site.

    The ``Origin`` host is compared with the ``Host`` header (not the scheme, which a
    TLS-terminating proxy may change). Under ``Referrer-Policy: no-referrer`` browsers send
    ``Origin: null`` even for same-origin form posts, so "null", like no header at all,
    defers to the CSRF token.
    """
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    host = request.headers.get("host", request.url.netloc).lower()
    return urlsplit(origin).netloc.lower() == host


def tokens_match(expected: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(expected.encode(), (presented or "").encode())


def check_csrf(request: Request, session: BrowserSession, presented: str | None) -> None:
    if not same_origin(request) or not tokens_match(session.csrf_token, presented):
        raise PermissionDeniedError(
            "this request was not sent by a page of this site (missing or stale CSRF token); "
            "reload the page and try again"
        )


def session_user(request: Request) -> User | None:
    """For the JSON API: the cookie session's user, if any.

    Pages call the API with ``fetch`` on the same origin; GETs need only the cookie, every
    other method also the ``X-CSRF-Token`` header, or it is refused (never downgraded).
    """
    if SESSION_COOKIE not in request.cookies:
        return None
    session = browser_session(request)
    if session is None:
        return None
    if request.method not in SAFE_METHODS:
        check_csrf(request, session, request.headers.get(CSRF_HEADER))
    return session.user


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(
    response: Response, request: Request, session_id: str, lifetime: timedelta
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request)
    )


def _login_csrf_mac(request: Request, nonce: str) -> str:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise PermissionDeniedError("the sign-in form is not available yet; try again")
    key = hmac.new(services.auth.secret, b"jwstdata-login-csrf", hashlib.sha256).digest()
    return hmac.new(key, nonce.encode("utf-8"), hashlib.sha256).hexdigest()


def _signed_login_token(request: Request, token: str | None) -> bool:
    """True for a token this server made: ``nonce.mac``, the MAC keyed by the app secret.

    A double-submit cookie alone can be planted by a sibling (sub)domain; the signature
    means a planted value is refused unless this server minted it.
    """
    if not token or len(token) > MAX_SESSION_ID_LENGTH or "." not in token:
        return False
    nonce, _, mac = token.rpartition(".")
    return bool(nonce) and hmac.compare_digest(mac, _login_csrf_mac(request, nonce))


def login_csrf_token(request: Request) -> str:
    """The sign-in form's double-submit token (the cookie's, while it lives)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not _signed_login_token(request, token):
        nonce = secrets.token_urlsafe(24)
        token = f"{nonce}.{_login_csrf_mac(request, nonce)}"
    return token  # type: ignore[return-value]


def set_login_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/signin",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def check_login_csrf(request: Request, presented: str | None) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if (
        not same_origin(request)
        or not _signed_login_token(request, expected)
        or not tokens_match(expected, presented)
    ):
        raise PermissionDeniedError(
            "the sign-in form expired or came from another site; reload it and try again"
        )
