"""Request dependencies: the services, and who is calling.

Callers identify with a bearer token or an API key; the dashboard's pages, calling the API
with ``fetch`` on the same origin, with their session cookie (plus the CSRF header for
anything but a read, see :mod:`jwstdata.http.session`).
"""

from __future__ import annotations

from typing import Annotated

from bson import ObjectId
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from jwstdata.errors import AuthenticationError, NotFoundError
from jwstdata.http.container import Services
from jwstdata.http.session import session_user
from jwstdata.models import AccessContext, parse_object_id
from jwstdata.models.user import User

API_KEY_PREFIX = "jwst_"
_bearer = HTTPBearer(auto_error=False, description="JWT access token, or an API key")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key for scripts")


def services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services)]


def current_user(
    request: Request,
    svc: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> User | None:
    """The signed-in user, or None for an anonymous caller. Bad credentials are a 401."""
    token = bearer.credentials if bearer else None
    if api_key or (token and token.startswith(API_KEY_PREFIX)):
        return svc.auth.verify_api_key(api_key or token or "")
    if token:
        return svc.auth.verify_access_token(token)
    return session_user(request)


UserDep = Annotated[User | None, Depends(current_user)]


def require_user(user: UserDep) -> User:
    if user is None:
        raise AuthenticationError("sign in (bearer token or API key) to do this")
    return user


SignedInDep = Annotated[User, Depends(require_user)]


def context(svc: ServicesDep, user: UserDep) -> AccessContext:
    return AccessContext.anonymous() if user is None else svc.auth.context_for(user)


ContextDep = Annotated[AccessContext, Depends(context)]


def record_id(record_id: str) -> ObjectId:
    """A path id; anything that is not an id is simply not found (never a 500)."""
    oid = parse_object_id(record_id)
    if oid is None:
        raise NotFoundError(f"record {record_id} not found")
    return oid


RecordIdDep = Annotated[ObjectId, Depends(record_id)]
