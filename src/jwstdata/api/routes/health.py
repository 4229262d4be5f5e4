"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from jwstdata import __version__
from jwstdata.api.deps import ServicesDep
from jwstdata.api.schemas import HealthStatus, Readiness
from jwstdata.errors import JwstDataError

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="Liveness: the process answers")
def health() -> HealthStatus:
    return HealthStatus(status="ok", version=__version__)


@router.get(
    "/ready",
    summary="Readiness: database and storage reachable",
    responses={
        200: {"model": Readiness},
        503: {"model": Readiness, "description": "A dependency did not answer"},
    },
)
def ready(svc: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        svc.handle.client.admin.command("ping")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    try:
        svc.storage.ping()
        checks["storage"] = "ok"
    except JwstDataError:
        checks["storage"] = "unavailable"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "unavailable", "checks": checks},
        status_code=200 if ok else 503,
    )
