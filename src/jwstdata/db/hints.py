"""Naming the index a query runs on, only on servers where that helps.

On MongoDB a ``hint`` pins the plan the query was designed for. SecantusDB (the embedded
default) walks the whole hinted index instead of seeking in it, so there the same hint
costs a scan of the collection while its planner, left alone, seeks on an index whose
prefix covers the query's equality fields. :func:`index_hint` returns the name where the
server's ``hint_efficient`` feature holds and ``None`` (pymongo: no hint) elsewhere, so
every call site states its intended index once and the probe decides. The name must be one
the registry (:mod:`jwstdata.db.indexes`) declares for that collection: a typo fails on
every server, not only on those where the hint is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pymongo.collection import Collection

from jwstdata.db.features import server_features
from jwstdata.db.indexes import INDEXES, index_names

ID_INDEX = "_id_"

# SecantusDB 0.7.0b3 checks every document it fetches against the whole ``$in`` list, one
# value after another, so a lookup of n values costs O(n²): 2,000 ids took 3.7 s, against
# ~0.3 ms an id in lists of 100 (bench/db_bench.py's records). Long lookups go in slices.
IN_SLICE = 100
T = TypeVar("T")


def in_slices(values: Sequence[T], size: int = IN_SLICE) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``, for one ``$in`` query each."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def find_in(
    collection: Collection,
    path: str,
    values: Sequence[Any],
    also: Mapping[str, Any] | None = None,
    projection: Mapping[str, Any] | None = None,
    index: str | None = None,
) -> Iterator[Any]:
    """The documents whose ``path`` is one of ``values`` (and that match ``also``), one
    query per :func:`in_slices` slice on ``index``. A document whose ``path`` is an array
    holding values of several slices comes once per slice."""
    hint = index_hint(collection, index) if index else None
    for part in in_slices(values):
        yield from collection.find({path: {"$in": part}, **(also or {})}, projection, hint=hint)


def index_hint(collection: Collection, name: str) -> str | None:
    """``name`` if hints are efficient on ``collection``'s server, else ``None``."""
    if collection.name in INDEXES and name not in index_names(collection.name):
        raise LookupError(f"index {name!r} is not declared for {collection.name!r}")
    return name if server_features(collection.database).hint_efficient else None
