"""What every page handler shares: templates, the caller, CSRF checks and error pages.

Page handlers use :class:`PageRoute`, which turns the domain errors the services raise into
readable HTML pages with the same status codes the API uses (a record you may not see is a
404 page here exactly as it is a 404 there); a page that needs a signed-in user sends an
anonymous visitor to the sign-in page and back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from jwstdata import __version__
from jwstdata.errors import (
    DATABASE_UNAVAILABLE_MESSAGE,
    AuthenticationError,
    DatabaseUnavailableError,
    JwstDataError,
    PermissionDeniedError,
    field_problems,
)
from jwstdata.http.deps import ServicesDep
from jwstdata.http.session import CSRF_FIELD, BrowserSession, browser_session, check_csrf
from jwstdata.models import AccessContext

log = logging.getLogger("jwstdata.web")
WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES = Jinja2Templates(directory=WEB_DIR / "templates")
STATUS_TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many attempts",
    503: "Temporarily unavailable",
}


def file_size(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def when(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC" if with_time else "%Y-%m-%d")


# What a record's processingStatus means to a reader (see ProcessingStatus): the stored
# values stay the specification's, the pages say what they mean.
STATUS_LABELS = {
    "pending": ("queued", "A processing job for this record waits for a worker."),
    "processing": ("processing", "A worker is processing this record now."),
    "completed": ("ready", "Nothing is queued or running for this record."),
    "failed": ("failed", "The last processing run on this record failed."),
}


def status_label(value: Any) -> str:
    value = getattr(value, "value", value)
    return STATUS_LABELS.get(str(value), (str(value), ""))[0]


def status_help(value: Any) -> str:
    value = getattr(value, "value", value)
    return STATUS_LABELS.get(str(value), ("", ""))[1]


TEMPLATES.env.filters["filesize"] = file_size
TEMPLATES.env.filters["status_label"] = status_label
TEMPLATES.env.filters["status_help"] = status_help
TEMPLATES.env.filters["when"] = when
TEMPLATES.env.globals["version"] = __version__


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    session = browser_session(request)
    base = {
        "user": session.user if session else None,
        "csrf_token": session.csrf_token if session else "",
        "csrf_field": CSRF_FIELD,
        "path": request.url.path,
    }
    response = TEMPLATES.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, status_code: int, message: str) -> Response:
    title = STATUS_TITLES.get(status_code, "Something went wrong")
    return render(
        request, "error.html", status_code, title=title, message=message, code=status_code
    )


def database_down_page(request: Request, exc: DatabaseUnavailableError) -> Response:
    """503, saying nothing of where the database lives (that goes to the log)."""
    log.warning("%s: %s", exc.code, exc.message)
    services = getattr(request.app.state, "services", None)
    if services is not None:
        services.recover_database()
    response = TEMPLATES.TemplateResponse(
        request,
        "error.html",
        {
            "user": None,
            "csrf_token": "",
            "csrf_field": CSRF_FIELD,
            "path": request.url.path,
            "title": STATUS_TITLES[503],
            "message": DATABASE_UNAVAILABLE_MESSAGE,
            "code": 503,
        },
        status_code=503,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Retry-After"] = "5"
    return response


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


class PageRoute(APIRoute):
    """An APIRoute whose errors are HTML pages (or a trip to the sign-in page)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except AuthenticationError as exc:
                if request.method == "GET":
                    return sign_in_redirect(request)
                return await run_in_threadpool(error_page, request, 401, exc.message)
            except DatabaseUnavailableError as exc:
                return await run_in_threadpool(database_down_page, request, exc)
            except JwstDataError as exc:
                return await run_in_threadpool(error_page, request, exc.http_status, exc.message)
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{p['field']}: {p['message']}"
                    for p in field_problems(exc, default="request", request=True)[:3]
                )
                return await run_in_threadpool(error_page, request, 422, problems)

        return page_handler


# --- dependencies ---------------------------------------------------------------------------
def optional_session(request: Request) -> BrowserSession | None:
    return browser_session(request)


SessionDep = Annotated[BrowserSession | None, Depends(optional_session)]


def required_session(session: SessionDep) -> BrowserSession:
    if session is None:
        raise AuthenticationError("sign in to see this page")
    return session


SignedInDep = Annotated[BrowserSession, Depends(required_session)]


def page_context(svc: ServicesDep, session: SessionDep) -> AccessContext:
    """The same access context the API builds for the same user."""
    return AccessContext.anonymous() if session is None else svc.auth.context_for(session.user)


PageContextDep = Annotated[AccessContext, Depends(page_context)]


def admin_session(session: SignedInDep) -> BrowserSession:
    if not session.user.is_admin:
        raise PermissionDeniedError("only administrators may manage users")
    return session


AdminDep = Annotated[BrowserSession, Depends(admin_session)]


def checked_form(
    request: Request,
    session: SignedInDep,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=128)] = "",
) -> BrowserSession:
    """A state-changing form post: signed in, same origin, with the session's CSRF token."""
    check_csrf(request, session, csrf_token)
    return session


CheckedFormDep = Annotated[BrowserSession, Depends(checked_form)]


def local_target(value: str | None, default: str = "/library") -> str:
    """Only same-site paths are followed after sign-in (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    return value
