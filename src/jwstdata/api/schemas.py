"""Response models of the routes that answer with more than one domain model, so that
``/openapi.json`` documents what each route returns (the domain models document the rest)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from jwstdata.models.base import CamelModel
from jwstdata.models.job import Job
from jwstdata.models.record import JwstDataModel


class HealthStatus(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class WorkerState(BaseModel):
    """The supervised job worker of ``serve --with-worker``."""

    status: Literal["ok", "unavailable"]
    state: str | None = None
    pid: int | None = None
    restarts: int = 0
    lastExit: int | None = Field(
        default=None, description="Exit code of the last worker that stopped."
    )


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    checks: dict[str, Literal["ok", "unavailable"]] = Field(
        description="Each dependency (database, storage, worker) and whether it answered."
    )
    workers: list[WorkerState] | None = Field(
        default=None, description="Present when the server supervises a job worker."
    )
    error: dict[str, Any] | None = Field(
        default=None, description="The error envelope's body when not ready."
    )


class OAuth2Token(BaseModel):
    """The token endpoint's answer, with RFC 6749 field names (not camelCase)."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class JobPage(CamelModel):
    items: list[Job]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class RecordLineage(CamelModel):
    record: str = Field(description="The record asked about.")
    ancestors: list[JwstDataModel]
    descendants: list[JwstDataModel]


class ObservationLineage(CamelModel):
    observation_base_id: str
    levels: dict[str, list[JwstDataModel]] = Field(description="Records by processing level.")
    edges: list[tuple[str, str]] = Field(description="(parent id, child id) links.")


class Spectrum(CamelModel):
    """A 1-D spectrum, binned to at most ``max`` points (NaN as null)."""

    extension: str
    source_points: int
    factor: int = Field(description="Source points averaged into each point.")
    wavelength_unit: str
    flux_unit: str
    wavelength: list[float | None]
    flux: list[float | None]
