"""Opening the database: the configured server, or the embedded one started on demand.

A server this process launched is initialised (:func:`~jwstdata.db.setup.init_database`)
before anyone queries it.
"""

from __future__ import annotations

import time
from datetime import UTC

from bson.codec_options import CodecOptions
from pymongo import MongoClient
from pymongo.errors import (
    ConfigurationError as PyMongoConfigurationError,
)
from pymongo.errors import (
    InvalidURI,
    PyMongoError,
)

from jwstdata.config import Settings
from jwstdata.db.connection import UNAVAILABLE_HINT, DatabaseHandle, short_reason
from jwstdata.db.embedded import EmbeddedServer
from jwstdata.db.setup import init_database
from jwstdata.errors import ConfigurationError, DatabaseUnavailableError
from jwstdata.redact import redact_text, redact_uri

CODEC_OPTIONS: CodecOptions = CodecOptions(tz_aware=True, tzinfo=UTC)


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
        reason = short_reason(last, uri)
        raise DatabaseUnavailableError(
            f"database unavailable at {redacted}: {reason} ({UNAVAILABLE_HINT})",
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
        try:
            init_database(handle)
        except BaseException:
            handle.close()
            raise
    return handle
