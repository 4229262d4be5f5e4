"""Rotating refresh tokens (``refresh_tokens``), stored only as SHA-256 hashes.

Every login starts a *family*. Each refresh marks the presented token used and issues its
successor in the same family. A token presented a second time means it was copied: the
whole family is revoked, so both the thief and the victim must log in again.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from bson import ObjectId

from jwstdata.db.refresh_tokens import RefreshTokens
from jwstdata.errors import AuthenticationError

INVALID_REFRESH = "invalid or expired refresh token"


def token_hash(token: str) -> str:
    """High-entropy random tokens need no salt or slow hash: SHA-256 is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RefreshTokenStore:
    def __init__(
        self, tokens: RefreshTokens, clock: Callable[[], datetime], lifetime: timedelta
    ) -> None:
        self.tokens = tokens
        self.clock = clock
        self.lifetime = lifetime

    def issue(self, user_id: ObjectId, family_id: ObjectId | None = None) -> tuple[str, ObjectId]:
        """A new token for ``user_id`` (a new family, or the next one in ``family_id``), and
        the id of its stored document: the session id access tokens issued with it carry."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        doc_id = self.tokens.add(token_hash(token), user_id, family_id, now, now + self.lifetime)
        return token, doc_id

    def use(self, token: str) -> tuple[ObjectId, ObjectId]:
        """Mark a live token used; ``(user id, family id)``. Reuse revokes the family."""
        digest = token_hash(token)
        used = self.tokens.mark_used(digest, self.clock())
        if used is None:
            family_id = self.tokens.used_family(digest)
            if family_id is not None:
                self.revoke_family(family_id)
            raise AuthenticationError(INVALID_REFRESH)
        return used

    def revoke_token_family(self, token: str) -> bool:
        """Revoke the family ``token`` belongs to (logout); False when it is unknown."""
        family_id = self.tokens.family_of(token_hash(token))
        if family_id is None:
            return False
        self.revoke_family(family_id)
        return True

    def session_active(self, session_id: ObjectId) -> bool:
        """False once the session an access token was issued in has ended.

        ``session_id`` is the refresh token issued together with the access token.
        Revocation (logout, reuse, password change, disabling) marks every token of the
        family, this one included; a token already removed (expired) also ends it. One
        look-up by ``_id``.
        """
        return self.tokens.is_live(session_id)

    def revoke_family(self, family_id: ObjectId) -> int:
        return self.tokens.revoke_family(family_id, self.clock())

    def revoke_user(self, user_id: ObjectId) -> int:
        """Revoke every session of a user (on disabling it or changing its password)."""
        return self.tokens.revoke_user(user_id, self.clock())
