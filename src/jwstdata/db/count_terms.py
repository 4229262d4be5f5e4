"""What the counters can answer of a search: its scope, its counted terms, its branches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jwstdata.models.access import AccessContext
from jwstdata.models.search import FACET_ATTRIBUTES, FacetName, SearchQuery

# SearchQuery fields that only page or scope a search: a query that sets nothing else is
# answered by the counters.
_NOT_FILTERS = {"is_public", "user_id", "sort", "order", "limit", "cursor", "is_archived"}
_DEFAULTS = SearchQuery().model_dump(exclude=_NOT_FILTERS)


def unfiltered(query: SearchQuery) -> bool:
    return query.is_archived is False and query.model_dump(exclude=_NOT_FILTERS) == _DEFAULTS


def counted_terms(query: SearchQuery) -> list[tuple[str, Any]] | None:
    """How the counters count ``query``'s records: ``[]`` when it only scopes (the cells'
    total), the (facet, value) counters to add when it filters on one facet only (its
    values are disjoint), ``None`` when the counters cannot tell."""
    if unfiltered(query):
        return []
    chosen = [(f, a) for f, a in FACET_ATTRIBUTES.items() if getattr(query, a)]
    if len(chosen) == 1:
        facet, attribute = chosen[0]
        if unfiltered(query.model_copy(update={attribute: []})):
            return [(facet.value, getattr(v, "value", v)) for v in getattr(query, attribute)]
    if len(query.tags) == 1 and unfiltered(query.model_copy(update={"tags": []})):
        return [("tags", query.tags[0])]
    return None


def user_cells(ctx: AccessContext) -> list[str]:
    """Every cell any scope of ``ctx``'s library page may sum (read once per page)."""
    if ctx.user_id is None:
        return ["public", "private"]
    uid = ctx.user_id
    return [
        f"{kind}-{what}:{uid}" for kind in ("public", "private") for what in ("owner", "shared")
    ]


@dataclass(frozen=True)
class CountBranch:
    """One count of a combined request: ``query`` as seen by ``ctx``; grouped by ``facet``
    (rows of value and count) or, without one, a plain count."""

    query: SearchQuery
    ctx: AccessContext
    facet: FacetName | None = None
