"""Running searches, counts and facets on ``jwst_data`` (see :mod:`jwstdata.db.search_plan`).

Counts and facets of an unfiltered view (a scope, nothing else), and totals filtered on
one facet, come from the counters (:mod:`jwstdata.db.counters`); the rest is aggregated
live over the filtered set, a page's counts in one ``$facet`` round trip per driver where
the server has ``$facet``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo.collection import Collection

from jwstdata.db.connection import translate_errors
from jwstdata.db.count_terms import CountBranch, counted_terms, unfiltered, user_cells
from jwstdata.db.counter_snapshot import HEAVY_FACETS, Snapshot, cells_for
from jwstdata.db.counters import TARGET, RecordCounters
from jwstdata.db.features import server_features
from jwstdata.db.hints import index_hint
from jwstdata.db.live_counts import FACET_LIMIT, base_passes
from jwstdata.db.query import (
    after_clause,
    build_filter,
    decode_cursor,
    normalise_target,
    sort_spec,
)
from jwstdata.db.search_plan import Driver, choose_driver, sort_path
from jwstdata.db.search_windows import windows
from jwstdata.models.access import AccessContext
from jwstdata.models.search import (
    FACET_ATTRIBUTES,
    FacetName,
    SearchQuery,
)

# A live facet aggregation reads every record its driver yields. Past this many, facet
# counts are estimated from the most recent records instead (see ``_sample_driver``)
# and marked ``approximate``; totals are always exact.
LIVE_EXACT_LIMIT = 2500


# Pages leave out the derived search keys (the text terms are most of a record's size).
_NO_KEYS = {"$project": {"_norm": 0}}


def _exact_filter(query: SearchQuery, ctx: AccessContext) -> tuple[dict[str, Any], Any]:
    """The whole filter of a page (the cursor clause included) and the cursor position."""
    base = build_filter(query, ctx)
    position = decode_cursor(query, ctx)
    if position is None:
        return base, None
    after = after_clause(query, *position)
    return ({"$and": [base, after]} if base else after), position


def _stage(driver: Driver, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"$match": {**driver.clause, **(extra or {})}}


def _half(name: str, derived: bool) -> str:
    """The name of one half of a ``derived=any`` count (a valid ``$facet`` field name)."""
    return f"{name}-derived-{str(derived).lower()}"


def _added(first: Any, second: Any) -> Any:
    """The sum of two counts, or of two facets' rows (largest first, as each is given)."""
    if isinstance(first, int):
        return first + second
    rows: dict[Any, dict[str, Any]] = {}
    for row in [*first, *second]:
        key = repr(row["value"])
        if key in rows:
            rows[key] = {**rows[key], "count": rows[key]["count"] + row["count"]}
        else:
            rows[key] = dict(row)
    return sorted(rows.values(), key=lambda r: -r["count"])[:FACET_LIMIT]


class RecordSearch:
    def __init__(self, collection: Collection, counters: RecordCounters, uri: str = "") -> None:
        self.collection = collection
        self.counters = counters
        self._uri = uri

    def snapshot(
        self, ctx: AccessContext, query: SearchQuery | None = None, *, facets: bool = False
    ) -> Snapshot:
        """The counters a page of ``query`` reads; with ``facets``, also the heavy ones when
        the facet counts will come from the counters (unfiltered, or filtered on a heavy
        facet), so a library page reads its counters once."""
        query = query or SearchQuery()
        cells = cells_for(query, ctx) or []
        terms = counted_terms(query)
        heavy = (
            facets
            and terms is not None
            and (not terms or any(facet in HEAVY_FACETS for facet, _ in terms))
        )
        return self.counters.read([*cells, *user_cells(ctx)], heavy=heavy)

    def _aggregate(self, pipeline: list[dict[str, Any]], driver: Driver) -> list[dict[str, Any]]:
        hint = index_hint(self.collection, driver.index)
        with translate_errors(self._uri):
            return list(self.collection.aggregate(pipeline, **({"hint": hint} if hint else {})))

    # --- pages --------------------------------------------------------------------------
    def page(
        self, query: SearchQuery, ctx: AccessContext, snapshot: Snapshot | None = None
    ) -> list[dict[str, Any]]:
        """Up to ``limit + 1`` documents of the page, read window by window."""
        exact, position = _exact_filter(query, ctx)
        snapshot = snapshot if snapshot is not None else self.snapshot(ctx, query)
        driver = choose_driver(query, ctx, snapshot, for_page=True)
        need = query.limit + 1
        sort = {"$sort": dict(sort_spec(query))}
        if not driver.windowed or not snapshot.present:
            return self._aggregate(
                [_stage(driver), {"$match": exact}, sort, {"$limit": need}, _NO_KEYS], driver
            )
        path = sort_path(query)
        docs: list[dict[str, Any]] = []
        start = position[0] if position is not None else None
        for window in windows(query, start, snapshot, self._expected(query, ctx, snapshot)):
            clause = None if window == {"$eq": None} else window
            pipeline = [
                _stage(driver, {path: clause}),
                {"$match": exact},
                sort,
                {"$limit": need - len(docs)},
                _NO_KEYS,
            ]
            docs += self._aggregate(pipeline, driver)
            if len(docs) >= need:
                break
        return docs

    def page_plain(self, query: SearchQuery, ctx: AccessContext) -> list[dict[str, Any]]:
        """The same page as one plain ``find`` (the reference the windows are tested against)."""
        flt, _ = _exact_filter(query, ctx)
        with translate_errors(self._uri):
            return list(self.collection.find(flt).sort(sort_spec(query)).limit(query.limit + 1))

    @staticmethod
    def _expected(query: SearchQuery, ctx: AccessContext, snapshot: Snapshot) -> float:
        """Visible matches the counters predict (an upper bound where they know the filter)."""
        cells = cells_for(query.model_copy(update={"user_id": None, "is_public": None}), ctx)
        scoped = snapshot.sum(cells) if cells is not None else snapshot.everything
        expected = float(scoped.total if query.is_archived is False else snapshot.everything.total)
        for facet, attribute in FACET_ATTRIBUTES.items():
            values = [getattr(v, "value", v) for v in getattr(query, attribute)]
            if values and snapshot.knows(facet.value):
                expected = min(expected, sum(scoped.count_of(facet.value, v) for v in values))
        if query.tags:
            expected = min(expected, sum(scoped.count_of("tags", t) for t in query.tags))
        if query.target_name:
            prefix = normalise_target(query.target_name)
            expected = min(expected, scoped.prefix_count(TARGET, prefix))
        if query.cone_ids is not None:  # a resolved cone: exactly these
            expected = min(expected, len(query.cone_ids))
        return expected

    # --- counts and facets --------------------------------------------------------------
    def count(
        self, query: SearchQuery, ctx: AccessContext, snapshot: Snapshot | None = None
    ) -> int:
        return self.combined(ctx, {"n": CountBranch(query, ctx)}, snapshot)["n"]

    def facets(
        self,
        query: SearchQuery,
        ctx: AccessContext,
        names: Iterable[FacetName],
        snapshot: Snapshot | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        branches = {name.value: CountBranch(query, ctx, name) for name in names}
        return self.combined(ctx, branches, snapshot)

    def combined(
        self,
        ctx: AccessContext,
        branches: Mapping[str, CountBranch],
        snapshot: Snapshot | None = None,
    ) -> dict[str, Any]:
        """Several counts at once (a library page's total, facets and scope counts).

        The counters answer the branches they count (see :func:`counted_terms`). The
        others are grouped by the index-fitting clause each would start from, and each
        group runs as one live aggregation (``$facet``): one round trip when the branches
        share their driver, as they do when one facet is selected.
        """
        if any(branch.query.is_derived is None for branch in branches.values()):
            return self._with_derived(ctx, branches, snapshot)
        terms = {name: counted_terms(branch.query) for name, branch in branches.items()}
        counted = {
            name: cells_for(branch.query, branch.ctx)
            # A facet's own counts need an unfiltered query; a total, one facet at most.
            if terms[name] == [] or (terms[name] and branch.facet is None)
            else None
            for name, branch in branches.items()
        }
        needed = {cell for cells in counted.values() for cell in cells or ()}
        heavy = any(
            (branch.facet is not None and branch.facet.value in HEAVY_FACETS)
            or any(f in HEAVY_FACETS for f, _ in terms[name] or ())
            for name, branch in branches.items()
            if counted[name] is not None
        )
        if snapshot is None or not needed <= snapshot.loaded or (heavy and not snapshot.heavy):
            snapshot = self.counters.read([*needed, *user_cells(ctx)], heavy=heavy)
        out: dict[str, Any] = {}
        groups: dict[str, tuple[Driver, dict[str, CountBranch]]] = {}
        for name, branch in branches.items():
            cells = counted[name]
            if cells is not None and snapshot.present:
                counts = snapshot.sum(cells)
                if branch.facet is not None:
                    out[name] = counts.facet(branch.facet.value, FACET_LIMIT)
                elif terms[name]:
                    out[name] = sum(counts.count_of(f, v) for f, v in terms[name] or ())
                else:
                    out[name] = counts.total
                continue
            driver = choose_driver(branch.query, branch.ctx, snapshot, for_page=False)
            key = repr(sorted(driver.clause.items()))
            groups.setdefault(key, (driver, {}))[1][name] = branch
        for driver, members in groups.values():
            sample = self._sample_driver(driver, members, snapshot)
            if sample is None:
                out.update(self._live(driver, members))
            else:
                out.update(self._sampled(sample, members, ctx, snapshot))
        return out

    def _with_derived(
        self,
        ctx: AccessContext,
        branches: Mapping[str, CountBranch],
        snapshot: Snapshot | None,
    ) -> dict[str, Any]:
        """``derived=any`` counted as its two disjoint halves and added up: the records the
        counters hold, and the processing outputs (served by their own index), so neither
        half scans the collection."""
        halves: dict[str, CountBranch] = {}
        for name, branch in branches.items():
            if branch.query.is_derived is not None:
                halves[name] = branch
                continue
            for flag in (False, True):
                query = branch.query.model_copy(update={"is_derived": flag})
                halves[_half(name, flag)] = CountBranch(query, branch.ctx, branch.facet)
        counted = self.combined(ctx, halves, snapshot)
        return {
            name: counted[name]
            if name in counted
            else _added(counted[_half(name, False)], counted[_half(name, True)])
            for name in branches
        }

    @staticmethod
    def _sample_driver(
        driver: Driver, members: Mapping[str, CountBranch], snapshot: Snapshot
    ) -> Driver | None:
        """For facet-only groups whose driver yields too many records: the most recent
        ``LIVE_EXACT_LIMIT`` or so records of the collection, as an upload-date window."""
        everything = snapshot.everything.total
        expected = driver.estimate if driver.estimate is not None else everything
        low, high = snapshot.bound("uploadDate", "min"), snapshot.bound("uploadDate", "max")
        if (
            expected <= LIVE_EXACT_LIMIT
            or everything <= LIVE_EXACT_LIMIT
            or any(branch.facet is None for branch in members.values())
            or low is None
            or high is None
        ):
            return None
        since = high - (high - low) * (LIVE_EXACT_LIMIT / everything)
        return Driver("recent", {"uploadDate": {"$gte": since}}, False, LIVE_EXACT_LIMIT)

    def _sampled(
        self,
        sample: Driver,
        members: Mapping[str, CountBranch],
        ctx: AccessContext,
        snapshot: Snapshot,
    ) -> dict[str, Any]:
        """Facet counts over the sample, scaled by how many of the caller's records it
        holds out of all of them (exact, from the counters)."""
        visible = CountBranch(SearchQuery(), ctx)
        counted = self._live(sample, {**members, "_visible": visible})
        cells = cells_for(SearchQuery(), ctx)
        total = snapshot.sum(cells).total if cells is not None else snapshot.everything.total
        scale = total / max(counted.pop("_visible"), 1)
        return {
            name: [
                {"value": r["value"], "count": round(r["count"] * scale), "approximate": True}
                for r in rows
            ]
            for name, rows in counted.items()
        }

    def _live(self, driver: Driver, branches: Mapping[str, CountBranch]) -> dict[str, Any]:
        """The branches counted over what ``driver`` yields: one grouping pass per base
        search (:mod:`jwstdata.db.live_counts`), all in one ``$facet`` where the server has
        it."""
        passes = base_passes(branches)
        stages = {name: one.stages() for name, one in passes.items()}
        if len(stages) > 1 and server_features(self.collection.database).facet_stage:
            rows = self._aggregate([_stage(driver), {"$facet": stages}], driver)
            results = rows[0] if rows else {}
        else:
            results = {
                name: self._aggregate([_stage(driver), *pipeline], driver)
                for name, pipeline in stages.items()
            }
        out: dict[str, Any] = {}
        for name, one in passes.items():
            out.update(one.answers(results.get(name, [])))
        return {name: out[name] for name in branches}

    # --- statistics ---------------------------------------------------------------------
    def stats(self, query: SearchQuery, ctx: AccessContext) -> dict[str, Any]:
        """Count and bytes over what ``ctx`` sees, by processing level and data type."""
        if query.is_derived is None:  # as for counts: the two halves, neither scanning
            halves = [
                self.stats(query.model_copy(update={"is_derived": flag}), ctx)
                for flag in (False, True)
            ]
            return _stats(
                *(sum(h[k] for h in halves) for k in ("count", "totalBytes")),
                *(
                    dict(Counter(halves[0][k]) + Counter(halves[1][k]))
                    for k in ("byLevel", "byDataType")
                ),
            )
        cells = cells_for(query, ctx) if unfiltered(query) else None
        snapshot = self.snapshot(ctx, query) if cells is not None else None
        if cells is not None and snapshot is not None and snapshot.present:
            counts = snapshot.sum(cells)
            by = {
                facet: {
                    value: n
                    for (name, value), n in counts.counts.items()
                    if name == facet and n > 0
                }
                for facet in ("processingLevel", "dataType")
            }
            return _stats(counts.total, counts.total_bytes, by["processingLevel"], by["dataType"])
        driver = choose_driver(query, ctx, snapshot or Snapshot(), for_page=False)
        match = [_stage(driver), {"$match": build_filter(query, ctx)}]
        by: dict[str, dict[Any, int]] = {}
        total = total_bytes = 0
        for facet in ("processingLevel", "dataType"):
            # One accumulator per $group: portable to servers that compute only the first.
            rows = self._aggregate(
                [*match, {"$group": {"_id": f"${facet}", "n": {"$sum": 1}}}], driver
            )
            by[facet] = {r["_id"]: int(r["n"]) for r in rows}
        total = sum(by["processingLevel"].values())
        size_rows = self._aggregate(
            [*match, {"$group": {"_id": None, "bytes": {"$sum": "$fileSize"}}}], driver
        )
        total_bytes = int(size_rows[0]["bytes"]) if size_rows else 0
        return _stats(total, total_bytes, by["processingLevel"], by["dataType"])


def _stats(
    count: int, size: int, by_level: dict[Any, int], by_type: dict[Any, int]
) -> dict[str, Any]:
    return {"count": count, "totalBytes": size, "byLevel": by_level, "byDataType": by_type}


__all__ = ["RecordSearch"]
