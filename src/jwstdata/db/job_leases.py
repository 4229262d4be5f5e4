"""The worker side of the job queue: claiming a job, holding its lease, finishing it.

A worker leases one job at a time (:meth:`JobLeases.claim`), renews the lease while it runs
(:meth:`~JobLeases.heartbeat`) and ends it as completed, failed (retried after a back-off
while attempts remain), cancelled or released. Every change names the lease owner, so a
worker that lost its lease can no longer change the job. A job whose worker vanished is
claimed again once its lease expires, at the cost of an attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.job_indexes import QUEUE_INDEX
from jwstdata.db.job_queries import CLAIM_ORDER, claimable, owned, progress_field
from jwstdata.db.job_store import JobStore
from jwstdata.db.portable import find_one_and_update, trim_array
from jwstdata.models.job import LOG_TAIL_LINES, Job, JobState, clip_line, stamp_line

MAX_RETRY_DELAY = 600.0
RELEASE_LEASE = {"leaseOwner": None, "leaseExpiresAt": None}


class JobLeases(JobStore):
    """A worker's calls on the queue; :class:`~jwstdata.db.jobs.JobRepository` adds the rest."""

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
            **RELEASE_LEASE,
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
            **RELEASE_LEASE,
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
                **RELEASE_LEASE,
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
            **RELEASE_LEASE,
        }
        return self._owned_update(job_id, worker_id, {"$set": final}, log=[f"failed: {error}"])

    def mark_cancelled(self, job_id: ObjectId, worker_id: str) -> Job | None:
        """The running job stopped on a cancel request (or the handler cancelled it)."""
        changes = {"state": JobState.cancelled.value, "finishedAt": self.clock(), **RELEASE_LEASE}
        return self._owned_update(job_id, worker_id, {"$set": changes}, log=["cancelled"])

    def release(self, job_id: ObjectId, worker_id: str) -> Job | None:
        """Hand a running job back to the queue (worker shutting down): not an attempt.
        A job with a pending cancel is cancelled instead."""
        changes = {"state": JobState.queued.value, "notBefore": self.clock(), **RELEASE_LEASE}
        released = self._owned_update(
            job_id,
            worker_id,
            {"$set": changes, "$inc": {"attempts": -1}},
            log=[f"released by {worker_id}"],
            extra={"cancelRequested": {"$ne": True}},
        )
        return released if released is not None else self.mark_cancelled(job_id, worker_id)
