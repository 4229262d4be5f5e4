"""The job repository: every query on ``jobs`` lives here.

Every state change is one conditional update whose filter names the state it starts from
and, for a running job, the lease owner; two workers can never both finish a job, and a
worker that lost its lease can no longer change it. Times come from the caller's clock:
leases (tens of seconds) are far longer than the skew of NTP-synchronised machines.

The worker side (claim, heartbeat, complete, fail, release) is inherited from
:class:`~jwstdata.db.job_leases.JobLeases`; submitting and the user side are here.

Visibility: a user sees (and cancels, resumes) only their own jobs, an admin every job;
anything else is indistinguishable from a missing job (``NotFoundError``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from pydantic import ValidationError as PydanticValidationError

from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.job_indexes import ACTIVE_INDEX, JOBS
from jwstdata.db.job_leases import RELEASE_LEASE, JobLeases
from jwstdata.db.job_queries import LIST_ORDER, after, encode_cursor, list_index, visible
from jwstdata.db.setup import ensure_indexes
from jwstdata.errors import ConflictError, NotFoundError, pydantic_to_validation_error
from jwstdata.models.access import AccessContext
from jwstdata.models.base import utcnow
from jwstdata.models.job import RESUMABLE_STATES, Job, JobState, stamp_line


@dataclass
class JobPage:
    items: list[Job]
    next_cursor: str | None


class JobRepository(JobLeases):
    @classmethod
    def for_database(
        cls,
        handle: DatabaseHandle,
        *,
        retry_delay: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> JobRepository:
        return cls(handle.db[JOBS], handle.redacted_uri, retry_delay=retry_delay, clock=clock)

    def ensure_indexes(self) -> None:
        """Create the job indexes if ``jwstdata db init`` has not (every query hints them)."""
        with translate_errors(self._uri):
            ensure_indexes(self.collection.database, [JOBS]).raise_failures()

    # --- submit -------------------------------------------------------------------------
    def enqueue(
        self,
        kind: str,
        params: dict[str, Any],
        *,
        user_id: ObjectId | None,
        record_id: ObjectId | None,
        priority: int = 0,
        max_attempts: int = 3,
        user_requested: bool = False,
    ) -> Job:
        now = self.clock()
        try:
            job = Job(
                id=ObjectId(),
                kind=kind,
                params=params,
                user_id=user_id,
                user_requested=user_requested,
                record_id=record_id,
                priority=priority,
                max_attempts=max_attempts,
                created_at=now,
                not_before=now,
                log_tail=[stamp_line(now, "queued")],
            )
        except PydanticValidationError as exc:
            raise pydantic_to_validation_error(exc) from None
        with translate_errors(self._uri):
            self.collection.insert_one(job.to_document())
        return job

    def count_active(self, user_id: ObjectId) -> int:
        """How many jobs ``user_id`` asked for are queued or running."""
        active = [JobState.queued.value, JobState.running.value]
        flt = {"userId": user_id, "userRequested": True, "state": {"$in": active}}
        hint = index_hint(self.collection, ACTIVE_INDEX)
        with translate_errors(self._uri):
            return self.collection.count_documents(flt, **({"hint": hint} if hint else {}))

    def withdraw(self, job_id: ObjectId) -> bool:
        """Remove a job that is still queued (never claimed); False if a worker has it."""
        with translate_errors(self._uri):
            gone = self.collection.delete_one(
                {"_id": job_id, "state": JobState.queued.value, "attempts": 0},
                hint=index_hint(self.collection, ID_INDEX),
            )
        return gone.deleted_count == 1

    # --- user side ----------------------------------------------------------------------
    def get(self, job_id: ObjectId, ctx: AccessContext) -> Job:
        with translate_errors(self._uri):
            doc = self.collection.find_one(
                {"_id": job_id, **visible(ctx)}, hint=index_hint(self.collection, ID_INDEX)
            )
        if doc is None:
            raise NotFoundError(f"job {job_id} not found")
        return Job.from_document(doc)

    def list(
        self,
        ctx: AccessContext,
        *,
        state: JobState | None = None,
        kind: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> JobPage:
        """Jobs the caller may see, newest first, one keyset page at a time."""
        flt: dict[str, Any] = visible(ctx)
        if state is not None:
            flt["state"] = JobState(state).value
        if kind is not None:
            flt["kind"] = kind
        if cursor is not None:
            flt.update(after(cursor))
        with translate_errors(self._uri):
            docs = list(
                self.collection.find(flt)
                .sort(LIST_ORDER)
                .hint(index_hint(self.collection, list_index(ctx, state, kind)))
                .limit(limit + 1)
            )
        items = [Job.from_document(doc) for doc in docs[:limit]]
        more = len(docs) > limit and items
        return JobPage(items, encode_cursor(items[-1]) if more else None)

    def request_cancel(self, job_id: ObjectId, ctx: AccessContext) -> Job:
        """A queued job is cancelled at once; a running one is asked to stop (its worker
        notices at the next heartbeat). Cancelling a cancelled job changes nothing."""
        self.get(job_id, ctx)  # visibility first: someone else's job is not found
        now = self.clock()
        queued = self._transition(
            job_id,
            JobState.queued,
            {"$set": {"state": JobState.cancelled.value, "finishedAt": now}},
            log=["cancelled before it ran"],
        )
        if queued is not None:
            return queued
        running = self._transition(
            job_id,
            JobState.running,
            {"$set": {"cancelRequested": True}},
            log=["cancel requested"],
            extra={"cancelRequested": {"$ne": True}},
        )
        if running is not None:
            return running
        current = self.get(job_id, ctx)
        if current.state is JobState.cancelled or current.cancel_requested:
            return current
        raise ConflictError(f"job {job_id} is already {current.state.value}")

    def resume(self, job_id: ObjectId, ctx: AccessContext) -> Job:
        """Queue a failed or cancelled job again with fresh attempts; its ``progress`` and
        ``result`` stay, so the handler can carry on where it stopped."""
        current = self.get(job_id, ctx)
        if current.state not in RESUMABLE_STATES:
            raise ConflictError(
                f"job {job_id} is {current.state.value}; only failed or cancelled jobs resume"
            )
        changes = {
            "state": JobState.queued.value,
            "attempts": 0,
            "leaseLosses": 0,
            "cancelRequested": False,
            "error": None,
            "notBefore": self.clock(),
            "finishedAt": None,
            **RELEASE_LEASE,
        }
        resumed = self._transition(job_id, current.state, {"$set": changes}, log=["resumed"])
        if resumed is None:
            raise ConflictError(f"job {job_id} changed meanwhile; try again")
        return resumed
