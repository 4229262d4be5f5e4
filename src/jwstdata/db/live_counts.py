"""Live counts and facets in one pass over the matching records.

A library page asks for every facet, each counted without its own filter, plus a total.
Those branches differ only in their facet filters, so they share one *base* search (the
query without any facet filter). Rather than one ``$group`` per branch, each of which makes
the server read and match every record again, the records of each base are grouped once by
the *combination* of their facet values (``{f0: instrument, f1: filter, ...}: n``), and each
branch's answer is folded from those rows here: keep the combinations its facet filters
accept, add up per value of its facet. On the embedded server that is one read of the
records instead of one per facet (a page with an instrument selected, estimated over 2,500
of 100,000 records: 471 → 226 ms p50).

Folding in Python evaluates the facet filters ourselves. They are plain equality or
``$in`` on one stored value (``$in``/``$all`` for tags), and the rows hold exactly the stored
values, so this copies MongoDB's rules for those two operators only: a value matches if it
is one of the wanted values or, stored as an array, holds one; a missing value matches
nothing (no facet filter asks for null).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jwstdata.db.count_terms import CountBranch
from jwstdata.db.counter_snapshot import sort_key
from jwstdata.db.query import build_filter
from jwstdata.models.search import (
    FACET_FIELDS,
    FACET_FILTERS,
    LIST_FACETS,
    FacetName,
    SearchQuery,
    TagMode,
)

FACET_LIMIT = 200
_NO_FACET_FILTERS = {attribute: [] for attribute in FACET_FILTERS.values()}


@dataclass(frozen=True)
class FacetTest:
    """One facet filter of a branch, as Python evaluates it on a grouped row."""

    key: str  # the row's key holding the facet's stored value
    wanted: frozenset[Any]
    every: bool = False  # tags with ``tag_mode=all``: every wanted value must be held

    def accepts(self, stored: Any) -> bool:
        held = _elements(stored)
        return self.wanted <= held if self.every else bool(self.wanted & held)


@dataclass
class BasePass:
    """The branches that share one base search, and the grouping that answers them all."""

    filter: dict[str, Any]
    branches: dict[str, CountBranch]
    keys: dict[FacetName, str]  # facet -> key in the grouped rows

    def stages(self) -> list[dict[str, Any]]:
        group_id = {key: f"${FACET_FIELDS[facet]}" for facet, key in self.keys.items()}
        return [{"$match": self.filter}, {"$group": {"_id": group_id or None, "n": {"$sum": 1}}}]

    def answers(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, branch in self.branches.items():
            tests = _tests(branch.query, self.keys)
            kept = [r for r in rows if all(t.accepts((r["_id"] or {}).get(t.key)) for t in tests)]
            if branch.facet is None:
                out[name] = sum(int(r["n"]) for r in kept)
            else:
                out[name] = _facet_rows(kept, self.keys[branch.facet], branch.facet)
        return out


def base_passes(branches: Mapping[str, CountBranch]) -> dict[str, BasePass]:
    """The branches grouped by base search (filter document), one pass each."""
    passes: dict[str, BasePass] = {}
    for name, branch in branches.items():
        base = build_filter(branch.query.model_copy(update=_NO_FACET_FILTERS), branch.ctx)
        key = repr(base)
        if key not in passes:
            passes[key] = BasePass(base, {}, {})
        one = passes[key]
        one.branches[name] = branch
        wanted = {f for f in FacetName if _facet_values(branch.query, f)}
        for facet in sorted(wanted | ({branch.facet} if branch.facet else set())):
            one.keys.setdefault(facet, f"f{list(FacetName).index(facet)}")
    return {f"pass{i}": one for i, one in enumerate(passes.values())}


def _facet_values(query: SearchQuery, facet: FacetName) -> list[Any]:
    return [getattr(v, "value", v) for v in getattr(query, FACET_FILTERS[facet])]


def _tests(query: SearchQuery, keys: Mapping[FacetName, str]) -> list[FacetTest]:
    tests = []
    for facet, key in keys.items():
        if values := _facet_values(query, facet):
            every = facet is FacetName.tags and query.tag_mode is TagMode.all
            tests.append(FacetTest(key, frozenset(values), every))
    return tests


def _elements(stored: Any) -> frozenset[Any]:
    """A stored value as the set an equality or ``$in`` test looks in (arrays by element)."""
    if stored is None:
        return frozenset()
    if isinstance(stored, list):
        return frozenset(v for v in stored if not isinstance(v, (list, dict)))
    return frozenset([stored]) if not isinstance(stored, dict) else frozenset()


def _facet_rows(rows: list[dict[str, Any]], key: str, facet: FacetName) -> list[dict[str, Any]]:
    """``[{value, count}]`` largest first, as ``$group`` then ``$sort`` by count, value."""
    counts: Counter[Any] = Counter()
    for row in rows:
        stored = (row["_id"] or {}).get(key)
        if facet in LIST_FACETS:  # per element, as ``$unwind`` (which drops null and [])
            for value in stored if isinstance(stored, list) else [stored]:
                if value is not None:
                    counts[value] += int(row["n"])
        else:  # an array stored where a value is expected is one value, as ``$group`` has it
            counts[tuple(stored) if isinstance(stored, list) else stored] += int(row["n"])
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], sort_key(kv[0])))
    return [
        {"value": list(value) if isinstance(value, tuple) else value, "count": n}
        for value, n in ordered[:FACET_LIMIT]
    ]
