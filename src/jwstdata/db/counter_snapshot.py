"""Reading the counters: the sums a search, count or facet takes instead of a scan.

A :class:`Snapshot` holds the counters of some cells, read in one query; :func:`cells_for`
names the cells whose sum is what a caller sees of a query's scope. What the cells and
facets are, and how the write paths keep them, is :mod:`jwstdata.db.counters`.
"""

from __future__ import annotations

import functools
import json
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo.collection import Collection

from jwstdata.db.connection import translate_errors
from jwstdata.models.access import AccessContext
from jwstdata.models.search import SearchQuery

TOTAL = "total"
BOUNDS_CELL = "bounds"
# Facets with as many values as the library has programmes: counted like the others, but in
# a collection of their own (``record_counts_heavy``) that a snapshot reads only when asked
# to (``read(..., heavy=True)``): the counter read of every page, which costs what the
# counters collection holds, does not grow with the number of programmes.
HEAVY_FACETS = frozenset({"program"})
NO_OWNER = "-"

# A heavy facet's counters of one cell are one document, ``{_id: "cell|facet", cell, facet,
# n: {value: records}, bytes: {value: bytes}}``: the embedded server's cost of a read is
# per document, so a cell holding 4,000 programmes costs one document, not 4,000. Values
# are JSON-encoded (which escapes NUL) and "%", "." and "$" percent-escaped, as field names
# may hold no "." and start with no "$".
_FIELD_ESCAPES = {"%": "%25", ".": "%2E", "$": "%24"}


def heavy_id(cell: str, facet: str) -> str:
    return f"{cell}|{facet}"


def value_field(value: Any) -> str:
    """A facet value as a field name of a heavy counters document."""
    return "".join(_FIELD_ESCAPES.get(ch, ch) for ch in json.dumps(value))


@functools.lru_cache(maxsize=65_536)  # a page reads every programme of its cells each time
def field_value(name: str) -> Any:
    """The facet value a heavy counters field name stands for."""
    return json.loads(urllib.parse.unquote(name))


def owner_key(value: Any) -> str:
    """An owner or sharee id as it stands in a cell name (``-`` for no owner)."""
    return str(value) if value is not None else NO_OWNER


@dataclass
class Counts:
    """Counter values summed over some cells: (facet, value) -> records, bytes."""

    counts: dict[tuple[str, Any], int] = field(default_factory=dict)
    bytes: dict[tuple[str, Any], int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.counts.get((TOTAL, None), 0)

    @property
    def total_bytes(self) -> int:
        return self.bytes.get((TOTAL, None), 0)

    def count_of(self, facet: str, value: Any) -> int:
        return self.counts.get((facet, value), 0)

    def facet(self, name: str, limit: int = 200) -> list[dict[str, Any]]:
        """Values of one facet by count (largest first), as the live ``$group`` gives them."""
        rows = [
            {"value": value, "count": n}
            for (facet, value), n in self.counts.items()
            if facet == name and n > 0
        ]
        rows.sort(key=lambda r: (-r["count"], sort_key(r["value"])))
        return rows[:limit]

    def prefix_count(self, facet: str, prefix: str) -> int:
        """Records whose ``facet`` value starts with ``prefix``."""
        return sum(
            n
            for (name, value), n in self.counts.items()
            if name == facet and isinstance(value, str) and value.startswith(prefix)
        )

    def add(self, other: Counts) -> None:
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
        for key, b in other.bytes.items():
            self.bytes[key] = self.bytes.get(key, 0) + b


def sort_key(value: Any) -> tuple[int, str]:
    """MongoDB's order for the facet values we count: null first, then strings."""
    return (0, "") if value is None else (1, str(value))


@dataclass
class Snapshot:
    """The counters of some cells, read in one query, and the sort-key bounds."""

    cells: dict[str, Counts] = field(default_factory=dict)
    bounds: dict[str, Any] = field(default_factory=dict)  # "uploadDate_min" -> value
    present: bool = False  # the counters are complete (made by ``recount``, then maintained)
    loaded: frozenset[str] = frozenset()  # the cells read (others are unknown, not zero)
    heavy: bool = False  # the HEAVY_FACETS counters were read too (else they are unknown)
    _sums: dict[tuple[str, ...], Counts] = field(default_factory=dict, repr=False)

    def knows(self, facet: str) -> bool:
        """Whether this snapshot holds the counters of ``facet``."""
        return self.present and (self.heavy or facet not in HEAVY_FACETS)

    def sum(self, cells: Sequence[str]) -> Counts:
        """The cells' counters added up (once per set of cells: a page's branches mostly
        sum the same scope, and a scope with thousands of programmes costs to add)."""
        key = tuple(dict.fromkeys(cells))
        if key not in self._sums:
            out = Counts()
            for cell in key:
                if cell in self.cells:
                    out.add(self.cells[cell])
            self._sums[key] = out
        return self._sums[key]

    def cell_total(self, cell: str) -> int:
        return self.cells[cell].total if cell in self.cells else 0

    @functools.cached_property
    def everything(self) -> Counts:
        """Every unarchived record, whoever owns it."""
        return self.sum(["public", "private"])

    def bound(self, sort_key: str, which: str) -> Any:
        return self.bounds.get(f"{sort_key}_{which}")


def cells_for(query: SearchQuery, ctx: AccessContext) -> list[str] | None:
    """The cells whose sum is what ``ctx`` sees of ``query``'s scope; None if no sum is."""
    if ctx.is_admin:
        scope = ["public", "private"]
    elif ctx.user_id is None:
        scope = ["public"]
    elif type(ctx) is not AccessContext:  # a narrowed view, e.g. "shared with me"
        if ctx.read_filter() != {"sharedWith": ctx.user_id}:
            return None
        scope = [f"public-shared:{ctx.user_id}", f"private-shared:{ctx.user_id}"]
    else:
        scope = ["public", f"private-owner:{ctx.user_id}", f"private-shared:{ctx.user_id}"]
    if query.user_id is not None:
        owner = owner_key(query.user_id)
        if not (ctx.is_admin or query.user_id == ctx.user_id) or len(scope) == 2:
            return None  # another owner's records as a user, or shared-with-me of an owner
        scope = [f"public-owner:{owner}", f"private-owner:{owner}"]
    if query.is_public is not None:
        scope = [c for c in scope if c.startswith("public" if query.is_public else "private")]
    return scope


def read_snapshot(
    collection: Collection,
    heavy_collection: Collection,
    cells: Sequence[str],
    *,
    heavy: bool = False,
    redacted_uri: str = "",
) -> Snapshot:
    """``cells`` (and the ``public``/``private`` totals) and the bounds: one query on the
    ``cell`` index; the HEAVY_FACETS counters (in ``heavy_collection``) only if ``heavy``."""
    wanted = list(dict.fromkeys(["public", "private", *cells, BOUNDS_CELL]))
    snapshot = Snapshot(loaded=frozenset(wanted), heavy=heavy)
    flt: dict[str, Any] = {"cell": {"$in": wanted}}
    with translate_errors(redacted_uri):
        # One batch: the default first batch (101 documents) would cost a getMore.
        docs = list(collection.find(flt, batch_size=100_000))
        if heavy:
            docs += heavy_collection.find(flt, batch_size=100_000)
    for doc in docs:
        if doc["cell"] == BOUNDS_CELL:
            snapshot.present = True
            snapshot.bounds = {k: v for k, v in doc.items() if k not in ("_id", "cell")}
            continue
        counts = snapshot.cells.setdefault(doc["cell"], Counts())
        if isinstance(doc.get("n"), dict):  # one heavy document: every value of the cell
            sizes = doc.get("bytes") or {}
            amounts = [
                ((doc["facet"], field_value(name)), n, sizes.get(name, 0))
                for name, n in doc["n"].items()
            ]
        else:  # one counter (heavy ones too, as written before ``jwstdata db migrate`` 8)
            amounts = [((doc["facet"], doc.get("value")), doc.get("n", 0), doc.get("bytes", 0))]
        for key, n, size in amounts:
            counts.counts[key] = counts.counts.get(key, 0) + int(n)
            counts.bytes[key] = counts.bytes.get(key, 0) + int(size)
    return snapshot
