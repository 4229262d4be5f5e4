"""Signing in and out, and the administrators' users page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from bson import ObjectId
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError

from jwstdata.errors import JwstDataError, NotFoundError, ValidationError
from jwstdata.http.deps import ServicesDep
from jwstdata.http.session import (
    SESSION_COOKIE,
    BrowserSession,
    check_login_csrf,
    clear_session_cookie,
    login_csrf_token,
    set_login_csrf_cookie,
    set_session_cookie,
)
from jwstdata.models import parse_object_id
from jwstdata.models.user import UserCreate
from jwstdata.web.pages import (
    AdminDep,
    PageRoute,
    SessionDep,
    checked_form,
    local_target,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
USERS_PER_PAGE = 100
USER_NOTICES = {
    "created": "User created.",
    "disabled": "User disabled: their sessions have ended.",
    "enabled": "User enabled.",
    "admin": "User is now an administrator.",
    "unadmin": "User is no longer an administrator.",
}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _signin_page(
    request: Request, next_url: str, error: str | None = None, status_code: int = 200, **form: str
) -> Response:
    # The form's token goes in the page and in a cookie; the post must carry both.
    token = login_csrf_token(request)
    response = render(
        request,
        "signin.html",
        status_code,
        next_url=next_url,
        error=error,
        form=form,
        login_csrf=token,
    )
    set_login_csrf_cookie(response, request, token)
    return response


@router.get("/signin")
def signin_form(
    request: Request,
    session: SessionDep,
    next_url: Annotated[str | None, Query(alias="next", max_length=2048)] = None,
) -> Response:
    target = local_target(next_url)
    if session is not None:
        return RedirectResponse(target, status_code=303)
    return _signin_page(request, target)


@router.post("/signin")
def signin(
    request: Request,
    svc: ServicesDep,
    username: Annotated[str, Form(max_length=256)] = "",
    password: Annotated[str, Form(max_length=2048)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=2048)] = "/library",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    target = local_target(next_url)
    try:
        check_login_csrf(request, csrf_token)
        if not username.strip() or not password:
            raise ValidationError("enter your user name and password")
        session_id, _ = request.app.state.browser_sessions.start(
            username.strip(), password, _client(request)
        )
    except JwstDataError as exc:
        return _signin_page(request, target, exc.message, exc.http_status, username=username)
    response = RedirectResponse(target, status_code=303)
    lifetime = timedelta(days=svc.settings.refresh_token_days)
    set_session_cookie(response, request, session_id, lifetime)
    return response


@router.post("/signout")
def signout(
    request: Request, _: Annotated[BrowserSession, Depends(checked_form)]
) -> RedirectResponse:
    request.app.state.browser_sessions.end(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/library", status_code=303)
    clear_session_cookie(response, request)
    return response


# --- administrators -----------------------------------------------------------------------
def _users_page(
    request: Request,
    svc: ServicesDep,
    after: str | None,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    users = svc.auth.users.list(limit=USERS_PER_PAGE + 1, after=after)
    more = len(users) > USERS_PER_PAGE
    users = users[:USERS_PER_PAGE]
    return render(
        request,
        "users.html",
        status_code,
        users=users,
        next_after=users[-1].username if more and users else None,
        notice=USER_NOTICES.get(request.query_params.get("notice", "")),
        error=error,
        form=form or {},
    )


def admin_form(
    session: AdminDep, checked: Annotated[BrowserSession, Depends(checked_form)]
) -> BrowserSession:
    return checked


AdminFormDep = Annotated[BrowserSession, Depends(admin_form)]


@router.get("/admin/users")
def users(
    request: Request,
    svc: ServicesDep,
    _: AdminDep,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    return _users_page(request, svc, after)


@router.post("/admin/users")
def create_user(
    request: Request,
    svc: ServicesDep,
    _: AdminFormDep,
    username: Annotated[str, Form(max_length=64)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    is_admin: Annotated[bool, Form(alias="isAdmin")] = False,
) -> Response:
    form = {"username": username, "email": email}
    try:
        try:
            data = UserCreate(
                username=username.strip(),
                email=email.strip() or None,
                password=SecretStr(password),
            )
        except PydanticValidationError as exc:
            raise ValidationError.from_fields(
                [
                    {"field": ".".join(map(str, e["loc"])) or "user", "message": e["msg"]}
                    for e in exc.errors(include_input=False)
                ]
            ) from None
        svc.auth.create_user(data, is_admin=is_admin)
    except JwstDataError as exc:
        return _users_page(
            request, svc, None, status_code=exc.http_status, error=exc.message, form=form
        )
    return RedirectResponse("/admin/users?notice=created", status_code=303)


def _user_id(value: str) -> ObjectId:
    oid = parse_object_id(value)
    if oid is None:
        raise NotFoundError(f"user {value} not found")
    return oid


@router.post("/admin/users/{user_id}/{action}")
def change_user(
    request: Request,
    svc: ServicesDep,
    session: AdminFormDep,
    user_id: str,
    action: str,
) -> Response:
    oid = _user_id(user_id)
    try:
        if oid == session.user.id and action in ("disable", "unadmin"):
            raise ValidationError("you cannot disable yourself or remove your own admin rights")
        if action == "disable":
            svc.auth.set_disabled(oid, True)
        elif action == "enable":
            svc.auth.set_disabled(oid, False)
        elif action == "admin":
            svc.auth.set_admin(oid, True)
        elif action == "unadmin":
            svc.auth.set_admin(oid, False)
        else:
            raise NotFoundError(f"unknown action {action!r}")
    except JwstDataError as exc:
        return _users_page(request, svc, None, status_code=exc.http_status, error=exc.message)
    notice = {"disable": "disabled", "enable": "enabled"}.get(action, action)
    return RedirectResponse(f"/admin/users?notice={notice}", status_code=303)
