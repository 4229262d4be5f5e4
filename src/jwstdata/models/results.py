"""The outcome of one processing run, appended to a record's ``processingResults``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from jwstdata.models.base import CamelModel, UtcDatetime, utcnow
from jwstdata.models.enums import ResultStatus


class ProcessingResult(CamelModel):
    algorithm: str = Field(min_length=1, max_length=64)
    processed_date: UtcDatetime = Field(default_factory=utcnow)
    status: ResultStatus
    parameters: dict[str, Any] = Field(default_factory=dict)
    results: dict[str, Any] = Field(default_factory=dict)
    output_file_path: str | None = None
    error_message: str | None = Field(default=None, max_length=4096)
    duration_seconds: float | None = Field(default=None, ge=0)
    algorithm_version: str | None = Field(default=None, max_length=32)
