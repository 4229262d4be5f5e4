"""Observation lineage: the records of one ``observationBaseId`` by level, links drawn."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from jwstdata.errors import NotFoundError
from jwstdata.http.deps import ServicesDep
from jwstdata.models import ProcessingLevel
from jwstdata.models.search import SearchQuery
from jwstdata.web.pages import PageContextDep, PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PIPELINE_LEVELS = ("L1", "L2a", "L2b", "L3")
RECENT_RECORDS = 200


@router.get("/observations")
def observations(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    observation: Annotated[str | None, Query(alias="id", max_length=128)] = None,
) -> Response:
    """Pick an observation: by id, or among those of the most recent records you can see."""
    if observation and observation.strip():
        return RedirectResponse(
            f"/observations/{quote(observation.strip(), safe='')}", status_code=303
        )
    page = svc.records.search(SearchQuery(limit=RECENT_RECORDS), ctx)
    recent: dict[str, int] = {}
    for record in page.items:
        if record.observation_base_id:
            recent[record.observation_base_id] = recent.get(record.observation_base_id, 0) + 1
    return render(request, "observations.html", recent=recent)


@router.get("/observations/{observation_base_id}")
def observation(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    observation_base_id: Annotated[str, Path(max_length=128)],
) -> Response:
    """The same view as ``GET /api/lineage/{id}`` (same service, same context)."""
    view = svc.lineage.observation(observation_base_id, ctx)
    levels = view["levels"]
    if not any(levels.values()):
        raise NotFoundError(f"no records you can see belong to observation {observation_base_id}")
    columns = [
        {"level": level, "records": sorted(levels[level], key=lambda r: r.file_name)}
        for level in (*PIPELINE_LEVELS, ProcessingLevel.unknown.value)
        if level in PIPELINE_LEVELS or levels.get(level)
    ]
    edges = [[str(a), str(b)] for a, b in view["edges"]]
    return render(
        request,
        "lineage.html",
        observation_base_id=observation_base_id,
        columns=columns,
        edges=edges,
        count=sum(len(c["records"]) for c in columns),
    )
