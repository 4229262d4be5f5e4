"""The library page's URL: one search, readable, bookmarkable, and the API's own parameters.

The query string uses the names of ``GET /api/data`` (``q``, ``instrument``, ``filter``,
``processingLevel``, ``dataType``, ``processingStatus``, ``tag``, ``observationDateFrom``…,
``sort``, ``order``, ``limit``, ``cursor``), so a library URL and an API URL say the same
thing (``derived=any`` is the "show derived products" toggle). The page adds three of its
own: ``scope`` (all / mine / public / shared), ``view``
(table / grid) and ``page`` (the page number shown next to a cursor). Parsing never fails
the page: invalid input becomes a readable message above an empty result.
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
from jwstdata.models.search import DerivedFilter, FacetName, SearchQuery

# URL name -> SearchQuery field, for parameters that repeat.
LIST_PARAMS = {
    "dataType": "data_type",
    "processingStatus": "processing_status",
    "processingLevel": "processing_level",
    "instrument": "instrument",
    "filter": "filter",
    "tag": "tags",
    "fileFormat": "file_format",
    "program": "program",
    "target": "target",
    "detector": "detector",
    "exposureType": "exposure_type",
}
SCALAR_PARAMS = {
    "q": "text",
    "tagMode": "tag_mode",
    "targetName": "target_name",
    "observationBaseId": "observation_base_id",
    "exposureId": "exposure_id",
    "proposalId": "proposal_id",
    "observationDateFrom": "observation_date_from",
    "observationDateTo": "observation_date_to",
    "uploadDateFrom": "upload_date_from",
    "uploadDateTo": "upload_date_to",
    "sort": "sort",
    "order": "order",
    "limit": "limit",
    "cursor": "cursor",
}
FACET_PARAMS = {
    FacetName.instrument: "instrument",
    FacetName.filter: "filter",
    FacetName.processing_level: "processingLevel",
    FacetName.data_type: "dataType",
    FacetName.processing_status: "processingStatus",
    FacetName.program: "program",
    FacetName.target: "target",
    FacetName.detector: "detector",
    FacetName.exposure_type: "exposureType",
    FacetName.tags: "tag",
}
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_LIMIT = 50
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
    known = set(LIST_PARAMS) | set(SCALAR_PARAMS) | {"scope", "view", "page", "derived"}
    out: list[tuple[str, str]] = []
    for key, value in params.multi_items():
        value = value.strip()
        if key not in known or not value:
            continue
        if key == "tag":  # the form's tag box takes a comma-separated list
            out += [(key, t.strip()) for t in value.split(",") if t.strip()]
        else:
            out.append((key, value))
    return out


def _date_value(name: str, value: str) -> str:
    """A bare date means the whole day: the start for ``From``, the end for ``To``."""
    if _DATE_ONLY.match(value) and name.endswith("To"):
        return f"{value}T23:59:59.999+00:00"
    return value


def parse_search(params: QueryParams, user_id: ObjectId | None) -> LibrarySearch:
    cleaned = _clean_params(params)
    fields: dict[str, Any] = {"limit": DEFAULT_LIMIT}
    for key, value in cleaned:
        if key in LIST_PARAMS:
            fields.setdefault(LIST_PARAMS[key], []).append(value)
        elif key in SCALAR_PARAMS:
            fields[SCALAR_PARAMS[key]] = _date_value(key, value) if "Date" in key else value
    derived = dict(cleaned).get("derived", DerivedFilter.false.value)
    if derived in DerivedFilter.__members__:  # "show derived products" (off by default)
        fields["is_derived"] = DerivedFilter(derived).as_query()
    raw_scope = dict(cleaned).get("scope", Scope.all.value)
    scope = Scope(raw_scope) if raw_scope in Scope.__members__ else Scope.all
    if user_id is None and scope in (Scope.mine, Scope.shared):
        scope = Scope.all
    view = "grid" if dict(cleaned).get("view") == "grid" else "table"
    page_text = dict(cleaned).get("page", "1")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100000 else 1
    try:
        query = SearchQuery(**fields)
        error = None
    except PydanticValidationError as exc:
        query = SearchQuery(limit=DEFAULT_LIMIT)
        error = "; ".join(_problem(e) for e in exc.errors(include_input=False)[:3])
    return LibrarySearch(query, scope, view, page, cleaned, error)


def _problem(error: Any) -> str:
    names = {v: k for k, v in {**LIST_PARAMS, **SCALAR_PARAMS}.items()}
    location = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
    name = names.get(location[0], location[0]) if location else "search"
    return f"{name}: {error.get('msg', 'invalid')}"


def without_facet(query: SearchQuery, facet: FacetName) -> SearchQuery:
    """The query minus one facet's own filter, so its counts show the alternatives too."""
    attribute = LIST_PARAMS[FACET_PARAMS[facet]]
    return query.model_copy(update={attribute: [], "cursor": None})
