"""An open database (:class:`DatabaseHandle`) and the translation of pymongo's errors.

Opening one is :mod:`jwstdata.db.opening`. Every pymongo failure that reaches a caller goes
through :func:`translate_errors`, so the rest of the code sees only :mod:`jwstdata.errors`
types, and no message ever contains an unredacted connection string.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteError,
)

from jwstdata.db.features import ServerFeatures, server_features
from jwstdata.errors import (
    DatabaseError,
    DatabaseUnavailableError,
    DuplicateError,
    JwstDataError,
    ValidationError,
)
from jwstdata.redact import redact_text

UNAVAILABLE_HINT = "check that the server is running and JWSTDATA_MONGODB_URI is right"
_DUP_KEY = re.compile(r"dup key: \{ ?(?P<fields>[^}]*)\}")
_INDEX_NAME = re.compile(r"index: (?P<name>\S+)")
_MISSING_INDEX = "does not correspond to an existing index"  # a hint naming no index


@dataclass
class DatabaseHandle:
    """An open client plus the database in use. Close it when done."""

    client: MongoClient
    db: Database
    redacted_uri: str
    embedded: bool
    launched: bool = False  # this open started the embedded server (and initialised it)

    @property
    def features(self) -> ServerFeatures:
        """What this server supports (probed on first use, then cached per server)."""
        with translate_errors(self.redacted_uri):
            return server_features(self.db)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> DatabaseHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def short_reason(exc: Exception | None, uri: str) -> str:
    if exc is None:
        return "no answer"
    if isinstance(exc, ServerSelectionTimeoutError):
        return "no server answered in time"
    text = redact_text(str(exc).split(", Timeout:")[0], uri)
    return text[:200]


def duplicate_error(exc: DuplicateKeyError | dict) -> DuplicateError:
    """A conflict error naming the duplicated field(s)."""
    message = exc.get("errmsg", "") if isinstance(exc, dict) else str(exc)
    details = exc.get("keyValue") if isinstance(exc, dict) else (exc.details or {}).get("keyValue")
    fields = list(details) if isinstance(details, dict) else []
    if not fields and (match := _DUP_KEY.search(message)):
        fields = [part.split(":")[0].strip() for part in match["fields"].split(",") if part]
    if not fields and (match := _INDEX_NAME.search(message)):
        fields = [match["name"]]
    return duplicate_of(fields)


def duplicate_of(fields: list[str]) -> DuplicateError:
    named = ", ".join(fields) or "a unique field"
    return DuplicateError(
        f"duplicate value for {named}: a record with the same {named} already exists",
        details={"fields": fields},
    )


def validator_error(exc: WriteError | dict) -> ValidationError:
    """A server-side ``$jsonSchema`` rejection, reported like a model validation error."""
    info = exc if isinstance(exc, dict) else (exc.details or {})
    problems = []
    rules = (info.get("errInfo") or {}).get("details", {}).get("schemaRulesNotSatisfied", [])
    for rule in rules:
        for prop in rule.get("propertiesNotSatisfied", []):
            problems.append(
                {
                    "field": prop.get("propertyName", "?"),
                    "message": "rejected by the database validator",
                }
            )
        for missing in rule.get("missingProperties", []):
            problems.append({"field": missing, "message": "required"})
    if not problems:
        problems = [{"field": "document", "message": "rejected by the database validator"}]
    return ValidationError.from_fields(problems)


def translate_write_error(error: dict) -> JwstDataError:
    code = error.get("code")
    if code in (11000, 11001):
        return duplicate_error(error)
    if code == 121:
        return validator_error(error)
    return ValidationError(str(error.get("errmsg", "write rejected"))[:300])


@contextlib.contextmanager
def translate_errors(redacted_uri: str = "") -> Iterator[None]:
    """Map pymongo exceptions to jwstdata errors (never leaking the URI)."""
    try:
        yield
    except DuplicateKeyError as exc:
        raise duplicate_error(exc) from None
    except BulkWriteError:
        raise  # callers handle per-item outcomes
    except WriteError as exc:
        raise translate_write_error(exc.details or {"code": exc.code, "errmsg": str(exc)}) from None
    except (ConnectionFailure, ServerSelectionTimeoutError) as exc:
        raise DatabaseUnavailableError(
            f"database unavailable at {redacted_uri or 'the configured server'}: "
            f"{short_reason(exc, '')} ({UNAVAILABLE_HINT})"
        ) from None
    except OperationFailure as exc:
        raise operation_error(exc) from None


def operation_error(exc: OperationFailure) -> DatabaseError:
    """The server's own message, one line: never its whole error document."""
    message = str((exc.details or {}).get("errmsg") or exc).split(", full error:")[0]
    if _MISSING_INDEX in message:
        return DatabaseError(
            f"the database is missing an index ({message[:160]}): run `jwstdata db init`",
            details={"code": exc.code},
        )
    return DatabaseError(f"database operation failed: {message[:200]}", details={"code": exc.code})
