"""``/api/auth``: tokens, refresh rotation, logout, the caller, API keys, registration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from jwstdata.api.deps import ServicesDep, SignedInDep
from jwstdata.errors import NotFoundError
from jwstdata.models import parse_object_id
from jwstdata.models.user import TokenPair, UserCreate

router = APIRouter(prefix="/api/auth", tags=["auth"])


class RefreshPayload(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class ApiKeyPayload(BaseModel):
    name: str = Field(min_length=1, max_length=100)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _oauth2(pair: TokenPair) -> dict[str, Any]:
    """The OAuth2 token response (RFC 6749 field names)."""
    return pair.model_dump(by_alias=False, mode="json")


@router.post("/token", summary="Sign in (OAuth2 password form)")
def token(
    svc: ServicesDep, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> dict[str, Any]:
    return _oauth2(svc.auth.login(form.username, form.password, _client(request)))


@router.post("/refresh", summary="Exchange a refresh token for new tokens (rotation)")
def refresh(svc: ServicesDep, body: RefreshPayload) -> dict[str, Any]:
    return _oauth2(svc.auth.refresh(body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a refresh token")
def logout(svc: ServicesDep, body: RefreshPayload) -> None:
    svc.auth.logout(body.refresh_token)


@router.get("/me", summary="The signed-in user")
def me(user: SignedInDep) -> dict[str, Any]:
    return user.model_dump(mode="json", by_alias=True)


@router.post(
    "/register", status_code=status.HTTP_201_CREATED, summary="Self-registration (if enabled)"
)
def register(svc: ServicesDep, body: UserCreate) -> dict[str, Any]:
    return svc.auth.register(body).model_dump(mode="json", by_alias=True)


@router.post(
    "/api-keys", status_code=status.HTTP_201_CREATED, summary="Create an API key (shown once)"
)
def create_api_key(svc: ServicesDep, user: SignedInDep, body: ApiKeyPayload) -> dict[str, Any]:
    return svc.auth.create_api_key(user, body.name).model_dump(mode="json", by_alias=True)


@router.get("/api-keys", summary="Your API keys (never the keys themselves)")
def list_api_keys(svc: ServicesDep, user: SignedInDep) -> list[dict[str, Any]]:
    return [k.model_dump(mode="json", by_alias=True) for k in svc.auth.list_api_keys(user)]


@router.delete("/api-keys/{key_id}", summary="Revoke an API key")
def revoke_api_key(svc: ServicesDep, user: SignedInDep, key_id: str) -> dict[str, Any]:
    oid = parse_object_id(key_id)
    if oid is None:
        raise NotFoundError(f"API key {key_id} not found")
    return svc.auth.revoke_api_key(user, oid).model_dump(mode="json", by_alias=True)
