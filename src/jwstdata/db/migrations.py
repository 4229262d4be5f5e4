"""Schema migrations: ordered, idempotent changes to stored documents.

Each migration has a number (its place in the order), a name, ``pending(db)`` (how many
documents still need it) and ``apply(db)`` (the change). ``apply`` only touches documents
that still need it, so running it again changes nothing; ``jwstdata db migrate`` runs, in
order, every migration that has documents to change, and ``jwstdata db status`` lists them.

Whether a migration is needed is decided by counting the documents that need it, not by
the ``migrations`` collection: documents written by an older client or restored from an
older backup can need a migration that was recorded long ago. The collection is the
history: one document per migration (``_id`` = its number) with when it last ran and how
many documents it changed. A migration is recorded the first time ``migrate`` runs after
it exists, even with nothing to change, so the history shows which migrations a database
has seen; a second run with nothing pending writes nothing at all.

A migration that changes the record schema also raises ``schemaVersion`` to the version
it produces (``{"schemaVersion": {"$lt": N}}`` selects what it still has to do), and
:data:`jwstdata.models.record.SCHEMA_VERSION` moves to ``N`` in the same change.

Every query names the ``_id_`` index: migrations visit the whole collection anyway, and the
embedded server's planner would otherwise pick nothing better.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from jwstdata.db import migrations_search
from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.counters import RecordCounters
from jwstdata.db.derived import PROCESSING_SOURCE, differs, wanted_fields
from jwstdata.db.hints import index_hint
from jwstdata.db.indexes import RECORDS
from jwstdata.db.query import search_keys
from jwstdata.db.sky import derive_sky, sky_keys
from jwstdata.models.base import utcnow
from jwstdata.models.record import SCHEMA_VERSION
from jwstdata.sky.cells import FIELD as SKY_CELLS

MIGRATIONS_COLLECTION = "migrations"
ID_INDEX = "_id_"
_BATCH = 1000
_FOLLOWED = ("isPublic", "sharedWith", "isArchived", "archivedDate")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    description: str
    pending: Callable[[Database], int]
    apply: Callable[[Database], int]  # returns how many documents it changed


def _count(db: Database, flt: dict[str, Any]) -> int:
    hint = index_hint(db[RECORDS], ID_INDEX)  # count_documents refuses hint=None
    return db[RECORDS].count_documents(flt, **({"hint": hint} if hint else {}))


def _update_many(db: Database, flt: dict[str, Any], update: dict[str, Any]) -> int:
    return (
        db[RECORDS].update_many(flt, update, hint=index_hint(db[RECORDS], ID_INDEX)).modified_count
    )


# --- 1: defaults every query relies on ------------------------------------------------------
# Default searches match ``isArchived: false`` and the access clause reads ``sharedWith``: a
# record written without them (an old client, a raw script) is invisible to both.
_DEFAULTS: dict[str, Any] = {"schemaVersion": 1, "isArchived": False, "sharedWith": []}


def _missing(name: str) -> dict[str, Any]:
    return {name: {"$exists": False}}


def _defaults_pending(db: Database) -> int:
    return _count(db, {"$or": [_missing(name) for name in _DEFAULTS]})


def _defaults_apply(db: Database) -> int:
    changed = 0
    for name, value in _DEFAULTS.items():
        changed += _update_many(db, _missing(name), {"$set": {name: value}})
    return changed


# --- 2: derived search keys -----------------------------------------------------------------
# Target searches match ``_norm.targetName`` (case-folded); records inserted without the
# repository lack it and never match a target search.
def _search_keys_pending(db: Database) -> int:
    return _count(db, _missing("_norm"))


def _search_keys_apply(db: Database) -> int:
    changed = 0
    cursor = db[RECORDS].find(
        _missing("_norm"),
        migrations_search.KEY_PROJECTION,
        hint=index_hint(db[RECORDS], ID_INDEX),
    )
    batch: list[UpdateOne] = []
    for doc in cursor.batch_size(_BATCH):
        batch.append(
            UpdateOne(
                {"_id": doc["_id"], **_missing("_norm")},
                {"$set": {"_norm": search_keys(doc)}},
            )
        )
        if len(batch) >= _BATCH:
            changed += db[RECORDS].bulk_write(batch, ordered=False).modified_count
            batch = []
    if batch:
        changed += db[RECORDS].bulk_write(batch, ordered=False).modified_count
    return changed


# --- 3: archive flags that contradict each other -------------------------------------------
# ``archivedDate`` on a record that is not archived (a script that only flipped the flag)
# fails model validation, so the record could not be read at all.
_STALE_ARCHIVED_DATE: dict[str, Any] = {"isArchived": False, "archivedDate": {"$ne": None}}


def _archived_date_pending(db: Database) -> int:
    return _count(db, _STALE_ARCHIVED_DATE)


def _archived_date_apply(db: Database) -> int:
    return _update_many(db, _STALE_ARCHIVED_DATE, {"$set": {"archivedDate": None}})


# --- 6: sky footprints (schema version 2) ---------------------------------------------------
# Positional searches match ``_skyCells``; records written before it existed have neither
# ``sky`` nor cells. The footprint comes from what the record keeps (S_REGION, the SCI
# WCS and size, TARG_RA/TARG_DEC, MAST's s_region/s_ra/s_dec); see jwstdata.sky.derive.
_SKY_VERSION = 2
_BEFORE_SKY: dict[str, Any] = {
    "$or": [{"schemaVersion": {"$lt": _SKY_VERSION}}, _missing("schemaVersion")]
}


def _sky_pending(db: Database) -> int:
    return _count(db, _BEFORE_SKY)


def _sky_apply(db: Database) -> int:
    changed = 0
    cursor = db[RECORDS].find(
        _BEFORE_SKY,
        {"metadata": 1, "imageInfo": 1, "sky": 1},
        hint=index_hint(db[RECORDS], ID_INDEX),
    )
    batch: list[UpdateOne] = []
    for doc in cursor.batch_size(_BATCH):
        sky = derive_sky(doc) or doc.get("sky")
        batch.append(
            UpdateOne(
                {"_id": doc["_id"], **_BEFORE_SKY},
                {"$set": {"sky": sky, SKY_CELLS: sky_keys(sky), "schemaVersion": _SKY_VERSION}},
            )
        )
        if len(batch) >= _BATCH:
            changed += db[RECORDS].bulk_write(batch, ordered=False).modified_count
            batch = []
    if batch:
        changed += db[RECORDS].bulk_write(batch, ordered=False).modified_count
    return changed


# --- 7: processing outputs follow their source -------------------------------------------
# Outputs used to keep the visibility their source had when they were made. Those owned by
# the source's owner take its isPublic, sharedWith and archive flags; any other output (a
# reader's run, or one whose source is gone) is made private. Every output gets
# ``isDerived: true``, which keeps it out of default searches, facets and counts.
# Files are never touched here.
_OUTPUTS = {"metadata.source": PROCESSING_SOURCE, "derivedFrom.0": {"$exists": True}}
_OUTPUT_FIELDS = {"userId": 1, "derivedFrom": 1, "isDerived": 1, **dict.fromkeys(_FOLLOWED, 1)}


def _output_changes(db: Database) -> list[tuple[Any, dict[str, Any]]]:
    """(output id, fields to set) for every output out of line with its source."""
    changes = []
    outputs = db[RECORDS].find(_OUTPUTS, _OUTPUT_FIELDS, hint=index_hint(db[RECORDS], ID_INDEX))
    batch: list[dict[str, Any]] = []
    for doc in outputs.batch_size(_BATCH):
        batch.append(doc)
        if len(batch) >= _BATCH:
            changes += _batch_changes(db, batch)
            batch = []
    return changes + _batch_changes(db, batch)


def _batch_changes(db: Database, outputs: list[dict[str, Any]]) -> list[tuple[Any, dict]]:
    if not outputs:
        return []
    ids = sorted({doc["derivedFrom"][0] for doc in outputs})
    sources = {
        doc["_id"]: doc
        for doc in db[RECORDS].find(
            {"_id": {"$in": ids}},
            {"userId": 1, **dict.fromkeys(_FOLLOWED, 1)},
            hint=index_hint(db[RECORDS], ID_INDEX),
        )
    }
    changes = []
    for doc in outputs:
        source = sources.get(doc["derivedFrom"][0])
        wanted = wanted_fields(source, doc) if source is not None else None
        if wanted is None:  # no readable source: private to its owner
            wanted = {"isPublic": False, "sharedWith": []}
        wanted["isDerived"] = True  # listed with its source, not in default searches
        if changed := differs(doc, wanted):
            changes.append((doc["_id"], changed))
    return changes


def _outputs_pending(db: Database) -> int:
    return len(_output_changes(db))


def _outputs_apply(db: Database) -> int:
    changed = 0
    for _ in range(8):  # outputs of outputs line up one level per round
        todo = _output_changes(db)
        if not todo:
            break
        for start in range(0, len(todo), _BATCH):
            changed += (
                db[RECORDS]
                .bulk_write(
                    [
                        UpdateOne({"_id": i}, {"$set": fields, "$inc": {"version": 1}})
                        for i, fields in todo[start : start + _BATCH]
                    ],
                    ordered=False,
                )
                .modified_count
            )
    return changed


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "record-defaults",
        "set schemaVersion 1, isArchived false and sharedWith [] where missing",
        _defaults_pending,
        _defaults_apply,
    ),
    Migration(
        2,
        "search-keys",
        "add the case-folded search keys (_norm.targetName) to records without them",
        _search_keys_pending,
        _search_keys_apply,
    ),
    Migration(
        3,
        "archived-date",
        "clear archivedDate on records that are not archived",
        _archived_date_pending,
        _archived_date_apply,
    ),
    Migration(
        4,
        "pipeline-suffixes",
        "derive level, data type and viewability again where the jwst pipeline's suffix "
        "table now reads the file name (multi-token and newly known suffixes)",
        migrations_search.suffixes_pending,
        migrations_search.suffixes_apply,
    ),
    Migration(
        5,
        "text-search-terms",
        "add the normalised text-search terms (_norm.terms), detector and exposure type",
        migrations_search.terms_pending,
        migrations_search.terms_apply,
    ),
    Migration(
        6,
        "sky-footprints",
        "add the sky footprint (sky) and its HEALPix cells (_skyCells); schemaVersion 2",
        _sky_pending,
        _sky_apply,
    ),
    Migration(
        7,
        "outputs-follow-source",
        "mark processing outputs (previews, thumbnails, ...) isDerived and give them their "
        "source's visibility, sharing and archive state; other users' outputs and orphans "
        "become private",
        _outputs_pending,
        _outputs_apply,
    ),
)


def _check_order(migrations: tuple[Migration, ...]) -> None:
    numbers = [m.number for m in migrations]
    if numbers != sorted(set(numbers)):
        raise RuntimeError(f"migrations must have unique, increasing numbers: {numbers}")


_check_order(MIGRATIONS)


@dataclass
class PendingMigration:
    number: int
    name: str
    description: str
    documents: int
    recorded: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "description": self.description,
            "documents": self.documents,
            "recorded": self.recorded,
        }


@dataclass
class MigrationRunReport:
    applied: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    dry_run: bool = False
    schema_version: int = SCHEMA_VERSION
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        return sum(item["changed"] for item in self.applied)

    def to_json(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "schemaVersion": self.schema_version,
            "applied": self.applied,
            "unchanged": self.unchanged,
            "documentsChanged": self.changed,
            "seconds": round(self.seconds, 3),
        }


def _recorded(db: Database) -> set[int]:
    return {
        doc["_id"]
        for doc in db[MIGRATIONS_COLLECTION].find(
            {}, {"_id": 1}, hint=index_hint(db[MIGRATIONS_COLLECTION], ID_INDEX)
        )
    }


def migration_status(
    handle: DatabaseHandle, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[PendingMigration]:
    """Every migration with how many documents still need it and whether it was recorded."""
    with translate_errors(handle.redacted_uri):
        recorded = _recorded(handle.db)
        return [
            PendingMigration(
                m.number, m.name, m.description, m.pending(handle.db), m.number in recorded
            )
            for m in migrations
        ]


def pending_migrations(
    handle: DatabaseHandle, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[PendingMigration]:
    """The migrations that have documents to change."""
    return [m for m in migration_status(handle, migrations) if m.documents > 0]


def run_migrations(
    handle: DatabaseHandle,
    *,
    dry_run: bool = False,
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> MigrationRunReport:
    """Apply, in order, each migration with documents to change; record what ran."""
    clock = time.monotonic()
    report = MigrationRunReport(dry_run=dry_run)
    db = handle.db
    with translate_errors(handle.redacted_uri):
        recorded = _recorded(db)
        for migration in migrations:
            pending = migration.pending(db)
            if pending == 0 and migration.number in recorded:
                report.unchanged.append(migration.number)
                continue
            if dry_run:
                report.applied.append(
                    {"number": migration.number, "name": migration.name, "changed": pending}
                )
                continue
            started = time.monotonic()
            changed = migration.apply(db) if pending else 0
            seconds = round(time.monotonic() - started, 3)
            db[MIGRATIONS_COLLECTION].update_one(
                {"_id": migration.number},
                {
                    "$set": {
                        "name": migration.name,
                        "description": migration.description,
                        "lastAppliedAt": utcnow(),
                        "lastChanged": changed,
                        "seconds": seconds,
                    },
                    "$setOnInsert": {"firstAppliedAt": utcnow()},
                    "$inc": {"runs": 1, "totalChanged": changed},
                },
                upsert=True,
                hint=index_hint(db[MIGRATIONS_COLLECTION], ID_INDEX),
            )
            report.applied.append(
                {"number": migration.number, "name": migration.name, "changed": changed}
            )
        if any(step["changed"] for step in report.applied) and not dry_run:
            # Migrations rewrite records in bulk, past the counters: count them anew.
            RecordCounters(db, handle.redacted_uri).recount(db[RECORDS])
    report.seconds = time.monotonic() - clock
    return report


__all__ = [
    "MIGRATIONS",
    "MIGRATIONS_COLLECTION",
    "Migration",
    "MigrationRunReport",
    "PendingMigration",
    "migration_status",
    "pending_migrations",
    "run_migrations",
]
