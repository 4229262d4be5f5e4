"""Opening the database: the configured server, or the embedded one started on demand.

Every pymongo failure that reaches a caller goes through :func:`translate_errors`, so the
rest of the code sees only :mod:`jwstdata.errors` types, and no message ever contains an
unredacted connection string.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC

from bson.codec_options import CodecOptions
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import (
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    InvalidURI,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
    WriteError,
)
from pymongo.errors import (
    ConfigurationError as PyMongoConfigurationError,
)

from jwstdata.config import Settings
from jwstdata.db.embedded import EmbeddedServer
from jwstdata.db.features import ServerFeatures, server_features
from jwstdata.errors import (
    ConfigurationError,
    DatabaseError,
    DatabaseUnavailableError,
    DuplicateError,
    JwstDataError,
    ValidationError,
)
from jwstdata.redact import redact_text, redact_uri

CODEC_OPTIONS: CodecOptions = CodecOptions(tz_aware=True, tzinfo=UTC)
_HINT = "check that the server is running and JWSTDATA_MONGODB_URI is right"
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


def resolve_uri(settings: Settings, *, start_embedded: bool = True) -> tuple[str, bool]:
    """The URI to use and whether it is the embedded server (started when asked)."""
    uri, embedded, _launched = _resolve(settings, start_embedded=start_embedded)
    return uri, embedded


def _resolve(settings: Settings, *, start_embedded: bool) -> tuple[str, bool, bool]:
    """(URI, embedded?, launched by this call?)"""
    uri = settings.resolved_uri
    if uri is not None:
        return uri, False, False
    server = EmbeddedServer(settings)
    state = server.start() if start_embedded else server.running()
    if state is None:
        raise DatabaseUnavailableError(
            "the embedded database is not running; start it with `jwstdata db start`"
        )
    return state.uri, True, state.launched


def open_database(
    settings: Settings, *, start_embedded: bool = True, database: str | None = None
) -> DatabaseHandle:
    """Connect and verify with ``ping``, retrying a bounded number of times."""
    uri, embedded, launched = _resolve(settings, start_embedded=start_embedded)
    redacted = redact_uri(uri)
    try:
        client: MongoClient = MongoClient(
            uri,
            serverSelectionTimeoutMS=settings.server_selection_timeout_ms,
            connectTimeoutMS=min(settings.server_selection_timeout_ms, 10_000),
            appname="jwstdata",
            tz_aware=True,
            tzinfo=UTC,
        )
    except (InvalidURI, PyMongoConfigurationError, ValueError) as exc:
        raise ConfigurationError(
            f"invalid MongoDB connection string {redacted}: {redact_text(str(exc), uri)}"
        ) from None
    last: Exception | None = None
    for attempt in range(settings.connect_retries + 1):
        try:
            client.admin.command("ping")
            break
        except PyMongoError as exc:
            last = exc
            if attempt < settings.connect_retries:
                time.sleep(min(0.5 * 2**attempt, 4.0))
    else:
        client.close()
        reason = _short_reason(last, uri)
        raise DatabaseUnavailableError(
            f"database unavailable at {redacted}: {reason} ({_HINT})",
            details={"uri": redacted},
        )
    name = database or settings.database
    handle = DatabaseHandle(
        client=client,
        db=client.get_database(name, codec_options=CODEC_OPTIONS),
        redacted_uri=redacted,
        embedded=embedded,
        launched=launched,
    )
    if launched:
        # A server this call created may hold a brand-new database: without its indexes the
        # first search would fail on a hint, so initialise it before anyone queries it.
        from jwstdata.db.setup import init_database  # setup imports this module

        try:
            init_database(handle)
        except BaseException:
            handle.close()
            raise
    return handle


def _short_reason(exc: Exception | None, uri: str) -> str:
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
            f"{_short_reason(exc, '')} ({_HINT})"
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
