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

from jwstdata.db import migrations_outputs, migrations_search, migrations_sky
from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.counters import RecordCounters
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.indexes import COUNTS_HEAVY, RECORDS
from jwstdata.db.migration_writes import BATCH, write_in_batches
from jwstdata.db.query import search_keys
from jwstdata.models.base import utcnow
from jwstdata.models.record import SCHEMA_VERSION

MIGRATIONS_COLLECTION = "migrations"


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
    cursor = db[RECORDS].find(
        _missing("_norm"),
        migrations_search.KEY_PROJECTION,
        hint=index_hint(db[RECORDS], ID_INDEX),
    )
    return write_in_batches(
        db,
        (
            UpdateOne(
                {"_id": doc["_id"], **_missing("_norm")}, {"$set": {"_norm": search_keys(doc)}}
            )
            for doc in cursor.batch_size(BATCH)
        ),
    )


# --- 3: archive flags that contradict each other -------------------------------------------
# ``archivedDate`` on a record that is not archived (a script that only flipped the flag)
# fails model validation, so the record could not be read at all.
_STALE_ARCHIVED_DATE: dict[str, Any] = {"isArchived": False, "archivedDate": {"$ne": None}}


def _archived_date_pending(db: Database) -> int:
    return _count(db, _STALE_ARCHIVED_DATE)


def _archived_date_apply(db: Database) -> int:
    return _update_many(db, _STALE_ARCHIVED_DATE, {"$set": {"archivedDate": None}})


# --- 8: one document per cell for the programme counters ------------------------------------
# Programme counters were one document per (cell, programme); reads now take one document per
# cell. Both layouts add up correctly, so this only makes reads cheaper: the old documents go,
# and the recount that follows any changing migration writes them in the new layout.
_OLD_HEAVY = {"value": {"$exists": True}}


def _heavy_layout_pending(db: Database) -> int:
    return db[COUNTS_HEAVY].count_documents(_OLD_HEAVY)


def _heavy_layout_apply(db: Database) -> int:
    return db[COUNTS_HEAVY].delete_many(_OLD_HEAVY).deleted_count


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
        migrations_sky.sky_pending,
        migrations_sky.sky_apply,
    ),
    Migration(
        7,
        "outputs-follow-source",
        "mark processing outputs (previews, thumbnails, ...) isDerived and give them their "
        "source's visibility, sharing and archive state; other users' outputs and orphans "
        "become private",
        migrations_outputs.outputs_pending,
        migrations_outputs.outputs_apply,
    ),
    Migration(
        8,
        "programme-counters-per-cell",
        "rewrite the programme counters as one document per cell (then recount)",
        _heavy_layout_pending,
        _heavy_layout_apply,
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
