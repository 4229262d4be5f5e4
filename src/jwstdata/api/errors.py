"""Every error leaves the API as ``{"error": {"code", "message", "details"}}``.

Bad input is 400/422, never 500; an unexpected exception is a generic 500 whose body
carries no traceback and no secret (the details go to the server log only).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jwstdata.api.middleware import security_headers
from jwstdata.errors import (
    DATABASE_UNAVAILABLE_MESSAGE,
    DatabaseUnavailableError,
    JwstDataError,
    RateLimitedError,
    field_problems,
)

log = logging.getLogger("jwstdata.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _jsonable(details: Any) -> Any:
    if isinstance(details, dict):
        return {str(k): _jsonable(v) for k, v in details.items()}
    if isinstance(details, list | tuple):
        return [_jsonable(v) for v in details]
    if details is None or isinstance(details, str | int | float | bool):
        return details
    return str(details)


async def _domain_error(request: Request, exc: JwstDataError) -> JSONResponse:
    if isinstance(exc, DatabaseUnavailableError):
        # Where the database lives is for the operator's log, not for any caller.
        log.warning("%s: %s", exc.code, exc.message)
        services = getattr(request.app.state, "services", None)
        if services is not None:
            services.recover_database()
        return JSONResponse(
            error_body(exc.code, DATABASE_UNAVAILABLE_MESSAGE),
            status_code=503,
            headers={"Retry-After": "5"},
        )
    headers = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.http_status >= 500:
        log.warning("%s: %s", exc.code, exc.message)
    return JSONResponse(
        error_body(exc.code, exc.message, _jsonable(exc.details)),
        status_code=exc.http_status,
        headers=headers,
    )


async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    problems = field_problems(exc, default="request", request=True)
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:3])
    return JSONResponse(
        error_body("validation_error", f"invalid input: {summary}", problems), status_code=422
    )


async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JSONResponse(
        error_body(code, message),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error")
    # This answer is sent from outside every middleware: it carries the headers itself.
    return JSONResponse(
        error_body("internal_error", "internal server error"),
        status_code=500,
        headers=security_headers(request.url.path),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(JwstDataError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
