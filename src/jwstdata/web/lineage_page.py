"""Observation lineage: the records of one ``observationBaseId`` by level, links drawn.

A run's association files (``_asn.json``, ``_pool.csv``) carry the run's id
(``jw02733-o001``) as their observation; the page lists them beside the products they
describe instead of as a level column or an observation of their own.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from jwstdata.errors import NotFoundError
from jwstdata.http.deps import ServicesDep
from jwstdata.models import AccessContext, JwstDataModel, ProcessingLevel
from jwstdata.models.search import SearchQuery
from jwstdata.naming import NameKind, parse_name
from jwstdata.web.pages import PageContextDep, PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PIPELINE_LEVELS = ("L1", "L2a", "L2b", "L3")
RECENT_RECORDS = 200
RUN_PRODUCTS = 200
RUN_FILES = frozenset({NameKind.association, NameKind.pool})


def is_run_file(record: JwstDataModel) -> bool:
    return parse_name(record.file_name).kind in RUN_FILES


def fold_runs(counts: dict[str, int]) -> dict[str, int]:
    """A run id (``jw02733-o001``) counts with the observation whose products it made."""
    folded = dict(counts)
    for base in counts:
        if "_" in base:
            continue
        products = sorted(b for b in counts if b.startswith(base + "_"))
        if products:
            folded[products[0]] += folded.pop(base)
    return folded


def _run_observations(svc: Any, run_id: str, ctx: AccessContext) -> list[str]:
    """The product observations (``<run>_<target>_<instrument>``) of a run."""
    # A range, not a prefix regex: the embedded server plans a regex as a collection scan.
    query = {"observationBaseId": {"$gte": f"{run_id}_", "$lt": f"{run_id}`"}}  # '`' follows '_'
    found = svc.records.find_scoped(query, ctx, index="observation", limit=RUN_PRODUCTS)
    return sorted({r.observation_base_id for r in found if r.observation_base_id})


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
    return render(request, "observations.html", recent=fold_runs(recent))


@router.get("/observations/{observation_base_id}")
def observation(
    request: Request,
    svc: ServicesDep,
    ctx: PageContextDep,
    observation_base_id: Annotated[str, Path(max_length=128)],
) -> Response:
    """The same view as ``GET /api/lineage/{id}`` (same service, same context)."""
    view = svc.lineage.observation(observation_base_id, ctx)
    if not any(view["levels"].values()):
        raise NotFoundError(f"no records you can see belong to observation {observation_base_id}")
    levels = {
        level: [r for r in records if not is_run_file(r)]
        for level, records in view["levels"].items()
    }
    run_files = sorted(
        (r for records in view["levels"].values() for r in records if is_run_file(r)),
        key=lambda r: r.file_name,
    )
    products: list[str] = []
    if not any(levels.values()):  # only a run's association files: show its products
        products = _run_observations(svc, observation_base_id, ctx)
        if len(products) == 1:
            return RedirectResponse(f"/observations/{quote(products[0], safe='')}", 303)
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
        run_files=run_files,
        products=products,
        count=sum(len(c["records"]) for c in columns) + len(run_files),
    )
