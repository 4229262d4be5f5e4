"""The worker: claims jobs from MongoDB and runs their handlers, any number per machine.

Each of ``concurrency`` slots claims one job at a time under its own lease owner id
(``host:pid:random/slot``), so two slots of one process are as separate as two machines.
While a handler runs, a heartbeat thread renews the lease every ``lease_seconds / 3`` (at
most every 2 s, so progress shows promptly) and
flushes the handler's progress and log; when the heartbeat reports a cancel request or a
lost lease, ``ctx.cancelled()`` turns true.

SIGTERM or SIGINT stops claiming and gives running jobs ``grace_seconds`` to finish; jobs
still running then are asked to stop and handed back to the queue (a second signal skips
the wait). A handler's exception fails its attempt (retried while attempts remain) and
never takes the worker down.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bson.errors import InvalidDocument

from jwstdata.db.jobs import JobRepository
from jwstdata.errors import (
    ConfigurationError,
    JwstDataError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from jwstdata.models.enums import ProcessingStatus
from jwstdata.models.job import Job, JobState
from jwstdata.services.jobs.context import JobContext, JobServices
from jwstdata.services.jobs.registry import JobCancelled, JobFailed, JobRegistry, load_handlers

log = logging.getLogger("jwstdata.jobs")
MAX_HEARTBEAT_SECONDS = 2.0

# Errors no retry can fix: the job's input is wrong.
_PERMANENT_ERRORS = (ValidationError, NotFoundError, PermissionDeniedError)
# How long stopping handlers get to return before their jobs are released from outside.
_STOP_WAIT_SECONDS = 5.0
# The record's processingStatus for each state a job can leave a worker in.
_RECORD_STATUS = {
    JobState.running: ProcessingStatus.processing,
    JobState.completed: ProcessingStatus.completed,
    JobState.failed: ProcessingStatus.failed,
    JobState.queued: ProcessingStatus.pending,
    JobState.cancelled: ProcessingStatus.completed,  # nothing is queued any more
}


@dataclass
class _Outcome:
    """How a handler ended: its result, or its error and whether a retry may help."""

    how: Literal["completed", "cancelled", "failed"]
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    retry: bool = False


@dataclass
class _Running:
    job: Job
    owner: str
    ctx: JobContext


class Worker:
    """Runs jobs on ``services`` (the composition root: ``Root.worker()`` builds one)."""

    def __init__(
        self,
        services: JobServices,
        concurrency: int = 1,
        kinds: Sequence[str] | None = None,
        lease_seconds: float = 30.0,
        poll_interval: float = 1.0,
        *,
        registry: JobRegistry | None = None,
        retry_delay: float = 5.0,
        grace_seconds: float = 10.0,
        worker_id: str | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigurationError("worker concurrency must be at least 1")
        if lease_seconds <= 0 or poll_interval <= 0:
            raise ConfigurationError("lease and poll interval must be positive")
        self.services = services
        self.registry = registry if registry is not None else load_handlers()
        unknown = sorted(set(kinds or ()) - set(self.registry.kinds()))
        if unknown:
            known = ", ".join(self.registry.kinds())
            raise ConfigurationError(f"unknown job kind(s) {', '.join(unknown)} (known: {known})")
        self.kinds = sorted(set(kinds)) if kinds else self.registry.kinds()
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        # Renew well inside the lease, and often enough that progress looks live.
        self.heartbeat_interval = min(lease_seconds / 3, MAX_HEARTBEAT_SECONDS)
        self.retry_delay = retry_delay
        self.grace_seconds = grace_seconds
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._jobs: JobRepository | None = None
        self._stopping = threading.Event()
        self._hurry = threading.Event()
        self._running: dict[int, _Running] = {}
        self._lock = threading.Lock()

    # --- public -------------------------------------------------------------------------
    def run_once(self) -> Job | None:
        """Claim and run one job in this thread; the job as it ended, or None if none."""
        with self._connected():
            return self._claim_and_run(slot=0)

    def run_forever(self) -> None:
        """Run ``concurrency`` slots until :meth:`stop` or SIGTERM/SIGINT."""
        restore = self._install_signal_handlers()
        try:
            with self._connected():
                log.info(
                    "worker %s: %d slot(s), kinds %s, lease %g s",
                    self.worker_id,
                    self.concurrency,
                    ", ".join(self.kinds),
                    self.lease_seconds,
                )
                slots = [
                    threading.Thread(target=self._slot_loop, args=(n,), daemon=True)
                    for n in range(self.concurrency)
                ]
                for thread in slots:
                    thread.start()
                while not self._stopping.is_set() and any(t.is_alive() for t in slots):
                    self._stopping.wait(0.5)
                self._shut_down(slots)
        finally:
            restore()
        log.info("worker %s stopped", self.worker_id)

    def stop(self, *, hurry: bool = False) -> None:
        self._stopping.set()
        if hurry:
            self._hurry.set()

    # --- slots --------------------------------------------------------------------------
    def _slot_loop(self, slot: int) -> None:
        while not self._stopping.is_set():
            try:
                ran = self._claim_and_run(slot)
            except Exception:  # a broken database or handler must not end the slot
                log.exception("worker slot %d: unexpected error", slot)
                ran = None
            if ran is None:
                self._stopping.wait(self.poll_interval)

    def _claim_and_run(self, slot: int) -> Job | None:
        owner = f"{self.worker_id}/{slot}"
        try:
            job = self.jobs.claim(
                owner, self.kinds, self.lease_seconds, on_settled=self._record_settled
            )
        except JwstDataError as exc:
            log.warning("claiming a job failed: %s", exc.message)
            return None
        if job is None:
            return None
        log.info("job %s (%s) claimed by %s, attempt %d", job.id, job.kind, owner, job.attempts)
        ctx = JobContext(job, self.services)
        with self._lock:
            self._running[slot] = _Running(job, owner, ctx)
        try:
            return self._run(job, owner, ctx)
        finally:
            with self._lock:
                self._running.pop(slot, None)

    def _run(self, job: Job, owner: str, ctx: JobContext) -> Job | None:
        kind = self.registry.get(job.kind)
        self._track_record(job, JobState.running)
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat_loop, args=(job, owner, ctx, done))
        beat.daemon = True
        beat.start()
        try:
            result = kind.handler(job, ctx)
            if result is not None and not isinstance(result, dict):
                raise TypeError(f"handler returned {type(result).__name__}, not a dict")
            outcome = _Outcome("completed", result=result or {})
        except JobCancelled:
            outcome = _Outcome("cancelled")
        except JobFailed as exc:
            outcome = _Outcome("failed", error=_message(exc), retry=exc.retry)
        except _PERMANENT_ERRORS as exc:
            outcome = _Outcome("failed", error=exc.message, retry=False)
        except Exception as exc:
            log.exception("job %s (%s) raised", job.id, job.kind)
            outcome = _Outcome("failed", error=_message(exc), retry=True)
        finally:
            done.set()
            beat.join()
        self._flush(job, owner, ctx)
        return self._finish(job, owner, ctx, outcome)

    def _finish(self, job: Job, owner: str, ctx: JobContext, outcome: _Outcome) -> Job | None:
        try:
            if outcome.how == "completed":
                try:
                    ended = self.jobs.complete(job.id, owner, outcome.result)
                except InvalidDocument as exc:
                    message = f"result cannot be stored: {exc}"
                    ended = self.jobs.fail(job.id, owner, message, retry=False)
            elif outcome.how == "cancelled" and ctx.stop_reason == "shutdown":
                ended = self.jobs.release(job.id, owner)
            elif outcome.how == "cancelled":
                ended = self.jobs.mark_cancelled(job.id, owner)
            else:
                ended = self.jobs.fail(job.id, owner, outcome.error, outcome.retry)
        except JwstDataError as exc:
            # The lease runs out and another worker retries: nothing is lost.
            log.warning("job %s: could not record its end (%s)", job.id, exc.message)
            return None
        if ended is None:
            log.warning("job %s: lease lost to another worker; this run's end is dropped", job.id)
            return None
        log.info("job %s (%s) %s", job.id, job.kind, ended.state.value)
        self._track_record(ended, ended.state)
        return ended

    # --- heartbeat ----------------------------------------------------------------------
    def _heartbeat_loop(self, job: Job, owner: str, ctx: JobContext, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_interval):
            if not self._flush(job, owner, ctx):
                ctx.request_stop()

    def _flush(self, job: Job, owner: str, ctx: JobContext) -> bool:
        """Renew the lease with what the handler reported; False when it should stop."""
        progress, lines = ctx.take_pending()
        try:
            return self.jobs.heartbeat(job.id, owner, self.lease_seconds, progress, lines)
        except JwstDataError as exc:
            ctx.restore_pending(progress, lines)
            log.warning("job %s: heartbeat failed (%s); retrying", job.id, exc.message)
        except InvalidDocument as exc:  # a value BSON cannot hold: drop it, keep the lease
            log.warning("job %s: progress not stored (%s)", job.id, exc)
        return True

    # --- records ------------------------------------------------------------------------
    def _record_settled(self, job: Job) -> None:
        log.info("job %s (%s) %s: %s", job.id, job.kind, job.state.value, job.error or "")
        self._track_record(job, job.state)

    def _track_record(self, job: Job, state: JobState) -> None:
        if job.record_id is None or job.kind not in self.registry:
            return
        if not self.registry.get(job.kind).tracks_record or job.params.get("asReader"):
            return  # a reader's run never writes into the record it reads
        status = _RECORD_STATUS[state]
        try:
            self.services.records.set_fields(job.record_id, {"processingStatus": status.value})
        except JwstDataError as exc:
            log.warning("record %s: status not updated (%s)", job.record_id, exc.message)

    # --- shutdown -----------------------------------------------------------------------
    def _install_signal_handlers(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def on_signal(signum: int, _frame: object) -> None:
            if self._stopping.is_set():
                log.info("second signal: releasing running jobs now")
                self._hurry.set()
                return
            log.info(
                "%s: stopping; running jobs get %g s to finish (signal again to release now)",
                signal.Signals(signum).name,
                self.grace_seconds,
            )
            self._stopping.set()

        for sig in previous:
            signal.signal(sig, on_signal)

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore

    def _shut_down(self, slots: list[threading.Thread]) -> None:
        self._stopping.set()
        _join_until(slots, time.monotonic() + self.grace_seconds, self._hurry)
        with self._lock:
            running = list(self._running.values())
        if not running:
            return
        for item in running:
            log.info("job %s: asking the handler to stop for shutdown", item.job.id)
            item.ctx.request_stop("shutdown")
        _join_until(slots, time.monotonic() + _STOP_WAIT_SECONDS, None)
        with self._lock:
            stuck = list(self._running.values())
        for item in stuck:  # the handler ignores the stop: hand its job back ourselves
            with contextlib.suppress(JwstDataError):
                released = self.jobs.release(item.job.id, item.owner)
                if released is not None:
                    log.info("job %s released", item.job.id)
                    self._track_record(released, released.state)

    # --- plumbing -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _connected(self) -> Iterator[None]:
        """The queue, ready to claim from (the services' owner closes the database)."""
        self._jobs = self.services.job_queue(self.retry_delay)
        self._jobs.ensure_indexes()
        yield

    @property
    def jobs(self) -> JobRepository:
        assert self._jobs is not None, "the worker is not connected"
        return self._jobs


def _join_until(
    threads: list[threading.Thread], deadline: float, hurry: threading.Event | None
) -> None:
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        if hurry is not None and hurry.is_set():
            return
        for thread in threads:
            thread.join(timeout=0.1)


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__
