"""Migrations 4 and 5: what the pipeline's suffix table and the text search changed.

- 4 ``pipeline-suffixes``: names the old last-token rule could not read (``_residual_fringe``
  read as ``fringe``, ``_assign_wcs`` as ``wcs``) or whose suffix it did not know (``mbsub``,
  ``median``, ``masterbg1d``...) were stored with level ``unknown``. Their level, data type
  and viewability are derived again from the file name where the suffix table now gives a
  level. A record whose name still says nothing is left alone, as is every record whose level
  is already known (the name or a person decided it).
- 5 ``text-search-terms``: records written before the text search lack ``_norm.terms`` (and the
  derived detector and exposure type); their search keys are computed again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.indexes import RECORDS
from jwstdata.db.migration_writes import BATCH, write_in_batches
from jwstdata.db.query import search_keys
from jwstdata.db.text_terms import TEXT_PATHS
from jwstdata.models.enums import DataType, ProcessingLevel
from jwstdata.naming import NameKind, parse_name

_UNKNOWN_LEVEL = {"processingLevel": ProcessingLevel.unknown.value}
_NAMED_KINDS = (NameKind.exposure, NameKind.source)


# --- 4: levels from the pipeline's suffix table ----------------------------------------------
def suffix_fields(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The fields the suffix table now gives a level-unknown record, or None if none."""
    parsed = parse_name(doc.get("fileName") or "")
    if parsed.kind not in _NAMED_KINDS or parsed.processing_level is ProcessingLevel.unknown:
        return None
    fields: dict[str, Any] = {"processingLevel": parsed.processing_level.value}
    # Ingest stores "metadata" when the name gives no data type; a type chosen otherwise
    # (headers, a person) stays.
    if parsed.data_type is not None and doc.get("dataType") in (None, DataType.metadata.value):
        fields["dataType"] = parsed.data_type.value
        fields["isViewable"] = parsed.is_viewable
    return fields


def _level_unknown(db: Database) -> Iterator[dict[str, Any]]:
    projection = {"fileName": 1, "dataType": 1}
    hint = index_hint(db[RECORDS], "level")
    yield from (
        db[RECORDS]
        .find(_UNKNOWN_LEVEL, projection, **({"hint": hint} if hint else {}))
        .batch_size(BATCH)
    )


def suffixes_pending(db: Database) -> int:
    return sum(1 for doc in _level_unknown(db) if suffix_fields(doc) is not None)


def suffixes_apply(db: Database) -> int:
    def operations() -> Iterator[UpdateOne]:
        for doc in list(_level_unknown(db)):  # read first: the updates leave the index range
            fields = suffix_fields(doc)
            if fields is not None:
                yield UpdateOne({"_id": doc["_id"], **_UNKNOWN_LEVEL}, {"$set": fields})

    return write_in_batches(db, operations())


# --- 5: text search terms --------------------------------------------------------------------
_NO_TERMS = {"_norm.terms": {"$exists": False}}
# What ``search_keys`` reads (migration 2 computes the same keys for records without any).
KEY_PROJECTION = dict.fromkeys((*TEXT_PATHS, "metadata.detector", "metadata.exp_type"), 1)


def terms_pending(db: Database) -> int:
    hint = index_hint(db[RECORDS], ID_INDEX)
    return db[RECORDS].count_documents(_NO_TERMS, **({"hint": hint} if hint else {}))


def terms_apply(db: Database) -> int:
    def operations() -> Iterator[UpdateOne]:
        cursor = (
            db[RECORDS]
            .find(_NO_TERMS, KEY_PROJECTION, hint=index_hint(db[RECORDS], ID_INDEX))
            .batch_size(BATCH)
        )
        for doc in list(cursor):
            yield UpdateOne({"_id": doc["_id"], **_NO_TERMS}, {"$set": {"_norm": search_keys(doc)}})

    return write_in_batches(db, operations())
