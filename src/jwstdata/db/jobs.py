"""The job repository: every query on ``jobs`` lives here.

Every state change is one conditional update whose filter names the state it starts from
and, for a running job, the lease owner; two workers can never both finish a job, and a
worker that lost its lease can no longer change it. Times come from the caller's clock:
leases (tens of seconds) are far longer than the skew of NTP-synchronised machines.

Visibility: a user sees (and cancels, resumes) only their own jobs, an admin every job;
anything else is indistinguishable from a missing job (``NotFoundError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pydantic import ValidationError as PydanticValidationError
from pymongo import ReturnDocument

from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.hints import index_hint
from jwstdata.db.job_indexes import ACTIVE_INDEX, JOBS, QUEUE_INDEX
from jwstdata.db.job_queries import (
    CLAIM_ORDER,
    LIST_ORDER,
    after,
    claimable,
    encode_cursor,
    list_index,
    owned,
    progress_field,
    visible,
)
from jwstdata.db.job_store import ID_INDEX, JobStore
from jwstdata.db.portable import find_one_and_update, trim_array
from jwstdata.db.setup import ensure_indexes
from jwstdata.errors import ConflictError, NotFoundError, pydantic_to_validation_error
from jwstdata.models.access import AccessContext
from jwstdata.models.base import utcnow
from jwstdata.models.job import (
    LOG_TAIL_LINES,
    RESUMABLE_STATES,
    Job,
    JobState,
    clip_line,
    stamp_line,
)

MAX_RETRY_DELAY = 600.0
_RELEASE_LEASE = {"leaseOwner": None, "leaseExpiresAt": None}


@dataclass
class JobPage:
    items: list[Job]
    next_cursor: str | None


class JobRepository(JobStore):
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

    # --- worker side --------------------------------------------------------------------
    def claim(
        self,
        worker_id: str,
        kinds: Sequence[str] | None,
        lease_seconds: float,
        *,
        on_settled: Callable[[Job], None] | None = None,
    ) -> Job | None:
        """Lease the next runnable job to ``worker_id``, or None when nothing is waiting.

        Runnable: queued and past its back-off, or running with an expired lease (its worker
        is gone). The latter costs an attempt: out of attempts it fails, and with a cancel
        pending it is cancelled. Such jobs are finished here instead of being handed out;
        ``on_settled`` hears of each one (the worker updates the job's record).
        """
        while True:
            now = self.clock()
            changes = {
                "state": JobState.running.value,
                "leaseOwner": worker_id,
                "leaseExpiresAt": now + timedelta(seconds=lease_seconds),
                "heartbeatAt": now,
                "startedAt": now,
            }
            note = stamp_line(now, f"claimed by {worker_id}")
            update = {
                "$set": changes,
                "$inc": {"attempts": 1},
                "$push": {"logTail": {"$each": [note], "$slice": -LOG_TAIL_LINES}},
            }
            with translate_errors(self._uri):
                before = self.collection.find_one_and_update(
                    claimable(now, kinds),
                    update,
                    sort=CLAIM_ORDER,
                    hint=index_hint(self.collection, QUEUE_INDEX),
                    return_document=ReturnDocument.BEFORE,
                )
            if before is None:
                return None
            with translate_errors(self._uri):  # servers that ignore $slice (FerretDB v1)
                trim_array(self.collection, {"_id": before["_id"]}, "logTail", LOG_TAIL_LINES)
            claimed: Job | None = Job.from_document(
                {
                    **before,
                    **changes,
                    "attempts": before["attempts"] + 1,
                    "logTail": [*before.get("logTail", []), note][-LOG_TAIL_LINES:],
                }
            )
            if before["state"] == JobState.running.value:
                claimed = self._after_lost_worker(claimed, worker_id)
            if claimed is not None and claimed.state is JobState.running:
                return claimed
            if claimed is not None and on_settled is not None:
                on_settled(claimed)

    def _after_lost_worker(self, job: Job, worker_id: str) -> Job | None:
        """Count the attempt whose worker vanished; the job, still running if it may go on."""
        losses = job.lease_losses + 1
        previous = job.attempts - 1
        if job.cancel_requested:
            state, note = JobState.cancelled, "cancelled (its worker was lost)"
        elif previous >= job.max_attempts:
            state, note = JobState.failed, f"worker lost (lease expired) {losses} times"
        else:
            note = (
                f"worker lost (lease expired); retrying, attempt {job.attempts}/{job.max_attempts}"
            )
            return self._owned_update(job.id, worker_id, {"$inc": {"leaseLosses": 1}}, log=[note])
        changes: dict[str, Any] = {
            "state": state.value,
            "attempts": previous,
            "leaseLosses": losses,
            "finishedAt": self.clock(),
            **_RELEASE_LEASE,
        }
        if state is JobState.failed:
            changes["error"] = note
        return self._owned_update(job.id, worker_id, {"$set": changes}, log=[note])

    def heartbeat(
        self,
        job_id: ObjectId,
        worker_id: str,
        lease_seconds: float,
        progress: dict[str, Any] | None = None,
        log: Iterable[str] | None = None,
    ) -> bool:
        """Renew the lease and merge ``progress`` fields; ``log`` lines are stored as given
        (:class:`JobContext` time-stamps them when they are written).

        False tells the worker to stop: the lease is lost (another worker has the job) or
        cancellation was requested.
        """
        now = self.clock()
        changes: dict[str, Any] = {
            "leaseExpiresAt": now + timedelta(seconds=lease_seconds),
            "heartbeatAt": now,
        }
        for key, value in (progress or {}).items():
            changes[progress_field(key)] = value
        update: dict[str, Any] = {"$set": changes}
        if lines := [clip_line(line) for line in log or ()]:
            update["$push"] = {"logTail": {"$each": lines, "$slice": -LOG_TAIL_LINES}}
        with translate_errors(self._uri):
            doc = find_one_and_update(  # projection applied here where the server can't
                self.collection,
                owned(job_id, worker_id),
                update,
                projection={"cancelRequested": 1},
                hint=index_hint(self.collection, ID_INDEX),
                return_document=ReturnDocument.AFTER,
            )
            if lines:
                trim_array(self.collection, {"_id": job_id}, "logTail", LOG_TAIL_LINES)
        return doc is not None and not doc.get("cancelRequested", False)

    def complete(self, job_id: ObjectId, worker_id: str, result: dict[str, Any]) -> Job | None:
        """The completed job, or None when the caller no longer owns it."""
        changes = {
            "state": JobState.completed.value,
            "result": result,
            "error": None,
            "finishedAt": self.clock(),
            **_RELEASE_LEASE,
        }
        return self._owned_update(job_id, worker_id, {"$set": changes}, log=["completed"])

    def fail(self, job_id: ObjectId, worker_id: str, error: str, retry: bool) -> Job | None:
        """Record a failed attempt: back to the queue after a back-off while attempts remain
        (and ``retry``), otherwise failed. A pending cancel wins over a retry. None when the
        caller no longer owns the job."""
        error = clip_line(error) or "failed"
        current = self._find_owned(job_id, worker_id)
        if current is None:
            return None
        if retry and current.attempts < current.max_attempts:
            delay = min(self.retry_delay * 2 ** max(current.attempts - 1, 0), MAX_RETRY_DELAY)
            requeue = {
                "state": JobState.queued.value,
                "error": error,
                "notBefore": self.clock() + timedelta(seconds=delay),
                **_RELEASE_LEASE,
            }
            note = f"attempt {current.attempts}/{current.max_attempts} failed: {error}"
            requeued = self._owned_update(
                job_id,
                worker_id,
                {"$set": requeue},
                log=[f"{note}; retrying in {delay:g} s"],
                extra={"cancelRequested": {"$ne": True}},
            )
            if requeued is not None:
                return requeued
            current = self._find_owned(job_id, worker_id)
            if current is None:
                return None
            if current.cancel_requested:
                return self.mark_cancelled(job_id, worker_id)
        final = {
            "state": JobState.failed.value,
            "error": error,
            "finishedAt": self.clock(),
            **_RELEASE_LEASE,
        }
        return self._owned_update(job_id, worker_id, {"$set": final}, log=[f"failed: {error}"])

    def mark_cancelled(self, job_id: ObjectId, worker_id: str) -> Job | None:
        """The running job stopped on a cancel request (or the handler cancelled it)."""
        changes = {"state": JobState.cancelled.value, "finishedAt": self.clock(), **_RELEASE_LEASE}
        return self._owned_update(job_id, worker_id, {"$set": changes}, log=["cancelled"])

    def release(self, job_id: ObjectId, worker_id: str) -> Job | None:
        """Hand a running job back to the queue (worker shutting down): not an attempt.
        A job with a pending cancel is cancelled instead."""
        changes = {"state": JobState.queued.value, "notBefore": self.clock(), **_RELEASE_LEASE}
        released = self._owned_update(
            job_id,
            worker_id,
            {"$set": changes, "$inc": {"attempts": -1}},
            log=[f"released by {worker_id}"],
            extra={"cancelRequested": {"$ne": True}},
        )
        return released if released is not None else self.mark_cancelled(job_id, worker_id)

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
            **_RELEASE_LEASE,
        }
        resumed = self._transition(job_id, current.state, {"$set": changes}, log=["resumed"])
        if resumed is None:
            raise ConflictError(f"job {job_id} changed meanwhile; try again")
        return resumed
