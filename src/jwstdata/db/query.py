"""Turning a :class:`SearchQuery` plus an access context into a MongoDB filter and sort.

Access control is a clause of the query itself (never an in-memory filter after paging),
so counts, facets and pages agree with what the caller may see. Keyset pagination: the
cursor carries the last (sort value, _id) seen and a fingerprint of the search it
belongs to, base64url-encoded; it is opaque to callers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from typing import Any

from bson import ObjectId

from jwstdata.db.text_terms import query_words, record_terms, terms_clause
from jwstdata.errors import ValidationError
from jwstdata.models.access import AccessContext
from jwstdata.models.base import _to_utc
from jwstdata.models.search import SearchQuery, SortField, SortOrder, TagMode
from jwstdata.naming import parse_name

SORT_PATHS: dict[SortField, str] = {
    SortField.upload_date: "uploadDate",
    SortField.observation_date: "imageInfo.observationDate",
    SortField.file_name: "fileName",
    SortField.file_size: "fileSize",
}


def normalise_target(name: str) -> str:
    """The case-folded form stored in ``_norm.targetName`` and matched by prefix."""
    return name.strip().casefold()


def _upper_text(value: Any) -> str | None:
    return value.strip().upper() or None if isinstance(value, str) else None


def facet_keys(document: dict[str, Any]) -> dict[str, Any]:
    """Facet values a record does not hold as plain fields: its detector and exposure type,
    from the headers (``DETECTOR``, ``EXP_TYPE``), else the detector its file name gives."""
    metadata = document.get("metadata") or {}
    detector = _upper_text(metadata.get("detector"))
    if detector is None and document.get("fileName"):
        detector = _upper_text(parse_name(document["fileName"]).detector)
    return {"detector": detector, "exposureType": _upper_text(metadata.get("exp_type"))}


def search_keys(document: dict[str, Any]) -> dict[str, Any]:
    """Derived, indexed keys kept beside a record (not part of the model)."""
    target = (document.get("imageInfo") or {}).get("targetName")
    return {
        "targetName": normalise_target(target) if target else None,
        **facet_keys(document),
        "terms": record_terms(document),
    }


def _range(start: datetime | None, end: datetime | None) -> dict[str, Any] | None:
    clause: dict[str, Any] = {}
    if start is not None:
        clause["$gte"] = start
    if end is not None:
        clause["$lte"] = end
    return clause or None


def _in_or_eq(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else {"$in": values}


def build_filter(query: SearchQuery, ctx: AccessContext) -> dict[str, Any]:
    """The filter document for ``query`` as seen by ``ctx`` (without the cursor clause)."""
    clauses: list[dict[str, Any]] = []
    access = ctx.read_filter()
    if access:
        clauses.append(access)
    eq: dict[str, Any] = {}
    if query.is_archived is not None:
        eq["isArchived"] = query.is_archived
    if query.is_derived is not None:
        # Records written before the flag existed are not outputs: "not True", not "False".
        eq["isDerived"] = True if query.is_derived else {"$ne": True}
    for path, values in (
        ("dataType", [v.value for v in query.data_type]),
        ("processingStatus", [v.value for v in query.processing_status]),
        ("processingLevel", [v.value for v in query.processing_level]),
        ("imageInfo.instrument", query.instrument),
        ("imageInfo.filter", query.filter),
        ("fileFormat", query.file_format),
    ):
        if values:
            eq[path] = _in_or_eq(values)
    for path, value in (
        ("observationBaseId", query.observation_base_id),
        ("exposureId", query.exposure_id),
        ("parentId", query.parent_id),
        ("imageInfo.proposalId", query.proposal_id),
        ("isPublic", query.is_public),
        ("userId", query.user_id),
    ):
        if value is not None:
            eq[path] = value
    if query.tags:
        eq["tags"] = {"$all" if query.tag_mode is TagMode.all else "$in": query.tags}
    if query.target_name:
        eq["_norm.targetName"] = {"$regex": "^" + re.escape(normalise_target(query.target_name))}
    for path, start, end in (
        ("imageInfo.observationDate", query.observation_date_from, query.observation_date_to),
        ("uploadDate", query.upload_date_from, query.upload_date_to),
    ):
        if (clause := _range(start, end)) is not None:
            eq[path] = clause
    if (cone := _cone_clause(query)) is not None:
        eq.update(cone)
    if eq:
        clauses.append(eq)
    if facets := facet_filters(query):  # own clause: targetName may also hold a prefix
        clauses.append(facets)
    if (text := terms_clause(query_words(query.text))) is not None:
        clauses.append(text)
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _cone_clause(query: SearchQuery) -> dict[str, Any] | None:
    """A positional search, once resolved to the exact ids (see :mod:`jwstdata.db.sky`)."""
    if query.cone_ids is None:
        if query.has_cone:
            raise RuntimeError("a cone search must be resolved (ConeResolver) before it runs")
        return None
    return {"_id": {"$in": list(query.cone_ids)}}


def facet_filters(query: SearchQuery) -> dict[str, Any]:
    """Equality clauses of the facets added beside the original filters (program, whole
    target name, detector, exposure type); values are normalised by the model."""
    eq: dict[str, Any] = {}
    for path, values in (
        ("imageInfo.proposalId", query.program),
        ("_norm.targetName", query.target),
        ("_norm.detector", query.detector),
        ("_norm.exposureType", query.exposure_type),
    ):
        if values:
            eq[path] = _in_or_eq(values)
    return eq


def sort_spec(query: SearchQuery) -> list[tuple[str, int]]:
    direction = 1 if query.order is SortOrder.asc else -1
    return [(SORT_PATHS[query.sort], direction), ("_id", direction)]


# --- cursors ------------------------------------------------------------------------------
def _fingerprint(query: SearchQuery, ctx: AccessContext) -> str:
    payload = json.dumps(
        [query.filter_fingerprint(), str(ctx.user_id), ctx.is_admin], sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$d": _to_utc(value).isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$d"}:
        return _to_utc(value["$d"])
    if value is None or isinstance(value, str | int | float):
        return value
    raise ValueError("bad cursor value")


def _get_path(document: dict[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def encode_cursor(query: SearchQuery, ctx: AccessContext, last: dict[str, Any]) -> str:
    body = {
        "f": _fingerprint(query, ctx),
        "v": _encode_value(_get_path(last, SORT_PATHS[query.sort])),
        "i": str(last["_id"]),
    }
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: SearchQuery, ctx: AccessContext) -> tuple[Any, ObjectId] | None:
    if not query.cursor:
        return None
    bad = ValidationError.from_fields([{"field": "cursor", "message": "not a valid cursor"}])
    try:
        padded = query.cursor + "=" * (-len(query.cursor) % 4)
        body = json.loads(base64.urlsafe_b64decode(padded.encode()))
        value, last_id = _decode_value(body["v"]), ObjectId(body["i"])
        fingerprint = body["f"]
    except (ValueError, KeyError, TypeError):
        raise bad from None
    if fingerprint != _fingerprint(query, ctx):
        raise ValidationError.from_fields(
            [{"field": "cursor", "message": "this cursor belongs to a different search"}]
        )
    return value, last_id


def after_clause(query: SearchQuery, value: Any, last_id: ObjectId) -> dict[str, Any]:
    """Records strictly after (value, last_id) in the query's sort order.

    Missing/null sort values sort lowest in MongoDB, so they come last in descending
    order and first in ascending order; both cases are spelled out.
    """
    path = SORT_PATHS[query.sort]
    ascending = query.order is SortOrder.asc
    beyond = "$gt" if ascending else "$lt"
    same_value_later_id = {path: value, "_id": {beyond: last_id}}
    if value is None:
        if ascending:
            return {"$or": [same_value_later_id, {path: {"$ne": None}}]}
        return same_value_later_id
    branches: list[dict[str, Any]] = [{path: {beyond: value}}, same_value_later_id]
    if not ascending:
        branches.append({path: None})
    return {"$or": branches}
