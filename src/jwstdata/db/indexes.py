"""Every collection and every index, declared once, with the query each index serves.

Compound indexes follow equality → sort → range order. Sorted listings always end in
``_id`` so keyset pagination has a unique, indexed tie-breaker. ``jwstdata db init``
creates these idempotently (:func:`jwstdata.db.setup.ensure_indexes`, the one code path that
creates declared indexes); ``jwstdata db indexes --json`` lists them. A query names its index
with :func:`jwstdata.db.hints.index_hint`; the names are checked against this registry by
the tests.
"""

from __future__ import annotations

from jwstdata.db.auth_indexes import (
    API_KEYS,
    AUTH_INDEXES,
    LOGIN_ATTEMPTS,
    REFRESH_TOKENS,
    USERS,
    WEB_SESSIONS,
)
from jwstdata.db.index_spec import IndexSpec, _ix
from jwstdata.db.job_indexes import JOB_INDEXES, JOBS

RECORDS = "jwst_data"


RECORD_INDEXES: tuple[IndexSpec, ...] = (
    _ix(
        "owner_path_unique",
        ("userId", 1),
        ("filePath", 1),
        unique=True,
        serves="one record per owner and storage key; re-ingest/re-import finds its record",
    ),
    # Access-scoped default listings (newest first), one per branch of the read filter.
    _ix(
        "public_recent",
        ("isPublic", 1),
        ("isArchived", 1),
        ("uploadDate", -1),
        ("_id", -1),
        serves="anonymous and public listings by upload date",
    ),
    _ix(
        "owner_recent",
        ("userId", 1),
        ("isArchived", 1),
        ("uploadDate", -1),
        ("_id", -1),
        serves="a user's own records by upload date (also `userId` filter)",
    ),
    _ix(
        "shared_recent",
        ("sharedWith", 1),
        ("uploadDate", -1),
        ("_id", -1),
        serves="records shared with a user",
    ),
    # Sort keys (admin listings and keyset pagination over any filter).
    _ix("recent", ("uploadDate", -1), ("_id", -1), serves="sort=uploadDate; uploadDate ranges"),
    _ix(
        "observed",
        ("imageInfo.observationDate", -1),
        ("_id", -1),
        serves="sort=observationDate; observationDate ranges",
    ),
    _ix("by_name", ("fileName", 1), ("_id", 1), serves="sort=fileName; exact file name"),
    _ix("by_size", ("fileSize", -1), ("_id", -1), serves="sort=fileSize"),
    # Equality filters and facets.
    _ix("data_type", ("dataType", 1), ("uploadDate", -1), serves="dataType filter and facet"),
    _ix("status", ("processingStatus", 1), ("uploadDate", -1), serves="processingStatus filter"),
    _ix("level", ("processingLevel", 1), ("uploadDate", -1), serves="processingLevel filter"),
    _ix(
        "instrument_filter",
        ("imageInfo.instrument", 1),
        ("imageInfo.filter", 1),
        ("uploadDate", -1),
        serves="instrument (and instrument+filter) filters and facets",
    ),
    _ix("filter", ("imageInfo.filter", 1), ("uploadDate", -1), serves="filter-only searches"),
    _ix("target", ("_norm.targetName", 1), serves="case-insensitive target name prefix"),
    _ix("proposal", ("imageInfo.proposalId", 1), ("uploadDate", -1), serves="proposalId filter"),
    _ix("tags", ("tags", 1), ("uploadDate", -1), serves="tags (all/any) filters"),
    _ix("file_format", ("fileFormat", 1), ("uploadDate", -1), serves="fileFormat filter"),
    _ix(
        "text_terms",
        ("_norm.terms", 1),
        ("uploadDate", -1),
        serves="text search (q): normalised terms of names, titles, filters (multikey)",
    ),
    _ix("detector", ("_norm.detector", 1), ("uploadDate", -1), serves="detector filter, facet"),
    _ix(
        "exposure_type",
        ("_norm.exposureType", 1),
        ("uploadDate", -1),
        serves="exposure type (EXP_TYPE) filter and facet",
    ),
    # Lineage.
    _ix(
        "observation",
        ("observationBaseId", 1),
        ("processingLevel", 1),
        serves="lineage of one observation, by level",
    ),
    _ix(
        "exposure",
        ("exposureId", 1),
        ("processingLevel", 1),
        serves="lineage within one exposure (per detector chain)",
    ),
    _ix("parent", ("parentId", 1), serves="children of a record (descendants)"),
    _ix("derived_from", ("derivedFrom", 1), serves="products derived from a record"),
    _ix("checksum", ("checksum", 1), serves="duplicate detection and storage verify"),
    _ix("file_path", ("filePath", 1), serves="storage verify and file clean-up: who uses a key"),
    _ix("archived", ("isArchived", 1), ("archivedDate", -1), serves="archived listings"),
    _ix(
        "derived",
        ("isDerived", 1),
        ("uploadDate", -1),
        ("_id", -1),
        serves="derived=true: processing outputs (previews, thumbnails, ...) by upload date",
    ),
    # Positional search: HEALPix cells (NUNIQ) covering each footprint, multikey.
    _ix("sky", ("_skyCells", 1), serves="cone searches (ra/dec/radius): candidate footprints"),
)

GC = "storage_gc"
GC_INDEXES: tuple[IndexSpec, ...] = (
    _ix(
        "gc_key",
        ("storage", 1),
        ("key", 1),
        unique=True,
        serves="queued file deletions of one storage provider (collect, verify)",
    ),
)

COUNTS = "record_counts"
COUNT_INDEXES: tuple[IndexSpec, ...] = (
    _ix("count_cell", ("cell", 1), serves="the counters of the cells one page sums"),
)
# The programme counters, apart: a counter read costs what its collection holds on the
# simplest servers, and pages never need these.
COUNTS_HEAVY = "record_counts_heavy"
HEAVY_COUNT_INDEXES: tuple[IndexSpec, ...] = (
    _ix("heavy_count_cell", ("cell", 1), serves="the programme counters of some cells"),
)

INDEXES: dict[str, tuple[IndexSpec, ...]] = {
    RECORDS: RECORD_INDEXES,
    GC: GC_INDEXES,
    COUNTS: COUNT_INDEXES,
    **AUTH_INDEXES,
    **JOB_INDEXES,
    COUNTS_HEAVY: HEAVY_COUNT_INDEXES,
}

# Collections with no index beyond ``_id``, so that :data:`COLLECTIONS` names every collection
# the code uses (a test checks it). Their names are owned by the modules that use them.
ARCHIVE_MOVES = "archive_moves"
STORAGE_MIGRATIONS = "storage_migrations"
MIGRATIONS = "migrations"

COLLECTIONS: dict[str, str] = {
    RECORDS: "the records (one per stored file)",
    GC: "storage keys queued for deletion",
    COUNTS: "precomputed facet and total counters",
    COUNTS_HEAVY: "precomputed counters read only on demand (per programme)",
    USERS: "accounts",
    REFRESH_TOKENS: "refresh tokens (hashed), per session family",
    API_KEYS: "API keys (hashed)",
    LOGIN_ATTEMPTS: "rate-limit windows and failure counters",
    WEB_SESSIONS: "dashboard sessions (sealed token pairs)",
    JOBS: "the job queue (imports, processing, storage work)",
    ARCHIVE_MOVES: "files being moved between hot and archive storage",
    STORAGE_MIGRATIONS: "progress of `jwstdata storage migrate`",
    MIGRATIONS: "schema migrations applied",
}


def declared_indexes(collection: str) -> tuple[IndexSpec, ...]:
    """The indexes declared for ``collection`` (none for an undeclared one)."""
    return INDEXES.get(collection, ())


def index_names(collection: str) -> frozenset[str]:
    """Every index name a query on ``collection`` may hint, ``_id_`` included."""
    return frozenset({"_id_", *(spec.name for spec in declared_indexes(collection))})
