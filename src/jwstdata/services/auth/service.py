"""``AuthService``: accounts, login, tokens and API keys, behind one small interface.

Routes and CLI commands call this; it owns the rules (rate limits, rotation, who may
revoke what) and leaves storage to the repository and the stores beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property

from argon2 import PasswordHasher
from bson import ObjectId
from pydantic import SecretStr

from jwstdata.config import Settings
from jwstdata.db.api_keys import ApiKeys
from jwstdata.db.connection import DatabaseHandle
from jwstdata.db.login_attempts import LoginAttempts
from jwstdata.db.refresh_tokens import RefreshTokens
from jwstdata.db.users import UserRepository
from jwstdata.errors import AuthenticationError, PermissionDeniedError, ValidationError
from jwstdata.models.access import AccessContext
from jwstdata.models.base import parse_object_id, utcnow
from jwstdata.models.user import (
    PASSWORD_MAX_LENGTH,
    ApiKeyCreated,
    ApiKeyInfo,
    TokenPair,
    User,
    UserCreate,
    check_password,
    username_key,
)
from jwstdata.services.auth.api_keys import ApiKeyStore
from jwstdata.services.auth.limits import LoginLimiter
from jwstdata.services.auth.passwords import needs_rehash, verify_password
from jwstdata.services.auth.refresh import INVALID_REFRESH, RefreshTokenStore
from jwstdata.services.auth.signing import (
    INVALID_TOKEN,
    decode_access_token,
    encode_access_token,
    signing_secret,
)

BAD_LOGIN = "incorrect username or password"


class AuthService:
    def __init__(
        self,
        handle: DatabaseHandle,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        hasher: PasswordHasher | None = None,
        users: UserRepository | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        # argon2-cffi's defaults in production; tests pass cheaper parameters.
        self.hasher = hasher or PasswordHasher()
        # The composition root hands in its own accounts repository; tests may omit it.
        self.users = users or UserRepository.for_database(handle)
        self.limiter = LoginLimiter(LoginAttempts.for_database(handle), settings, clock)
        self.refresh_tokens = RefreshTokenStore(
            RefreshTokens.for_database(handle), clock, timedelta(days=settings.refresh_token_days)
        )
        self.api_keys = ApiKeyStore(ApiKeys.for_database(handle), clock)

    @cached_property
    def secret(self) -> bytes:
        """Resolved on first use: managing accounts (the CLI) needs no signing secret."""
        return signing_secret(self.settings)

    # --- accounts -----------------------------------------------------------------------
    def create_user(self, data: UserCreate, *, is_admin: bool = False) -> User:
        """Create an account (admins and the CLI); DuplicateError for a taken name/email."""
        return self.users.create(
            data.username,
            self.hasher.hash(data.password.get_secret_value()),
            email=data.email,
            is_admin=is_admin,
            now=self.clock(),
        )

    def register(self, data: UserCreate) -> User:
        """Self-registration: a plain user, only when the setting allows it."""
        if not self.settings.allow_registration:
            raise PermissionDeniedError("self-registration is disabled on this server")
        if data.email is None:
            raise ValidationError.from_fields([{"field": "email", "message": "required"}])
        return self.create_user(data)

    def set_disabled(self, user_id: ObjectId, disabled: bool) -> User:
        """Disable (ending every session) or re-enable an account."""
        user = self.users.set_disabled(user_id, disabled)
        if disabled:
            self.refresh_tokens.revoke_user(user_id)
        return user

    def set_admin(self, user_id: ObjectId, admin: bool) -> User:
        return self.users.set_admin(user_id, admin)

    def set_password(self, user_id: ObjectId, password: str) -> User:
        """Replace a password (validated like a new one) and end every session."""
        try:
            check_password(SecretStr(password))
        except ValueError as exc:
            raise ValidationError.from_fields(
                [{"field": "password", "message": str(exc)}]
            ) from None
        user = self.users.set_password(user_id, self.hasher.hash(password))
        self.refresh_tokens.revoke_user(user_id)
        return user

    # --- login --------------------------------------------------------------------------
    def login(self, username: str, password: str, client: str) -> TokenPair:
        """Check a password and start a session.

        Unknown users, wrong passwords and disabled accounts fail alike, with one argon2
        verification each (against a dummy hash when there is no user), so neither the
        message nor the time tells them apart. Rate limits apply before the check, and the
        attempt is counted against the user name before the password is verified.
        """
        name_key = username_key(username)
        self.limiter.count_client_attempt(client)
        self.limiter.reserve_attempt(name_key)
        found = self.users.find_credentials(username)
        user, stored = found if found is not None else (None, None)
        if len(password) > PASSWORD_MAX_LENGTH:
            stored, password = None, ""  # still pay for one verification
        valid = verify_password(self.hasher, stored, password)
        if not valid or user is None or user.is_disabled:
            self.limiter.record_failure(name_key)
            raise AuthenticationError(BAD_LOGIN)
        self.limiter.record_success(name_key)
        if stored is not None and needs_rehash(self.hasher, stored):
            self.users.set_password(user.id, self.hasher.hash(password))
        user = self.users.record_login(user.id, self.clock())
        return self._issue(user, family_id=None)

    def _issue(self, user: User, family_id: ObjectId | None) -> TokenPair:
        lifetime = timedelta(minutes=self.settings.access_token_minutes)
        refresh, session_id = self.refresh_tokens.issue(user.id, family_id)
        access = encode_access_token(
            self.secret,
            user_id=str(user.id),
            admin=user.is_admin,
            now=self.clock(),
            lifetime=lifetime,
            session_id=str(session_id),
        )
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(lifetime.total_seconds()),
        )

    # --- tokens -------------------------------------------------------------------------
    def verify_access_token(self, token: str) -> User:
        """The active user an access token belongs to; AuthenticationError otherwise."""
        claims = decode_access_token(self.secret, token, now=self.clock())
        user_id = parse_object_id(claims["sub"])
        session_id = parse_object_id(claims["sid"])
        # A signed-out (or stolen-and-revoked) session ends its access tokens too.
        if session_id is None or not self.refresh_tokens.session_active(session_id):
            raise AuthenticationError(INVALID_TOKEN)
        user = self.users.find(user_id) if user_id is not None else None
        if user is None or user.is_disabled:
            raise AuthenticationError(INVALID_TOKEN)
        return user

    def refresh(self, token: str) -> TokenPair:
        """Rotate: the presented token is used up; a new pair in the same family returns."""
        user_id, family_id = self.refresh_tokens.use(token)
        user = self.users.find(user_id)
        if user is None or user.is_disabled:
            self.refresh_tokens.revoke_family(family_id)
            raise AuthenticationError(INVALID_REFRESH)
        return self._issue(user, family_id=family_id)

    def logout(self, token: str) -> bool:
        """Revoke the session (token family) of a refresh token; False if it is unknown."""
        return self.refresh_tokens.revoke_token_family(token)

    # --- API keys -----------------------------------------------------------------------
    def create_api_key(self, user: User, name: str) -> ApiKeyCreated:
        return self.api_keys.create(user.id, name)

    def list_api_keys(self, user: User) -> list[ApiKeyInfo]:
        return self.api_keys.list(user.id)

    def revoke_api_key(self, user: User, key_id: ObjectId) -> ApiKeyInfo:
        """Owners revoke their keys, admins any; someone else's key is NotFoundError."""
        return self.api_keys.revoke(key_id, owner=None if user.is_admin else user.id)

    def verify_api_key(self, key: str) -> User:
        user = self.users.find(self.api_keys.verify(key))
        if user is None or user.is_disabled:
            raise AuthenticationError("invalid API key")
        return user

    # --- access -------------------------------------------------------------------------
    @staticmethod
    def context_for(user: User) -> AccessContext:
        return AccessContext.admin(user.id) if user.is_admin else AccessContext.user(user.id)
