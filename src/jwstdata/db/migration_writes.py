"""How data migrations write: record updates sent in unordered batches of ``BATCH``."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateOne
from pymongo.database import Database

from jwstdata.db.indexes import RECORDS

BATCH = 1000


def write_in_batches(db: Database, operations: Iterable[UpdateOne]) -> int:
    """Apply ``operations`` to the records, ``BATCH`` at a time; how many were modified."""
    changed = 0
    batch: list[UpdateOne] = []
    for operation in operations:
        batch.append(operation)
        if len(batch) >= BATCH:
            changed += db[RECORDS].bulk_write(batch, ordered=False).modified_count
            batch = []
    if batch:
        changed += db[RECORDS].bulk_write(batch, ordered=False).modified_count
    return changed
