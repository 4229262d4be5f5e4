"""The filters and cursors of the job queue, as pure functions (no I/O).

:class:`jwstdata.db.jobs.JobRepository` runs them; keeping them here lets the rules be read
(and tested) in one place: what a worker may claim, what a caller may see, which index a
listing runs on, how a listing page continues.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from jwstdata.db.job_indexes import KIND_INDEX, OWNER_INDEX, RECENT_INDEX, STATE_INDEX
from jwstdata.errors import ValidationError
from jwstdata.models.access import AccessContext
from jwstdata.models.job import Job, JobState

# Claim order; the queue index has the same keys after ``state``.
CLAIM_ORDER = [("priority", -1), ("createdAt", 1), ("_id", 1)]
LIST_ORDER = [("createdAt", -1), ("_id", -1)]
_MATCH_NOTHING = {"_id": {"$exists": False}}


def claimable(now: datetime, kinds: Sequence[str] | None) -> dict[str, Any]:
    """Queued and past its back-off, or running with an expired lease (its worker is gone).

    The ``$in`` on ``state`` bounds the index scan to the two claimable states.
    """
    flt: dict[str, Any] = {
        "state": {"$in": [JobState.queued.value, JobState.running.value]},
        "$or": [
            {"state": JobState.queued.value, "notBefore": {"$lte": now}},
            {"state": JobState.running.value, "leaseExpiresAt": {"$lte": now}},
        ],
    }
    if kinds is not None:
        flt["kind"] = {"$in": list(kinds)}
    return flt


def owned(job_id: ObjectId, worker_id: str) -> dict[str, Any]:
    """The running job, only while ``worker_id`` holds its lease."""
    return {"_id": job_id, "state": JobState.running.value, "leaseOwner": worker_id}


def visible(ctx: AccessContext) -> dict[str, Any]:
    """Admins see every job, a user their own; anonymous callers none."""
    if ctx.is_admin:
        return {}
    if ctx.user_id is None:
        return dict(_MATCH_NOTHING)
    return {"userId": ctx.user_id}


def list_index(ctx: AccessContext, state: JobState | None, kind: str | None) -> str:
    if not ctx.is_admin:
        return OWNER_INDEX
    if state is not None:
        return STATE_INDEX
    if kind is not None:
        return KIND_INDEX
    return RECENT_INDEX


def after(cursor: str) -> dict[str, Any]:
    """The jobs listed after the one a cursor points at (newest first)."""
    created, last_id = decode_cursor(cursor)
    return {
        "$or": [
            {"createdAt": {"$lt": created}},
            {"createdAt": created, "_id": {"$lt": last_id}},
        ]
    }


def progress_field(key: str) -> str:
    """``progress.<key>``, refusing keys that would address something else."""
    if not key or "." in key or key.startswith("$"):
        raise ValidationError(f"invalid progress field {key!r}")
    return f"progress.{key}"


def encode_cursor(job: Job) -> str:
    millis = int(job.created_at.timestamp() * 1000)
    return base64.urlsafe_b64encode(f"{millis}:{job.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, ObjectId]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        millis, oid = text.split(":")
        return datetime.fromtimestamp(int(millis) / 1000, tz=UTC), ObjectId(oid)
    except (ValueError, binascii.Error, UnicodeDecodeError, TypeError):
        raise ValidationError("invalid cursor: pass the nextCursor of the previous page") from None
