"""``/api/auth``: tokens, refresh rotation, logout, the caller, API keys, registration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from jwstdata.api.deps import ServicesDep, SignedInDep
from jwstdata.api.schemas import OAuth2Token
from jwstdata.errors import NotFoundError
from jwstdata.models import parse_object_id
from jwstdata.models.user import ApiKeyCreated, ApiKeyInfo, TokenPair, User, UserCreate

router = APIRouter(prefix="/api/auth", tags=["auth"])


class RefreshPayload(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class ApiKeyPayload(BaseModel):
    name: str = Field(min_length=1, max_length=100)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _oauth2(pair: TokenPair) -> OAuth2Token:
    """The OAuth2 token response (RFC 6749 field names)."""
    return OAuth2Token.model_validate(pair.model_dump(by_alias=False, mode="json"))


@router.post("/token", summary="Sign in (OAuth2 password form)")
def token(
    svc: ServicesDep, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> OAuth2Token:
    return _oauth2(svc.auth.login(form.username, form.password, _client(request)))


@router.post("/refresh", summary="Exchange a refresh token for new tokens (rotation)")
def refresh(svc: ServicesDep, body: RefreshPayload) -> OAuth2Token:
    return _oauth2(svc.auth.refresh(body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a refresh token")
def logout(svc: ServicesDep, body: RefreshPayload) -> None:
    svc.auth.logout(body.refresh_token)


@router.get("/me", summary="The signed-in user")
def me(user: SignedInDep) -> User:
    return user


@router.post(
    "/register", status_code=status.HTTP_201_CREATED, summary="Self-registration (if enabled)"
)
def register(svc: ServicesDep, body: UserCreate) -> User:
    return svc.auth.register(body)


@router.post(
    "/api-keys", status_code=status.HTTP_201_CREATED, summary="Create an API key (shown once)"
)
def create_api_key(svc: ServicesDep, user: SignedInDep, body: ApiKeyPayload) -> ApiKeyCreated:
    return svc.auth.create_api_key(user, body.name)


@router.get("/api-keys", summary="Your API keys (never the keys themselves)")
def list_api_keys(svc: ServicesDep, user: SignedInDep) -> list[ApiKeyInfo]:
    return svc.auth.list_api_keys(user)


@router.delete("/api-keys/{key_id}", summary="Revoke an API key")
def revoke_api_key(svc: ServicesDep, user: SignedInDep, key_id: str) -> ApiKeyInfo:
    oid = parse_object_id(key_id)
    if oid is None:
        raise NotFoundError(f"API key {key_id} not found")
    return svc.auth.revoke_api_key(user, oid)
