"""Facet counts: the one answer to "how many records per value of each facet?".

``GET /api/data/facets``, the client's ``facets()`` and the library page's facet panel all
ask :func:`count_facets`, so the same search gives the same counts everywhere.

Each facet is counted over the search *without that facet's own filter*: with
``instrument=MIRI`` the instrument facet still lists NIRCAM and its count (what ticking it
too would add), while every other facet counts MIRI's records only. A facet that is not
filtered on counts exactly the search's records.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from jwstdata.db import RecordRepository
from jwstdata.db.count_terms import CountBranch
from jwstdata.models import AccessContext
from jwstdata.models.search import FACET_FILTERS, FacetName, SearchQuery

if TYPE_CHECKING:
    from jwstdata.db.counter_snapshot import Snapshot

# Filters that a page's other counts (its scopes) change: cleared where a cone is resolved
# once for all of them.
_SCOPE_FILTERS = {"user_id": None, "is_public": None}


def facet_branches(
    query: SearchQuery, ctx: AccessContext, names: Iterable[FacetName] = tuple(FacetName)
) -> dict[str, CountBranch]:
    """One count per facet: the query without that facet's filter, grouped by the facet."""
    return {facet.value: CountBranch(query.without_facet(facet), ctx, facet) for facet in names}


def count_facets(
    records: RecordRepository,
    query: SearchQuery,
    ctx: AccessContext,
    names: Iterable[FacetName] = tuple(FacetName),
    *,
    seen_by: AccessContext | None = None,
    also: Mapping[str, CountBranch] | None = None,
    snapshot: Snapshot | None = None,
) -> dict[str, Any]:
    """Rows of ``{"value", "count"}`` per facet name, over what ``ctx`` may read.

    ``seen_by`` narrows what the facets count to a view within ``ctx`` (the library's
    "shared with me"). ``also`` adds other counts to the same request (a page's total and
    its scope counts, searches without more than ``query``'s facet and scope filters,
    under ``ctx`` or narrower), answered under their own names. ``snapshot`` is the
    counters the caller already read for its page.
    """
    facets = facet_branches(query, seen_by or ctx, names)
    branches = {**(also or {}), **facets}
    return records.searches.combined(ctx, _cones_resolved(records, ctx, branches), snapshot)


def _cones_resolved(
    records: RecordRepository, ctx: AccessContext, branches: Mapping[str, CountBranch]
) -> dict[str, CountBranch]:
    """The branches with their cone resolved to record ids.

    A resolved cone holds the ids its search matched, so it is resolved for the widest
    search the branches share (no facet or scope filter; once per distinct search) and
    each branch then applies its own filters to those ids.
    """
    widest: dict[str, SearchQuery] = {}
    out: dict[str, CountBranch] = {}
    for name, branch in branches.items():
        query = branch.query
        if query.has_cone and query.cone_ids is None:
            wide = query.model_copy(
                update={attr: [] for attr in FACET_FILTERS.values()}
                | _SCOPE_FILTERS
                | {"cursor": None}
            )
            key = json.dumps(wide.filter_fingerprint(), sort_keys=True)
            if key not in widest:
                widest[key] = records.cones.resolve(wide, ctx)
            query = query.model_copy(update={"cone_ids": widest[key].cone_ids})
            branch = dataclasses.replace(branch, query=query)
        out[name] = branch
    return out
