"""Facet and total counters, kept beside the records so counts never scan the collection.

Every visible, unarchived record that is not a processing output (``isDerived``) adds one
to a counter per (cell, facet, value) and its ``fileSize`` to that counter's bytes. Cells
partition the records by who may see them, so the counts of any access scope are sums of
disjoint cells:

- ``public`` / ``private``: every public / private record (an admin reads both);
- ``public-owner:O`` / ``private-owner:O``: those of owner ``O`` (``-`` for MAST imports);
- ``public-shared:U`` / ``private-shared:U``: those shared with user ``U`` (not their owner).

Anonymous callers read ``public``; a user reads ``public`` + ``private-owner:U`` +
``private-shared:U``; "mine" is ``public-owner:U`` + ``private-owner:U``. The ``total``
facet counts records; the programme counters (``HEAVY_FACETS``) live in a collection of
their own, one document per cell with a field per programme (see
:mod:`jwstdata.db.counter_snapshot`). ``bounds`` holds the smallest and largest value of
each sort key ever written (only ever widened), which sizes the search windows.

Searches read them through :mod:`jwstdata.db.counter_snapshot`. The write paths
(:class:`~jwstdata.db.records.RecordRepository`, re-ingest, processing outputs, archiving,
MAST refresh) pass each change as a (before, after) pair of stored documents; only the
difference is written, in one unordered bulk. The counters are plain
documents (``$inc`` with upsert, ``$min``/``$max``), portable to every MongoDB-compatible
server. They are not transactional with the record write: a process killed between the two
leaves them off by that write until ``jwstdata db recount`` rebuilds them.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database

from jwstdata.db.connection import translate_errors
from jwstdata.db.counter_snapshot import (
    BOUNDS_CELL,
    HEAVY_FACETS,
    TOTAL,
    Snapshot,
    heavy_id,
    owner_key,
    read_snapshot,
    value_field,
)
from jwstdata.db.indexes import COUNTS, COUNTS_HEAVY
from jwstdata.models.search import FACET_FIELDS

TAGS = "tags"
# Facet name -> document path: the search facets plus tags.
TARGET = "target"  # normalised target names (the search key), for estimates and facets
COUNTED: dict[str, str] = {name.value: path for name, path in FACET_FIELDS.items()} | {
    TAGS: "tags",
    TARGET: "_norm.targetName",
}
SORT_KEYS: dict[str, str] = {
    "uploadDate": "uploadDate",
    "observationDate": "imageInfo.observationDate",
    "fileName": "fileName",
    "fileSize": "fileSize",
}
# Every stored field a counter depends on: writes touching none of them skip the counters.
COUNTED_PATHS = frozenset(
    {
        *COUNTED.values(),
        *SORT_KEYS.values(),
        "isPublic",
        "isArchived",
        "isDerived",
        "userId",
        "sharedWith",
    }
)

Key = tuple[str, str, Any]  # (cell, facet, value)


def get_path(document: dict[str, Any] | None, path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def apply_set(document: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """``document`` after ``{"$set": fields}`` (dotted paths included), without changing it."""
    out = copy.deepcopy(document)
    for path, value in fields.items():
        target = out
        *parents, last = path.split(".")
        for part in parents:
            child = target.get(part)
            if not isinstance(child, dict):
                child = target[part] = {}
            target = child
        target[last] = value
    return out


def cells_of(document: dict[str, Any] | None) -> list[str]:
    if document is None or document.get("isArchived") is not False:
        return []  # archived, or written before the flag existed: default searches skip it
    if document.get("isDerived") is True:
        return []  # processing outputs are listed with their source, not counted
    owner = document.get("userId")
    kind = "public" if document.get("isPublic") else "private"
    sharees = dict.fromkeys(owner_key(u) for u in document.get("sharedWith") or [] if u != owner)
    return [kind, f"{kind}-owner:{owner_key(owner)}", *(f"{kind}-shared:{u}" for u in sharees)]


def contributions(document: dict[str, Any] | None) -> Counter[tuple[Key, str]]:
    """What one stored record adds: ((cell, facet, value), "n"|"bytes") -> amount."""
    out: Counter[tuple[Key, str]] = Counter()
    cells = cells_of(document)
    if not cells:
        return out
    size = get_path(document, "fileSize") or 0
    values: list[tuple[str, Any]] = [(TOTAL, None)]
    for facet, path in COUNTED.items():
        value = get_path(document, path)
        if facet == TAGS:
            values += [(TAGS, tag) for tag in dict.fromkeys(value or [])]
        else:
            values.append((facet, value))
    for cell in cells:
        for facet, value in values:
            out[((cell, facet, value), "n")] += 1
            out[((cell, facet, value), "bytes")] += size
    return out


def touches_counters(fields: Iterable[str]) -> bool:
    """Whether a ``$set`` of these (possibly dotted) paths can change any counter."""
    return any(
        path == counted or path.startswith(counted + ".") or counted.startswith(path + ".")
        for path in fields
        for counted in COUNTED_PATHS
    )


def _counter_id(key: Key) -> str:
    cell, facet, value = key
    return f"{cell}|{facet}|{json.dumps(value)}"


class _Bounds:
    """The smallest and largest value of each sort key among documents seen."""

    def __init__(self) -> None:
        self.lows: dict[str, Any] = {}
        self.highs: dict[str, Any] = {}

    def see(self, document: dict[str, Any] | None, before: dict[str, Any] | None = None) -> None:
        for name, path in SORT_KEYS.items():
            value = get_path(document, path)
            if value is None or isinstance(value, dict):
                continue
            if before is not None and get_path(before, path) == value:
                continue  # unchanged by this write
            if name not in self.lows or value < self.lows[name]:
                self.lows[name] = value
            if name not in self.highs or value > self.highs[name]:
                self.highs[name] = value


def _by_key(amounts: Counter[tuple[Key, str]]) -> dict[Key, dict[str, int]]:
    """{(cell, facet, value): {"n": .., "bytes": ..}} without the zero amounts."""
    out: dict[Key, dict[str, int]] = {}
    for (key, kind), amount in amounts.items():
        if amount:
            out.setdefault(key, {})[kind] = amount
    return out


class RecordCounters:
    def __init__(self, database: Database, redacted_uri: str = "") -> None:
        self.collection: Collection = database[COUNTS]
        self.heavy_collection: Collection = database[COUNTS_HEAVY]
        self._uri = redacted_uri

    # --- writes -------------------------------------------------------------------------
    def apply(self, changes: Iterable[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> None:
        """Write the counter difference of (before, after) stored documents in one bulk."""
        delta: Counter[tuple[Key, str]] = Counter()
        bounds = _Bounds()
        for before, after in changes:
            delta.update(contributions(after))
            delta.subtract(contributions(before))
            bounds.see(after, before)
        by_key = _by_key(delta)
        operations: list[UpdateOne] = []
        heavy: dict[tuple[str, str], dict[str, int]] = {}  # (cell, facet) -> its $inc
        for key, amounts in by_key.items():
            if key[1] in HEAVY_FACETS:
                field = value_field(key[2])
                inc = heavy.setdefault((key[0], key[1]), {})
                inc[f"n.{field}"] = amounts.get("n", 0)
                inc[f"bytes.{field}"] = amounts.get("bytes", 0)
                continue
            operations.append(
                UpdateOne(
                    {"_id": _counter_id(key)},
                    {
                        "$inc": {"n": amounts.get("n", 0), "bytes": amounts.get("bytes", 0)},
                        "$setOnInsert": {"cell": key[0], "facet": key[1], "value": key[2]},
                    },
                    upsert=True,
                )
            )
        heavy_operations = [
            UpdateOne(
                {"_id": heavy_id(cell, facet)},
                {"$inc": inc, "$setOnInsert": {"cell": cell, "facet": facet}},
                upsert=True,
            )
            for (cell, facet), inc in heavy.items()
        ]
        if bounds.lows:
            operations.append(self._widen_bounds(bounds.lows, bounds.highs))
        with translate_errors(self._uri):
            if heavy_operations:
                self.heavy_collection.bulk_write(heavy_operations, ordered=False)
            if operations:
                self.collection.bulk_write(operations, ordered=False)

    @staticmethod
    def _widen_bounds(lows: dict[str, Any], highs: dict[str, Any]) -> UpdateOne:
        return UpdateOne(
            {"_id": BOUNDS_CELL},
            {
                "$min": {f"{k}_min": v for k, v in lows.items()},
                "$max": {f"{k}_max": v for k, v in highs.items()},
            },
        )  # no upsert: the bounds document is made by ``recount``, and marks the counters
        # as complete (a database written before the counters existed has none)

    # --- reads --------------------------------------------------------------------------
    def read(self, cells: Sequence[str], *, heavy: bool = False) -> Snapshot:
        """``cells`` (and the ``public``/``private`` totals) and the bounds: one query on the
        ``cell`` index; the HEAVY_FACETS counters only if ``heavy``."""
        return read_snapshot(
            self.collection, self.heavy_collection, cells, heavy=heavy, redacted_uri=self._uri
        )

    def complete(self) -> bool:
        with translate_errors(self._uri):
            return self.collection.find_one({"_id": BOUNDS_CELL}, {"_id": 1}) is not None

    # --- rebuild ------------------------------------------------------------------------
    def recount(self, records: Collection, batch_size: int = 2000) -> dict[str, int]:
        """Rebuild every counter from the records (``jwstdata db recount``).

        Reads the records once with only the counted fields, sums in memory, then
        replaces the counters collection's content.
        """
        projection = {path: 1 for path in COUNTED_PATHS} | {"_id": 1}
        totals: Counter[tuple[Key, str]] = Counter()
        bounds = _Bounds()
        records_seen = 0
        with translate_errors(self._uri):
            # One cursor read in batches: a range query per batch would make the embedded
            # server scan the collection once per batch.
            for doc in records.find({}, projection).batch_size(batch_size):
                records_seen += 1
                totals.update(contributions(doc))
                bounds.see(doc)
            documents: list[dict[str, Any]] = []
            heavy: dict[str, dict[str, Any]] = {}
            for (cell, facet, value), amounts in _by_key(totals).items():
                if facet in HEAVY_FACETS:
                    doc = heavy.setdefault(
                        heavy_id(cell, facet),
                        {"_id": heavy_id(cell, facet), "cell": cell, "facet": facet},
                    )
                    field = value_field(value)
                    doc.setdefault("n", {})[field] = amounts.get("n", 0)
                    doc.setdefault("bytes", {})[field] = amounts.get("bytes", 0)
                    continue
                documents.append(
                    {
                        "_id": _counter_id((cell, facet, value)),
                        "cell": cell,
                        "facet": facet,
                        "value": value,
                        "n": amounts.get("n", 0),
                        "bytes": amounts.get("bytes", 0),
                    }
                )
            self.collection.delete_many({})  # bounds last: until then, counts are live
            self.heavy_collection.delete_many({})
            for target, part in (
                (self.collection, documents),
                (self.heavy_collection, list(heavy.values())),
            ):
                for start in range(0, len(part), 1000):
                    target.insert_many(part[start : start + 1000], ordered=False)
            marker = {"_id": BOUNDS_CELL, "cell": BOUNDS_CELL}
            marker |= {f"{k}_min": v for k, v in bounds.lows.items()}
            marker |= {f"{k}_max": v for k, v in bounds.highs.items()}
            self.collection.insert_one(marker)
        counters = len(documents) + sum(len(d["n"]) for d in heavy.values())
        return {"records": records_seen, "counters": counters}
