"""The typed exception hierarchy shared by every layer.

Each error carries a stable ``code`` (used in API bodies and CLI output), a human
``message`` and optional structured ``details``. The API maps ``http_status`` to the
response; the CLI prints ``str(error)`` on one line and exits non-zero. The Python client
turns an API error body back into the same class by its ``code``
(:func:`error_from_envelope`). Pydantic's validation errors become field problems here and
only here (:func:`field_problems`, :func:`pydantic_to_validation_error`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any, Protocol


class _HasErrors(Protocol):
    """A pydantic ``ValidationError`` or FastAPI's ``RequestValidationError``."""

    def errors(self) -> Iterable[Mapping[str, Any]]: ...


# Where FastAPI says a request value came from: not part of the field's name.
_REQUEST_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})


class JwstDataError(Exception):
    code = "error"
    http_status = 500

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}


class ValidationError(JwstDataError):
    """Input that breaks a rule; ``details`` lists ``{"field", "message"}`` items."""

    code = "validation_error"
    http_status = 422

    @classmethod
    def from_fields(cls, problems: list[dict[str, str]]) -> ValidationError:
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        if len(problems) > 5:
            summary += f"; and {len(problems) - 5} more"
        return cls(f"invalid input: {summary}", details=problems)


class NotFoundError(JwstDataError):
    """Missing, or not visible to the caller (the two are indistinguishable on purpose)."""

    code = "not_found"
    http_status = 404


class ConflictError(JwstDataError):
    code = "conflict"
    http_status = 409


class DuplicateError(ConflictError):
    code = "duplicate"


class StaleVersionError(ConflictError):
    code = "stale_version"


class AuthenticationError(JwstDataError):
    """Missing, wrong or expired credentials (never says which, to not help guessing)."""

    code = "unauthenticated"
    http_status = 401


class RateLimitedError(JwstDataError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int = 60, details: object = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class PayloadTooLargeError(JwstDataError):
    code = "payload_too_large"
    http_status = 413


class PermissionDeniedError(JwstDataError):
    code = "forbidden"
    http_status = 403


# What anonymous callers read when the database is down; the address and reason go to the log.
DATABASE_UNAVAILABLE_MESSAGE = "the database is unavailable; try again shortly"


class DatabaseUnavailableError(JwstDataError):
    code = "database_unavailable"
    http_status = 503


class DatabaseError(JwstDataError):
    """The server refused an operation for a reason other than availability."""

    code = "database_error"
    http_status = 500


class StorageError(JwstDataError):
    code = "storage_error"
    http_status = 503


class InvalidKeyError(ValidationError):
    code = "invalid_storage_key"


class EmbeddedServerError(JwstDataError):
    code = "embedded_server_error"
    http_status = 503


class ConfigurationError(JwstDataError):
    code = "configuration_error"


# --- MAST archive ---------------------------------------------------------------------


class MastError(JwstDataError):
    """The MAST archive refused or failed a request (after any retries)."""

    code = "mast_error"
    http_status = 502


class MastUnavailableError(MastError):
    """MAST could not be reached, or kept answering 429/5xx, within the retry budget."""

    code = "mast_unavailable"
    http_status = 503


class MastTimeoutError(MastUnavailableError):
    code = "mast_timeout"
    http_status = 504


class MastQueryError(MastError):
    """MAST answered a query with status ERROR (a bad service name or parameter)."""

    code = "mast_query_error"


class MastExclusiveAccessError(MastError):
    """A file under exclusive access (proprietary period) and no token, or a token without
    the right to it."""

    code = "mast_exclusive_access"
    http_status = 403


class MastIncompleteDownloadError(MastError):
    """The body of a download ended before its announced length, repeatedly."""

    code = "mast_incomplete_download"


class TargetNotResolvedError(MastError):
    """MAST's name resolver knows no position for a target name."""

    code = "target_not_resolved"
    http_status = 404


# --- conversions ----------------------------------------------------------------------


def field_problems(
    exc: _HasErrors, *, default: str = "input", request: bool = False
) -> list[dict[str, str]]:
    """``[{"field", "message"}]`` for each error of a pydantic or request validation error.

    The field is the dotted location (``imageInfo.filter``); ``default`` names a problem with
    no location. For a request (FastAPI), the value's source (``query``, ``body``...) is
    not part of the name.
    """
    problems = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        if request and loc and loc[0] in _REQUEST_SOURCES:
            loc = loc[1:]
        field = ".".join(str(p) for p in loc) or default
        problems.append({"field": field, "message": str(err.get("msg", "invalid"))})
    return problems


def pydantic_to_validation_error(exc: _HasErrors, *, default: str = "record") -> ValidationError:
    """A pydantic validation error as :class:`ValidationError` naming every field."""
    return ValidationError.from_fields(field_problems(exc, default=default))


@cache
def _classes_by_code() -> dict[str, type[JwstDataError]]:
    module = sys.modules[__name__]
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, JwstDataError)
    ]
    return {cls.code: cls for cls in classes}


def error_class(code: str | None, http_status: int) -> type[JwstDataError]:
    """The class an API error body's ``code`` names; for a code this version does not know,
    the most general class of the HTTP status (``400`` is a validation error)."""
    by_code = _classes_by_code()
    if code in by_code:
        return by_code[code]
    if http_status == 400:
        return ValidationError
    if not 400 <= http_status < 500:
        return JwstDataError
    general = (cls for cls in by_code.values() if cls.__bases__ == (JwstDataError,))
    return next((cls for cls in general if cls.http_status == http_status), JwstDataError)


def error_from_envelope(
    http_status: int, error: Mapping[str, Any] | None, *, retry_after: str | None = None
) -> JwstDataError:
    """The typed exception for an API error envelope ``{"code", "message", "details"}``."""
    error = error or {}
    code = error.get("code")
    message = str(error.get("message") or f"HTTP {http_status}")
    details = error.get("details")
    cls = error_class(code, http_status)
    if issubclass(cls, RateLimitedError):
        return cls(message, retry_after=int(retry_after or 60), details=details)
    exc = cls(message, details=details)
    if code and code != cls.code:
        exc.code = code  # a code newer than this client: keep the server's word for it
    return exc
