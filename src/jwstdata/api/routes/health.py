"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from jwstdata import __version__
from jwstdata.api.deps import ServicesDep
from jwstdata.api.errors import error_body
from jwstdata.api.schemas import HealthStatus, Readiness
from jwstdata.errors import JwstDataError
from jwstdata.services.supervisor import worker_status

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="Liveness: the process answers")
def health() -> HealthStatus:
    return HealthStatus(status="ok", version=__version__)


@router.get(
    "/ready",
    summary="Readiness: database, storage and the supervised worker",
    responses={
        200: {"model": Readiness},
        503: {"model": Readiness, "description": "A dependency did not answer"},
    },
)
def ready(svc: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    body: dict[str, Any] = {}
    try:
        svc.handle.client.admin.command("ping")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
        svc.recover_database()
    try:
        svc.storage.ping()
        checks["storage"] = "ok"
    except JwstDataError:
        checks["storage"] = "unavailable"
    if svc.settings.worker_state_file is not None:
        worker = worker_status(svc.settings.worker_state_file)
        checks["worker"] = worker["status"]
        body["workers"] = [worker]
    ok = all(v == "ok" for v in checks.values())
    body = {"status": "ready" if ok else "unavailable", "checks": checks, **body}
    if not ok:
        failing = ", ".join(name for name, value in checks.items() if value != "ok")
        body["error"] = error_body("unavailable", f"not ready: {failing} unavailable", checks)[
            "error"
        ]
    return JSONResponse(body, status_code=200 if ok else 503)
