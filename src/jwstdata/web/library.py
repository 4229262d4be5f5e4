"""The library page: search box, facets with counts, table or thumbnail grid, cursor pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from jwstdata.db.count_terms import CountBranch
from jwstdata.errors import DatabaseUnavailableError, JwstDataError
from jwstdata.http.deps import ServicesDep
from jwstdata.models import LEVEL_ORDER, DataType, ProcessingLevel, ProcessingStatus
from jwstdata.models.search import FacetName, SortField, SortOrder
from jwstdata.services.facets import count_facets
from jwstdata.web.pages import PageContextDep, PageRoute, SessionDep, render
from jwstdata.web.record_page import viewer_kind
from jwstdata.web.search_form import (
    FACET_PARAMS,
    PAGE_SIZES,
    LibrarySearch,
    Scope,
    SharedWithMeContext,
    parse_search,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FACET_LABELS = {
    FacetName.instrument: "Instrument",
    FacetName.filter: "Filter",
    FacetName.processing_level: "Level",
    FacetName.data_type: "Data type",
    FacetName.processing_status: "Status",
    FacetName.program: "Program",
    FacetName.target: "Target",
    FacetName.detector: "Detector",
    FacetName.exposure_type: "Exposure type",
    FacetName.tags: "Tags",
}
# Facets whose values are an enumeration are listed in their natural order, zeros included.
FACET_VALUES: dict[FacetName, list[str]] = {
    FacetName.processing_level: [lvl.value for lvl in sorted(LEVEL_ORDER, key=LEVEL_ORDER.get)],
    FacetName.data_type: [t.value for t in DataType],
    FacetName.processing_status: [s.value for s in ProcessingStatus],
}
SORT_LABELS = {
    SortField.upload_date: "Upload date",
    SortField.observation_date: "Observation date",
    SortField.file_name: "File name",
    SortField.file_size: "File size",
}
SCOPE_LABELS = {
    Scope.all: "Everything I can see",
    Scope.mine: "Mine",
    Scope.public: "Public",
    Scope.shared: "Shared with me",
}


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/library", status_code=307)


def _counts(svc: Any, search: LibrarySearch, ctx: Any, snapshot: Any) -> dict[str, Any]:
    """The page's facets (the facet service's answer, as the API gives it), its total and
    the scope counts, as one combined count: from the counters when unfiltered, else one
    live aggregation."""
    query = search.scoped_query(ctx).model_copy(update={"cursor": None})
    scoped_ctx = search.context_for(ctx)
    base = search.query.model_copy(update={"cursor": None})
    also = {"total": CountBranch(query, scoped_ctx)}
    also[Scope.all.value] = CountBranch(base, ctx)
    also[Scope.public.value] = CountBranch(base.model_copy(update={"is_public": True}), ctx)
    if ctx.user_id is not None:
        mine = base.model_copy(update={"user_id": ctx.user_id})
        also[Scope.mine.value] = CountBranch(mine, ctx)
        shared = SharedWithMeContext(user_id=ctx.user_id)
        also[Scope.shared.value] = CountBranch(base, shared)
    return count_facets(
        svc.records, query, ctx, FACET_LABELS, seen_by=scoped_ctx, also=also, snapshot=snapshot
    )


def _facets(search: LibrarySearch, counted: dict[str, Any]) -> list[dict[str, Any]]:
    groups = []
    for facet, label in FACET_LABELS.items():
        param = FACET_PARAMS[facet]
        rows = counted[facet.value]
        counts = {row["value"]: row["count"] for row in rows if row["value"] is not None}
        selected = search.selected(param)
        values = list(FACET_VALUES.get(facet, sorted(counts, key=lambda v: (-counts[v], v))))
        values += [v for v in selected if v not in values]
        groups.append(
            {
                "param": param,
                "label": label,
                "approximate": any(row.get("approximate") for row in rows),
                "options": [
                    {"value": v, "count": counts.get(v, 0), "checked": v in selected}
                    for v in values
                    if counts.get(v, 0) or v in selected or facet in FACET_VALUES
                ],
            }
        )
    return groups


@router.get("/library")
def library(
    request: Request, svc: ServicesDep, ctx: PageContextDep, session: SessionDep
) -> Response:
    search = parse_search(request.query_params, ctx.user_id)
    items: list[Any] = []
    next_cursor, total, facets, scopes = None, 0, [], {}
    error = search.error
    if error is None:
        try:
            snapshot = svc.records.searches.snapshot(ctx, search.scoped_query(ctx), facets=True)
            page = svc.records.search(
                search.scoped_query(ctx), search.context_for(ctx), snapshot=snapshot
            )
            items, next_cursor = page.items, page.next_cursor
            counted = _counts(svc, search, ctx, snapshot)
            total = counted["total"]
            facets = _facets(search, counted)
            scopes = {s: counted[s.value] for s in Scope if s.value in counted}
        except DatabaseUnavailableError:
            raise  # not the caller's input: the 503 page
        except JwstDataError as exc:  # a stale cursor, a bad date range: say so, keep the form
            error = exc.message
    first = (search.page - 1) * search.query.limit + 1
    me = session.user.id if session else None
    return render(
        request,
        "library.html",
        200 if error is None else 422,
        search=search,
        items=items,
        kinds={r.id: viewer_kind(r) for r in items},
        total=total,
        first=first,
        last=first + len(items) - 1,
        next_url=search.url(cursor=next_cursor, page=search.page + 1) if next_cursor else None,
        first_url=search.url(drop=("cursor", "page")) if search.page > 1 else None,
        facets=facets,
        scopes=[
            {"value": s.value, "label": SCOPE_LABELS[s], "count": scopes.get(s)}
            for s in Scope
            if s in scopes or (not scopes and (me or s in (Scope.all, Scope.public)))
        ],
        sort_labels={s.value: label for s, label in SORT_LABELS.items()},
        orders=[o.value for o in SortOrder],
        page_sizes=PAGE_SIZES,
        levels=[lvl.value for lvl in ProcessingLevel],
        error=error,
        me=me,
    )
