"""What ``jwstdata db status`` and ``db recount`` ask of the server: which server it is,
about how many records it holds, and the counters rebuilt from the records."""

from __future__ import annotations

from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.counters import RecordCounters
from jwstdata.db.indexes import RECORDS


def server_version(handle: DatabaseHandle) -> str:
    """``MongoDB 7.0.4``, ``SecantusDB 0.9 (MongoDB 7.0)`` or ``FerretDB 1.24.2``."""
    with translate_errors(handle.redacted_uri):
        build = handle.client.admin.command("buildInfo")
    if "secantusVersion" in build:
        return f"SecantusDB {build['secantusVersion']} (MongoDB {build.get('version')})"
    if "ferretdb" in build or "ferretdbVersion" in build:
        return f"FerretDB {build.get('ferretdbVersion', '?')}"
    return f"MongoDB {build.get('version', '?')}"


def estimated_records(handle: DatabaseHandle) -> int:
    """The record count from the collection's metadata (instant, maybe slightly stale)."""
    with translate_errors(handle.redacted_uri):
        return handle.db[RECORDS].estimated_document_count()


def recount_records(handle: DatabaseHandle) -> dict[str, int]:
    """Rebuild the facet and total counters from the records themselves."""
    return RecordCounters(handle.db, handle.redacted_uri).recount(handle.db[RECORDS])
