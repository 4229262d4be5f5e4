"""The sort-key windows a page of a search is read in (see :mod:`jwstdata.db.search_plan`).

Pages read the sort key in *windows* (:func:`windows`): ranges of the sort key, from the
cursor (or the top) outwards, widened geometrically until the page is full, so the server
sorts about one page of candidates instead of every match. The first window is sized from
the counters (matches expected per unit of the sort key); the last is open-ended, and
missing sort values get a window of their own, so the windows always cover every record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from jwstdata.db.counter_snapshot import Snapshot
from jwstdata.models.base import _to_utc
from jwstdata.models.search import SearchQuery, SortField, SortOrder

WIDEN = 4  # each window covers this many times the sort-key span of the one before
MAX_SIZED_WINDOWS = 8  # then the rest of the range in one open-ended window
NULLABLE_SORTS = frozenset({SortField.observation_date, SortField.file_size})


def _as_number(value: Any) -> float:
    return _to_utc(value).timestamp() if isinstance(value, datetime) else float(value)


def _from_number(like: Any, number: float) -> Any:
    if isinstance(like, datetime):
        return datetime.fromtimestamp(number, tz=_to_utc(like).tzinfo)
    return int(number) if isinstance(like, int) else number


def _string_ladder(edge: str) -> list[str]:
    """Shorter and shorter prefixes of ``edge``: each covers more names than the last."""
    lengths = sorted(
        {max(len(edge) - 4, 0), max(len(edge) - 10, 0), len(edge) // 2, len(edge) // 4, 2},
        reverse=True,
    )
    return [edge[:n] for n in lengths if 0 < n < len(edge)]


def _successor(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def windows(
    query: SearchQuery, start: Any, snapshot: Snapshot, expected: float
) -> Iterator[dict[str, Any]]:
    """Range clauses on the sort key, in sort order, together covering every value.

    ``start`` is the cursor's sort value (inclusive: ties are resolved by the cursor
    clause of the exact filter) or ``None`` for the first page. ``expected`` is the number
    of visible matches the counters predict over the whole range. Bounds that are stale
    (only ever widened) cost windows, never results: the last window is open-ended.
    """
    sort = SortField(query.sort)
    descending = query.order is SortOrder.desc
    nullable = sort in NULLABLE_SORTS
    low, high = snapshot.bound(sort.value, "min"), snapshot.bound(sort.value, "max")
    if start is None and query.cursor is not None:
        # The cursor stands among the missing values: descending, they come last (only
        # they remain); ascending, they come first (the rest of them, then every value).
        yield {"$eq": None}
        if descending:
            return
    elif start is None and nullable and not descending:
        yield {"$eq": None}
    if low is None or high is None:
        yield _rest(descending, start, SortField(query.sort))
    elif isinstance(low, str):
        yield from _string_windows(descending, start, low, high)
    else:
        yield from _numeric_windows(query, descending, start, low, high, expected)
    if descending and nullable:
        yield {"$eq": None}


_LOWEST: dict[SortField, Any] = {
    SortField.upload_date: datetime(1, 1, 1, tzinfo=UTC),
    SortField.observation_date: datetime(1, 1, 1, tzinfo=UTC),
    SortField.file_name: "",
    SortField.file_size: float("-inf"),
}


def _rest(descending: bool, start: Any, sort: SortField) -> dict[str, Any]:
    """Every (non-missing) value from ``start`` on, as an index range."""
    if start is None:
        return {"$gte": _LOWEST[sort]}
    return _from_cursor(start, descending)


def _from_cursor(start: Any, descending: bool) -> dict[str, Any]:
    """The near side of the first window after a cursor, one step past the cursor value.

    The exact filter drops what lies before the cursor, so a looser bound changes no
    result; it keeps the cursor's own value away from the bound, where SecantusDB's
    compound-index range scan loses entries: an inclusive bound on an index field that
    other fields follow misses the documents holding exactly the bound value.
    """
    if isinstance(start, str):
        return (
            {"$lt": _successor(start)}
            if descending and start
            else ({"$gte": start[:-1]} if start else {"$gte": ""})
        )
    if isinstance(start, datetime):
        step: Any = timedelta(milliseconds=1)
    elif isinstance(start, int):
        step = 1
    else:
        step = max(abs(start) * 1e-12, 1e-12)
    return {"$lte": start + step} if descending else {"$gte": start - step}


def _numeric_windows(
    query: SearchQuery, descending: bool, start: Any, low: Any, high: Any, expected: float
) -> Iterator[dict[str, Any]]:
    lo, hi = _as_number(low), _as_number(high)
    width = max(hi - lo, 1e-3) * min(1.0, 2.0 * (query.limit + 1) / max(expected, 1.0))
    like = start if start is not None else low
    edge = _as_number(start) if start is not None else (hi if descending else lo)
    near = _from_cursor(start, descending) if start is not None else {}
    for _ in range(MAX_SIZED_WINDOWS):
        far = edge - width if descending else edge + width
        if (descending and far <= lo) or (not descending and far >= hi):
            break
        bound = _from_number(like, far)
        if descending:
            yield {"$gte": bound, **near}
            near = {"$lt": bound}
        else:
            yield {**near, "$lt": bound}
            near = {"$gte": bound}
        edge, width = _as_number(bound), width * WIDEN
    yield near or _rest(descending, None, SortField(query.sort))


def _string_windows(descending: bool, start: Any, low: str, high: str) -> Iterator[dict[str, Any]]:
    edge = start if start is not None else (high if descending else low)
    near = _from_cursor(start, descending) if start is not None else {}
    for prefix in _string_ladder(edge):
        if descending:
            if "$lt" in near and prefix >= near["$lt"]:
                continue
            yield {"$gte": prefix, **near}
            near = {"$lt": prefix}
        else:
            stop = _successor(prefix)
            if "$gte" in near and stop <= near["$gte"]:
                continue
            yield {**near, "$lt": stop}
            near = {"$gte": stop}
    yield near or _rest(descending, None, SortField.file_name)
