"""Reading lineage: one observation by level, and bounded walks up or down from a record.

Every read goes through the access context, so a walk never reveals a record the caller
cannot see (its edges are dropped with it). Walks are breadth-first over indexed fields
(``_id``, ``parentId``, ``derivedFrom``) and bounded in depth and size.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bson import ObjectId

from jwstdata.db.records import RecordRepository
from jwstdata.models import AccessContext, JwstDataModel, ProcessingLevel
from jwstdata.naming import parse_name

MAX_DEPTH = 16
MAX_NODES = 5000
MAX_OBSERVATION_RECORDS = 20000


def records_by_level(records: Iterable[JwstDataModel]) -> dict[str, list[JwstDataModel]]:
    levels: dict[str, list[JwstDataModel]] = {level.value: [] for level in ProcessingLevel}
    for record in records:
        levels[record.processing_level.value].append(record)
    return levels


def edges_among(records: Iterable[JwstDataModel]) -> list[tuple[ObjectId, ObjectId]]:
    """(parent, child) pairs whose both ends are in ``records``."""
    records = list(records)
    present = {r.id for r in records}
    edges: set[tuple[ObjectId, ObjectId]] = set()
    for record in records:
        parents = {*record.derived_from, *([record.parent_id] if record.parent_id else [])}
        edges.update((parent, record.id) for parent in parents if parent in present)
    return sorted(edges)


class LineageQueries:
    def __init__(self, repo: RecordRepository) -> None:
        self.repo = repo

    def _find(
        self, flt: dict[str, Any], ctx: AccessContext, hint: str, limit: int
    ) -> list[JwstDataModel]:
        return self.repo.find_scoped(flt, ctx, index=hint, limit=limit)

    def observation(self, base_id: str, ctx: AccessContext) -> dict[str, Any]:
        """The records of one ``observationBaseId`` by level, plus the run's association files."""
        records = self._find(
            {"observationBaseId": base_id}, ctx, "observation", MAX_OBSERVATION_RECORDS
        )
        parsed = parse_name(base_id + "_x.fits")
        if parsed.program and parsed.association_id:
            run = f"jw{parsed.program}-{parsed.association_id}"
            records += self._find({"observationBaseId": run}, ctx, "observation", 1000)
        return {
            "observationBaseId": base_id,
            "levels": records_by_level(records),
            "edges": edges_among(records),
        }

    def ancestors(self, record_id: ObjectId, ctx: AccessContext) -> list[JwstDataModel]:
        start = self.repo.get(record_id, ctx)
        seen: dict[ObjectId, JwstDataModel] = {}
        frontier = _parents_of(start)
        for _ in range(MAX_DEPTH):
            frontier -= seen.keys() | {start.id}
            if not frontier or len(seen) >= MAX_NODES:
                break
            found = self._find({"_id": {"$in": sorted(frontier)}}, ctx, "_id_", MAX_NODES)
            seen.update((r.id, r) for r in found)
            frontier = set().union(*(_parents_of(r) for r in found)) if found else set()
        return list(seen.values())

    def descendants(self, record_id: ObjectId, ctx: AccessContext) -> list[JwstDataModel]:
        start = self.repo.get(record_id, ctx)
        seen: dict[ObjectId, JwstDataModel] = {}
        frontier = {start.id}
        for _ in range(MAX_DEPTH):
            if not frontier or len(seen) >= MAX_NODES:
                break
            ids = sorted(frontier)
            found = self._find({"parentId": {"$in": ids}}, ctx, "parent", MAX_NODES)
            found += self._find({"derivedFrom": {"$in": ids}}, ctx, "derived_from", MAX_NODES)
            fresh = {r.id: r for r in found if r.id not in seen and r.id != start.id}
            seen.update(fresh)
            frontier = set(fresh)
        return list(seen.values())


def _parents_of(record: JwstDataModel) -> set[ObjectId]:
    return {*record.derived_from, *([record.parent_id] if record.parent_id else [])}
