"""Migration 7 ``outputs-follow-source``: processing outputs take their source's visibility."""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from jwstdata.db.derived import PROCESSING_SOURCE, differs, wanted_fields
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.indexes import RECORDS
from jwstdata.db.migration_writes import BATCH, write_in_batches

_FOLLOWED = ("isPublic", "sharedWith", "isArchived", "archivedDate")


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
    for doc in outputs.batch_size(BATCH):
        batch.append(doc)
        if len(batch) >= BATCH:
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


def outputs_pending(db: Database) -> int:
    return len(_output_changes(db))


def outputs_apply(db: Database) -> int:
    changed = 0
    for _ in range(8):  # outputs of outputs line up one level per round
        todo = _output_changes(db)
        if not todo:
            break
        changed += write_in_batches(
            db,
            (UpdateOne({"_id": i}, {"$set": fields, "$inc": {"version": 1}}) for i, fields in todo),
        )
    return changed
