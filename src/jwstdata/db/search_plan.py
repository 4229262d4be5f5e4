"""How a search is shaped for the server's planner: a driver clause, then the exact filter.

Every search runs as an aggregation of two ``$match`` stages. The first, the *driver*, is
a flat clause that matches one declared index exactly (its leading equality fields and,
for pages, a range on the sort key that follows them): the simplest planners (SecantusDB,
the embedded default) seek on such an index and on nothing else, never on ``$or`` or
``$and``. The second stage is the whole filter (:func:`~jwstdata.db.query.build_filter`:
access, every search field, the cursor), so results are exactly those of the plain query;
the driver is only ever a superset of them. MongoDB folds the two stages into one query
and plans it itself (the driver's index is also named as ``hint`` where hints are cheap).

A windowed driver is read in ranges of the sort key, see :mod:`jwstdata.db.search_windows`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from jwstdata.db.counter_snapshot import Snapshot
from jwstdata.db.counters import TARGET
from jwstdata.db.query import SORT_PATHS, normalise_target
from jwstdata.db.text_terms import query_words, selective_word
from jwstdata.models.access import AccessContext
from jwstdata.models.search import SearchQuery, SortField, TagMode

UNKNOWN_SELECTIVITY = 0.1  # share of records assumed to match a filter the counters lack
PRIMARY_KEY_INDEX = "_id_"  # built in: not among the declared indexes


@dataclass(frozen=True)
class Driver:
    """A flat clause served by one declared index; ``windowed`` when a page may add a
    range on the sort key (the index's next field)."""

    index: str
    clause: dict[str, Any] = field(default_factory=dict)
    windowed: bool = False
    estimate: float | None = None  # records (of any owner) expected to match the clause


def _single(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else None


def _prefix_range(prefix: str) -> dict[str, str]:
    """Strings starting with ``prefix`` as an index range (a regex is never seeked)."""
    return {"$gte": prefix, "$lt": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


def _cone_driver(query: SearchQuery) -> Driver | None:
    """A resolved positional search: its exact ids, on the primary key. Chosen like any
    other option: a few pages of ids are read and sorted; more, and a window on the sort
    key (the ids in the exact filter) reads only about a page of them."""
    if query.cone_ids is None:
        return None
    ids = list(query.cone_ids)
    return Driver(PRIMARY_KEY_INDEX, {"_id": {"$in": ids}}, False, float(len(ids)))


def _selective(query: SearchQuery) -> Driver | None:
    """An equality on a field whose values hold few records: no window needed."""
    for attribute, path, index in (
        ("exposure_id", "exposureId", "exposure"),
        ("observation_base_id", "observationBaseId", "observation"),
        ("parent_id", "parentId", "parent"),
    ):
        value = getattr(query, attribute)
        if value is not None:
            return Driver(index, {path: value})
    return None


def _index_drivers(
    query: SearchQuery, ctx: AccessContext, snapshot: Snapshot, global_total: float
) -> Iterator[Driver]:
    """Declared indexes whose leading fields the query fixes; ``windowed`` where the next
    field is ``uploadDate`` (the default sort)."""

    def share(facet: str, value: Any) -> float:
        if not snapshot.present:
            return global_total
        if not snapshot.knows(facet):  # a heavy facet the page did not read
            return global_total * UNKNOWN_SELECTIVITY
        return snapshot.everything.count_of(facet, value)

    archived = query.is_archived
    if archived is not None:
        if ctx.is_anonymous or query.is_public is True:
            yield Driver(
                "public_recent",
                {"isPublic": True, "isArchived": archived},
                True,
                snapshot.cell_total("public") if not archived else None,
            )
        if query.user_id is not None:
            yield Driver("owner_recent", {"userId": query.user_id, "isArchived": archived}, True)
    if not ctx.is_admin and ctx.read_filter() == {"sharedWith": ctx.user_id}:
        yield Driver("shared_recent", {"sharedWith": ctx.user_id}, True)
    instrument, optical = _single(query.instrument), _single(query.filter)
    if instrument is not None and optical is not None:
        yield Driver(
            "instrument_filter",
            {"imageInfo.instrument": instrument, "imageInfo.filter": optical},
            True,
            min(share("instrument", instrument), share("filter", optical)),
        )
    elif instrument is not None:
        yield Driver(
            "instrument_filter",
            {"imageInfo.instrument": instrument},
            False,
            share("instrument", instrument),
        )
    for attribute, facet, path, index in (
        ("filter", "filter", "imageInfo.filter", "filter"),
        ("data_type", "dataType", "dataType", "data_type"),
        ("processing_level", "processingLevel", "processingLevel", "level"),
        ("processing_status", "processingStatus", "processingStatus", "status"),
        ("file_format", None, "fileFormat", "file_format"),
    ):
        values = [getattr(v, "value", v) for v in getattr(query, attribute)]
        if not values or (attribute == "filter" and instrument is not None):
            continue
        if facet:
            estimate = float(sum(share(facet, v) for v in values))
        else:
            estimate = global_total * UNKNOWN_SELECTIVITY * len(values)
        if len(values) == 1:
            yield Driver(index, {path: values[0]}, True, estimate)
        else:  # several values: an index seek per value, but no window on the sort key
            yield Driver(index, {path: {"$in": values}}, False, estimate)
    if query.proposal_id is not None:
        yield Driver(
            "proposal",
            {"imageInfo.proposalId": query.proposal_id},
            True,
            global_total * UNKNOWN_SELECTIVITY,
        )
    if query.tags and (query.tag_mode is TagMode.all or len(query.tags) == 1):
        yield Driver("tags", {"tags": query.tags[0]}, True, share("tags", query.tags[0]))
    elif query.tags:
        estimate = float(sum(share("tags", t) for t in query.tags))
        yield Driver("tags", {"tags": {"$in": query.tags}}, False, estimate)
    yield from _text_and_facet_drivers(query, share, global_total)
    if query.is_archived is True:
        yield Driver("archived", {"isArchived": True}, False, global_total * UNKNOWN_SELECTIVITY)
    if query.is_derived is True:  # the counters leave processing outputs out: a guess
        yield Driver("derived", {"isDerived": True}, True, global_total * UNKNOWN_SELECTIVITY)
    for path, start, end, index in (
        (
            "imageInfo.observationDate",
            query.observation_date_from,
            query.observation_date_to,
            "observed",
        ),
        ("uploadDate", query.upload_date_from, query.upload_date_to, "recent"),
    ):
        bounds = {k: v for k, v in (("$gte", start), ("$lte", end)) if v is not None}
        if bounds:
            yield Driver(index, {path: bounds}, False, global_total * UNKNOWN_SELECTIVITY)


def _text_and_facet_drivers(
    query: SearchQuery, share: Callable[[str, Any], float], global_total: float
) -> Iterator[Driver]:
    """The text search (one word of it: the others are checked by the exact filter) and
    the facets program, target, detector and exposure type."""
    words = query_words(query.text)
    if words:
        # The counters do not count terms. Assume more matches than a few pages (so a page
        # reads windows of the (terms, uploadDate) index instead of sorting every match)
        # yet fewer than all records (so the terms index is preferred to a plain listing).
        pages = float((query.limit + 1) * SMALL_SET_PAGES + 1)
        estimate = min(max(global_total * UNKNOWN_SELECTIVITY, pages), global_total * 0.99)
        yield Driver("text_terms", {"_norm.terms": selective_word(words)}, True, estimate)
    for attribute, facet, path, index, windowed in (
        ("program", "program", "imageInfo.proposalId", "proposal", True),
        ("target", "target", "_norm.targetName", "target", False),
        ("detector", "detector", "_norm.detector", "detector", True),
        ("exposure_type", "exposureType", "_norm.exposureType", "exposure_type", True),
    ):
        values = getattr(query, attribute)
        if not values:
            continue
        estimate = float(sum(share(facet, v) for v in values))
        if len(values) == 1:
            yield Driver(index, {path: values[0]}, windowed, estimate)
        else:
            yield Driver(index, {path: {"$in": values}}, False, estimate)


SORT_INDEX = {
    SortField.upload_date: "recent",
    SortField.observation_date: "observed",
    SortField.file_name: "by_name",
    SortField.file_size: "by_size",
}


def _target_driver(name: str, snapshot: Snapshot, global_total: float) -> Driver:
    """Target names starting with ``name`` (any case): counted per normalised name."""
    prefix = normalise_target(name)
    held = snapshot.everything.prefix_count(TARGET, prefix)
    estimate = float(held) if snapshot.present else global_total
    return Driver("target", {"_norm.targetName": _prefix_range(prefix)}, False, estimate)


def _every_record(snapshot: Snapshot) -> Driver:
    """No clause fits an index: every record, read along the upload-date index (every record
    has an upload date, and none is older than the smallest one the counters saw)."""
    low = snapshot.bound("uploadDate", "min")
    return Driver("recent", {"uploadDate": {"$gte": low}} if low is not None else {}, False)


SMALL_SET_PAGES = 8  # an unwindowed driver is chosen when it holds at most this many pages


def choose_driver(
    query: SearchQuery,
    ctx: AccessContext,
    snapshot: Snapshot,
    *,
    for_page: bool,
) -> Driver:
    """The index-fitting clause that makes the server read the fewest documents.

    Pages prefer a window on the sort key unless a clause holds only a few pages of
    records (then the server sorts those); counts take the most selective clause.
    """
    selective = _selective(query)
    if selective is not None:
        return selective
    global_total = float(snapshot.cell_total("public") + snapshot.cell_total("private"))

    def estimate(driver: Driver) -> float:
        return driver.estimate if driver.estimate is not None else global_total

    plain = Driver(SORT_INDEX[query.sort], {}, True, global_total)
    options = list(_index_drivers(query, ctx, snapshot, global_total))
    if (cone := _cone_driver(query)) is not None:
        options.append(cone)
    if query.target_name:
        options.append(_target_driver(query.target_name, snapshot, global_total))
    if not for_page:
        return min(options, key=estimate) if options else _every_record(snapshot)
    small = (query.limit + 1) * SMALL_SET_PAGES
    known = [d for d in options if d.estimate is not None and d.estimate <= small]
    if known:  # the server sorts all of them: no window
        return dataclasses.replace(min(known, key=estimate), windowed=False)
    windowed = [d for d in options if d.windowed and query.sort is SortField.upload_date]
    return min([plain, *windowed], key=estimate)


def sort_path(query: SearchQuery) -> str:
    return SORT_PATHS[query.sort]
