"""Migration 6 ``sky-footprints``: the sky footprint and its HEALPix cells (schema version 2)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.indexes import RECORDS
from jwstdata.db.migration_writes import BATCH, write_in_batches
from jwstdata.db.sky import derive_sky, sky_keys
from jwstdata.sky.cells import FIELD as SKY_CELLS

# --- 6: sky footprints (schema version 2) ---------------------------------------------------
# Positional searches match ``_skyCells``; records written before it existed have neither
# ``sky`` nor cells. The footprint comes from what the record keeps (S_REGION, the SCI
# WCS and size, TARG_RA/TARG_DEC, MAST's s_region/s_ra/s_dec); see jwstdata.sky.derive.
_SKY_VERSION = 2
_BEFORE_SKY: dict[str, Any] = {
    "$or": [{"schemaVersion": {"$lt": _SKY_VERSION}}, {"schemaVersion": {"$exists": False}}]
}


def sky_pending(db: Database) -> int:
    hint = index_hint(db[RECORDS], ID_INDEX)  # count_documents refuses hint=None
    return db[RECORDS].count_documents(_BEFORE_SKY, **({"hint": hint} if hint else {}))


def sky_apply(db: Database) -> int:
    cursor = db[RECORDS].find(
        _BEFORE_SKY,
        {"metadata": 1, "imageInfo": 1, "sky": 1},
        hint=index_hint(db[RECORDS], ID_INDEX),
    )

    def operations() -> Iterator[UpdateOne]:
        for doc in cursor.batch_size(BATCH):
            sky = derive_sky(doc) or doc.get("sky")
            yield UpdateOne(
                {"_id": doc["_id"], **_BEFORE_SKY},
                {"$set": {"sky": sky, SKY_CELLS: sky_keys(sky), "schemaVersion": _SKY_VERSION}},
            )

    return write_in_batches(db, operations())
