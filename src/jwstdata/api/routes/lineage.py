"""``/api/lineage/{observationBaseId}``: one observation laid out by level."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from jwstdata.api.deps import ContextDep, ServicesDep
from jwstdata.api.schemas import ObservationLineage

router = APIRouter(prefix="/api/lineage", tags=["lineage"])


@router.get("/{observation_base_id}", summary="Records of an observation by level, with links")
def observation(
    svc: ServicesDep,
    ctx: ContextDep,
    observation_base_id: Annotated[str, Path(max_length=128)],
) -> ObservationLineage:
    view = svc.lineage.observation(observation_base_id, ctx)
    return ObservationLineage(
        observation_base_id=view["observationBaseId"],
        levels=view["levels"],
        edges=[(str(a), str(b)) for a, b in view["edges"]],
    )
