"""The queries of the lineage linker (:mod:`jwstdata.services.lineage`) on the records.

Each read returns the few fields linking needs (:data:`LINK_FIELDS`) of one owner's
records, on the index named beside it; the linker decides what the links are and hands
back only what changed (:meth:`LineageStore.write_links`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.collection import Collection

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import ID_INDEX, find_in, index_hint

if TYPE_CHECKING:
    from jwstdata.db.records import RecordRepository

LINK_FIELDS = {
    "fileName": 1,
    "userId": 1,
    "parentId": 1,
    "derivedFrom": 1,
    "observationBaseId": 1,
    "exposureId": 1,
    "processingLevel": 1,
    "imageInfo.filter": 1,
    "metadata.asn": 1,
}


class LineageStore:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    @classmethod
    def for_records(cls, repo: RecordRepository) -> LineageStore:
        return cls(repo.collection)

    def _find(self, query: dict[str, Any], index: str) -> list[dict[str, Any]]:
        with translate_errors():
            return list(
                self.collection.find(query, LINK_FIELDS, hint=index_hint(self.collection, index))
            )

    def _find_in(
        self,
        path: str,
        values: list[Any],
        rest: dict[str, Any],
        index: str,
        fields: dict[str, int] = LINK_FIELDS,
    ) -> list[dict[str, Any]]:
        """Records whose ``path`` is one of ``values`` (and match ``rest``), in slices."""
        with translate_errors():
            return list(find_in(self.collection, path, values, rest, fields, index))

    def by_ids(self, ids: list[ObjectId]) -> list[dict[str, Any]]:
        return self._find_in("_id", ids, {}, ID_INDEX)

    def of_exposures(self, owner: Any, exposure_ids: Iterable[str]) -> list[dict[str, Any]]:
        return self._find_in("exposureId", sorted(exposure_ids), {"userId": owner}, "exposure")

    def of_observations(self, owner: Any, pattern: str) -> list[dict[str, Any]]:
        """Records whose ``observationBaseId`` matches the regular expression ``pattern``."""
        return self._find(
            {"observationBaseId": {"$regex": pattern}, "userId": owner}, "observation"
        )

    def associations(self, owner: Any, pattern: str) -> list[dict[str, Any]]:
        """Stored association files (``metadata.asn``) of the runs matching ``pattern``."""
        return self._find(
            {
                "observationBaseId": {"$regex": pattern},
                "userId": owner,
                "metadata.asn": {"$exists": True},
            },
            "observation",
        )

    def exposures_at_level(self, owner: Any, pattern: str, level: str) -> list[dict[str, Any]]:
        """Exposure files at ``level`` whose ``exposureId`` matches ``pattern``."""
        return self._find(
            {"exposureId": {"$regex": pattern}, "processingLevel": level, "userId": owner},
            "exposure",
        )

    def by_names(self, owner: Any, file_names: list[str]) -> list[dict[str, Any]]:
        return self._find_in("fileName", file_names, {"userId": owner}, "by_name")

    def products_fed_by(self, owner: Any, source_ids: list[ObjectId]) -> list[dict[str, Any]]:
        """``observationBaseId`` and ``derivedFrom`` of the records made from ``source_ids``."""
        found = self._find_in(
            "derivedFrom",
            source_ids,
            {"userId": owner},
            "derived_from",
            {"observationBaseId": 1, "derivedFrom": 1},
        )
        # A product fed by sources in two slices is found twice.
        return list({doc["_id"]: doc for doc in found}.values())

    def write_links(self, changes: list[tuple[ObjectId, dict[str, Any]]], now: datetime) -> int:
        """Set each record's changed link fields, in one unordered bulk (each bumps the
        version); how many records."""
        operations = [
            UpdateOne(
                {"_id": record_id},
                {"$set": {**delta, "updatedAt": now}, "$inc": {"version": 1}},
            )
            for record_id, delta in changes
        ]
        if operations:
            with translate_errors():
                self.collection.bulk_write(operations, ordered=False)
        return len(operations)
