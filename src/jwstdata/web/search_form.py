"""The library page's URL: one search, readable, bookmarkable, and the API's own parameters.

The query string is the one of ``GET /api/data`` (``q``, ``instrument``, ``filter``,
``processingLevel``, ``tag``, ``observationDateFrom``…, ``sort``, ``limit``, ``cursor``),
read through the same declaration (:mod:`jwstdata.models.search_params`), so a library
URL and an API URL say the same thing (``derived=any`` is the "show derived products"
toggle). Two conveniences of the form: the tag box takes a comma-separated list, and a
bare date in a ``...To`` box means the end of that day. The page adds three parameters of
its own: ``scope`` (all / mine / public / shared), ``view`` (table / grid) and ``page``
(the page number shown next to a cursor). Parsing never fails the page: invalid input
becomes a readable message above an empty result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from bson import ObjectId
from pydantic import ValidationError as PydanticValidationError
from starlette.datastructures import QueryParams

from jwstdata.models import AccessContext
from jwstdata.models.search import FACET_FILTERS, FacetName, SearchQuery
from jwstdata.models.search_params import (
    query_values_from_url,
    search_query_from,
    url_name_of,
    url_names,
)

# The URL name of each facet's filter (``tags`` is written ``tag``), read from the model.
FACET_PARAMS = {facet: url_name_of(FACET_FILTERS[facet]) for facet in FacetName}
# The page's own parameters, beside the search's.
PAGE_PARAMS = frozenset({"scope", "view", "page"})
PAGE_SIZES = (25, 50, 100, 200)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Scope(StrEnum):
    all = "all"
    mine = "mine"
    public = "public"
    shared = "shared"


@dataclass(frozen=True, slots=True)
class SharedWithMeContext(AccessContext):
    """A read-only view narrowed to records shared with the user.

    Narrower than the user's own context (a subset of what they may read), so it can never
    reveal more; the repository applies it inside the query like any access context.
    """

    def read_filter(self) -> dict:
        return {"sharedWith": self.user_id}

    def write_filter(self) -> dict:
        return {"_id": {"$exists": False}}


@dataclass
class LibrarySearch:
    query: SearchQuery
    scope: Scope = Scope.all
    view: str = "table"
    page: int = 1
    params: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None

    def selected(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]

    def value(self, name: str) -> str:
        return next((v for k, v in self.params if k == name), "")

    def url(self, drop: tuple[str, ...] = (), **changes: Any) -> str:
        """This search's URL with some parameters replaced (None removes them)."""
        kept = [(k, v) for k, v in self.params if k not in changes and k not in drop]
        for key, value in changes.items():
            if value is not None and value != "":
                kept.append((key, str(value)))
        return "/library" + (f"?{urlencode(kept)}" if kept else "")

    @property
    def filtered(self) -> bool:
        ignored = {"sort", "order", "limit", "view", "cursor", "page"}
        return any(k not in ignored for k, _ in self.params)

    def context_for(self, ctx: AccessContext) -> AccessContext:
        if self.scope is Scope.shared and ctx.user_id is not None:
            return SharedWithMeContext(user_id=ctx.user_id)
        return ctx

    def scoped_query(self, ctx: AccessContext) -> SearchQuery:
        """The query with the scope applied (``mine``: the user's own; ``public``)."""
        if self.scope is Scope.mine and ctx.user_id is not None:
            return self.query.model_copy(update={"user_id": ctx.user_id})
        if self.scope is Scope.public:
            return self.query.model_copy(update={"is_public": True})
        return self.query


def _clean_params(params: QueryParams) -> list[tuple[str, str]]:
    known = url_names() | PAGE_PARAMS
    out: list[tuple[str, str]] = []
    for key, value in params.multi_items():
        value = value.strip()
        if key not in known or not value:
            continue
        if key == FACET_PARAMS[FacetName.tags]:  # the form's tag box takes a comma list
            out += [(key, t.strip()) for t in value.split(",") if t.strip()]
        else:
            out.append((key, value))
    return out


def _date_value(name: str, value: str) -> str:
    """A bare date means the whole day: the start for ``From``, the end for ``To``."""
    if "Date" in name and _DATE_ONLY.match(value) and name.endswith("To"):
        return f"{value}T23:59:59.999+00:00"
    return value


def parse_search(params: QueryParams, user_id: ObjectId | None) -> LibrarySearch:
    """The page's search: the API's parameters, read through the model (an invalid one is
    a message, not a failure), and the page's own."""
    cleaned = _clean_params(params)
    page_params = {k: v for k, v in cleaned if k in PAGE_PARAMS}
    raw_scope = page_params.get("scope", Scope.all.value)
    scope = Scope(raw_scope) if raw_scope in Scope.__members__ else Scope.all
    if user_id is None and scope in (Scope.mine, Scope.shared):
        scope = Scope.all
    view = "grid" if page_params.get("view") == "grid" else "table"
    page_text = page_params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100000 else 1
    try:
        dated = [(key, _date_value(key, value)) for key, value in cleaned]
        query = search_query_from(query_values_from_url(dated))
        error = None
    except PydanticValidationError as exc:
        query = SearchQuery()
        error = "; ".join(_problem(e) for e in exc.errors(include_input=False)[:3])
    return LibrarySearch(query, scope, view, page, cleaned, error)


def _problem(error: Any) -> str:
    location = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
    name = url_name_of(location[0]) if location else "search"
    return f"{name}: {error.get('msg', 'invalid')}"
