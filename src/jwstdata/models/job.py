"""Background jobs: processing runs and MAST imports share one queue (``jobs``).

A job moves ``queued → running → completed | failed | cancelled``. A running job carries a
lease (``leaseOwner`` until ``leaseExpiresAt``) that its worker renews by heartbeat; a job
whose lease ran out lost its worker and is claimed again (each claim counts one attempt).
``progress`` and ``result`` survive retries and resumes, so an import can skip the files it
already finished.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from jwstdata.models.base import CamelModel, ObjectIdField, UtcDatetime, utcnow

LOG_TAIL_LINES = 50
LOG_LINE_CHARS = 500


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


FINISHED_STATES = frozenset({JobState.completed, JobState.failed, JobState.cancelled})
RESUMABLE_STATES = frozenset({JobState.failed, JobState.cancelled})


class Job(CamelModel):
    id: ObjectIdField
    kind: str = Field(min_length=1, max_length=64)
    state: JobState = JobState.queued
    priority: int = 0  # higher runs first
    user_id: ObjectIdField | None = None  # owner; None for system jobs (admin-only)
    # Asked for by the user (not queued by the system for them): counts against their quota.
    user_requested: bool = False
    record_id: ObjectIdField | None = None  # the record whose processingStatus follows the job
    params: dict[str, Any] = Field(default_factory=dict)
    # Free-form, merged field by field: done/total, bytesDone/bytesTotal, rate, eta, message…
    progress: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    attempts: int = Field(default=0, ge=0)  # claims since enqueue or the last resume
    max_attempts: int = Field(default=3, ge=1)
    lease_losses: int = Field(default=0, ge=0)  # attempts whose worker vanished
    lease_owner: str | None = None
    lease_expires_at: UtcDatetime | None = None
    heartbeat_at: UtcDatetime | None = None
    created_at: UtcDatetime = Field(default_factory=utcnow)
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    not_before: UtcDatetime = Field(default_factory=utcnow)  # retry back-off
    cancel_requested: bool = False
    log_tail: list[str] = Field(default_factory=list)  # the last LOG_TAIL_LINES lines

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Job:
        return cls.model_validate(
            {"id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}
        )

    def to_document(self) -> dict[str, Any]:
        doc = self.model_dump(by_alias=True, exclude={"id"})
        return {"_id": self.id, **doc}

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def clip_line(line: str) -> str:
    """One log line as stored: single line, bounded length."""
    text = " ".join(str(line).splitlines()).strip()
    return text if len(text) <= LOG_LINE_CHARS else text[: LOG_LINE_CHARS - 1] + "…"


def stamp_line(moment: datetime, line: str) -> str:
    """A log-tail line: UTC time to the second, then the text."""
    return clip_line(f"{moment.strftime('%Y-%m-%dT%H:%M:%SZ')} {line}")
