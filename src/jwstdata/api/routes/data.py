"""``/api/data``: search, facets, statistics, and one record's reads and edits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response, status
from pydantic import BaseModel, Field

from jwstdata.api.deps import ContextDep, RecordIdDep, ServicesDep, require_user
from jwstdata.api.params import search_query
from jwstdata.api.schemas import RecordLineage
from jwstdata.errors import ValidationError
from jwstdata.models import JwstDataModel, parse_object_id
from jwstdata.models.bulk import BulkRequest
from jwstdata.models.search import FacetName, SearchQuery
from jwstdata.services.facets import count_facets

router = APIRouter(prefix="/api/data", tags=["data"])
SearchDep = Annotated[SearchQuery, Depends(search_query)]


class SharePayload(BaseModel):
    usernames: list[str] = Field(min_length=1, max_length=100)


def _version(if_match: str | None) -> int | None:
    """``If-Match: "3"`` (the ETag we send) or a bare number."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ValidationError.from_fields(
            [{"field": "If-Match", "message": "must be a record version"}]
        )
    return int(text)


@router.get("", summary="Search records (keyset pagination)")
def search(
    svc: ServicesDep,
    ctx: ContextDep,
    query: SearchDep,
    with_total: Annotated[bool, Query(alias="withTotal")] = False,
) -> dict[str, Any]:
    page = svc.records.search(query, ctx, with_total=with_total)
    return {
        "items": [r.to_json() for r in page.items],
        "nextCursor": page.next_cursor,
        "total": page.total,
    }


@router.get(
    "/facets",
    summary="Counts per value of each facet over what you can see",
    description="Each facet is counted without its own filter, so a filtered facet still "
    "lists its other values (what adding one would match); the library page shows the same.",
)
def facets(
    svc: ServicesDep,
    ctx: ContextDep,
    query: SearchDep,
    names: Annotated[list[FacetName], Query(alias="facet")] = [],  # noqa: B006
) -> dict[str, Any]:
    return count_facets(svc.records, query, ctx, names or tuple(FacetName))


@router.get("/stats", summary="Totals by level and data type over what you can see")
def stats(svc: ServicesDep, ctx: ContextDep, query: SearchDep) -> dict[str, Any]:
    return svc.record_service.stats(query, ctx)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a metadata-only record",
    dependencies=[Depends(require_user)],
)
def create(
    svc: ServicesDep, ctx: ContextDep, body: Annotated[dict[str, Any], Body()]
) -> JwstDataModel:
    return svc.record_service.create_metadata_record(body, ctx)


@router.post(
    "/bulk",
    summary="Change tags or status of many records (per-id outcomes)",
    dependencies=[Depends(require_user)],
)
def bulk(svc: ServicesDep, ctx: ContextDep, body: BulkRequest) -> dict[str, Any]:
    ids, outcomes = [], []
    for raw in body.ids:
        oid = parse_object_id(raw)
        if oid is None:
            outcomes.append(
                {"id": raw, "status": "failed", "error": "not_found", "message": "not found"}
            )
        else:
            ids.append(oid)
    outcomes += svc.record_service.bulk(ids, body.changes, ctx)
    return {"results": outcomes}


@router.get("/{record_id}", summary="One record")
def get(
    svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep, response: Response
) -> JwstDataModel:
    record = svc.records.get(record_id, ctx)
    response.headers["ETag"] = f'"{record.version}"'
    return record


@router.patch(
    "/{record_id}",
    summary="Edit a record (If-Match: its version)",
    dependencies=[Depends(require_user)],
)
def patch(
    svc: ServicesDep,
    ctx: ContextDep,
    record_id: RecordIdDep,
    response: Response,
    body: Annotated[dict[str, Any], Body()],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> JwstDataModel:
    expected = _version(if_match)
    if "version" in body:
        expected = body.pop("version") if isinstance(body["version"], int) else expected
    record = svc.record_service.update(record_id, body, ctx, expected)
    response.headers["ETag"] = f'"{record.version}"'
    return record


@router.delete(
    "/{record_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a record and its file",
    dependencies=[Depends(require_user)],
)
def delete(svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep) -> Response:
    svc.record_service.delete(record_id, ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{record_id}/share",
    summary="Share with users (by user name)",
    dependencies=[Depends(require_user)],
)
def share(
    svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep, body: SharePayload
) -> JwstDataModel:
    return svc.record_service.share(record_id, body.usernames, ctx)


@router.post(
    "/{record_id}/unshare", summary="Stop sharing with users", dependencies=[Depends(require_user)]
)
def unshare(
    svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep, body: SharePayload
) -> JwstDataModel:
    return svc.record_service.unshare(record_id, body.usernames, ctx)


@router.post(
    "/{record_id}/archive",
    summary="Archive: leaves default searches; the file moves to the archive prefix",
    dependencies=[Depends(require_user)],
)
def archive(svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep) -> JwstDataModel:
    return svc.archive.archive_record(record_id, ctx).record


@router.post(
    "/{record_id}/unarchive",
    summary="Bring back from the archive",
    dependencies=[Depends(require_user)],
)
def unarchive(svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep) -> JwstDataModel:
    return svc.archive.unarchive_record(record_id, ctx).record


@router.get("/{record_id}/lineage", summary="Ancestors and descendants of a record")
def record_lineage(svc: ServicesDep, ctx: ContextDep, record_id: RecordIdDep) -> RecordLineage:
    return RecordLineage(
        record=str(record_id),
        ancestors=svc.lineage.ancestors(record_id, ctx),
        descendants=svc.lineage.descendants(record_id, ctx),
    )
