"""The typed exception hierarchy shared by every layer.

Each error carries a stable ``code`` (used in API bodies and CLI output), a human
``message`` and optional structured ``details``. The API maps ``http_status`` to the
response; the CLI prints ``str(error)`` on one line and exits non-zero.
"""

from __future__ import annotations

from typing import Any


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
