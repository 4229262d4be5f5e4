"""The job queue: atomic claims, priorities, leases, retries, cancellation, visibility."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from bson import ObjectId

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, list_indexes, open_database
from jwstdata.db.job_indexes import JOB_COLLECTION_INDEXES, JOBS
from jwstdata.db.jobs import JobRepository
from jwstdata.errors import ConflictError, NotFoundError, ValidationError
from jwstdata.models.access import AccessContext
from jwstdata.models.base import utcnow
from jwstdata.models.job import LOG_TAIL_LINES, Job, JobState

ADMIN = AccessContext.admin()
SHORT_LEASE = 0.2


class QueueClock:
    """The queue's clock, moved by the tests instead of sleeping through leases. Each
    reading ticks a millisecond, so successive events stay ordered as in real time."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> QueueClock:
    return QueueClock()


@pytest.fixture
def jobs(db_handle: DatabaseHandle, clock: QueueClock) -> JobRepository:
    return JobRepository.for_database(db_handle, retry_delay=0.0, clock=clock)


def submit(jobs: JobRepository, kind: str = "sleep", **options) -> Job:
    options.setdefault("user_id", None)
    options.setdefault("record_id", None)
    params = options.pop("params", {})
    return jobs.enqueue(kind, params, **options)


def expire_lease(jobs: JobRepository) -> None:
    jobs.clock.advance(SHORT_LEASE + 0.1)  # type: ignore[attr-defined]


# --- submit and indexes ------------------------------------------------------------------
def test_enqueue_stores_a_queued_job(jobs: JobRepository) -> None:
    owner, record = ObjectId(), ObjectId()
    job = jobs.enqueue("sleep", {"seconds": 2}, user_id=owner, record_id=record, priority=3)
    stored = jobs.get(job.id, ADMIN)
    assert stored.state is JobState.queued
    assert (stored.kind, stored.params, stored.priority) == ("sleep", {"seconds": 2}, 3)
    assert (stored.user_id, stored.record_id) == (owner, record)
    assert (stored.attempts, stored.max_attempts, stored.lease_owner) == (0, 3, None)
    assert stored.log_tail[0].endswith(" queued")
    doc = jobs.collection.find_one({"_id": job.id})
    assert doc["state"] == "queued" and "userId" in doc and "notBefore" in doc


def test_enqueue_rejects_a_bad_job(jobs: JobRepository) -> None:
    with pytest.raises(ValidationError):
        jobs.enqueue("", {}, user_id=None, record_id=None)
    with pytest.raises(ValidationError):
        jobs.enqueue("sleep", {}, user_id=None, record_id=None, max_attempts=0)


def test_job_indexes_are_declared_and_created(db_handle: DatabaseHandle) -> None:
    rows = [row for row in list_indexes(db_handle) if row["collection"] == JOBS]
    assert {row["name"] for row in rows} == {spec.name for spec in JOB_COLLECTION_INDEXES}
    assert all(row["present"] for row in rows)


# --- claiming ----------------------------------------------------------------------------
def test_concurrent_claimers_take_each_job_exactly_once(
    jobs: JobRepository, settings: Settings
) -> None:
    ids = {submit(jobs).id for _ in range(20)}
    claimed: list[tuple[str, ObjectId]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def claimer(name: str) -> None:
        with open_database(settings) as handle:  # a client of its own, like another machine
            own = JobRepository.for_database(handle)
            start.wait()
            while (job := own.claim(name, None, 60)) is not None:
                with lock:
                    claimed.append((name, job.id))

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    taken = [job_id for _, job_id in claimed]
    assert sorted(taken) == sorted(ids)  # every job once, none twice
    for name, job_id in claimed:
        job = jobs.get(job_id, ADMIN)
        assert (job.state, job.lease_owner, job.attempts) == (JobState.running, name, 1)


def test_claim_order_is_priority_then_age(jobs: JobRepository) -> None:
    low_old = submit(jobs, priority=0)
    high = submit(jobs, priority=5)
    low_new = submit(jobs, priority=0)
    urgent = submit(jobs, priority=9)
    order = [jobs.claim("w", None, 60).id for _ in range(4)]
    assert order == [urgent.id, high.id, low_old.id, low_new.id]
    assert jobs.claim("w", None, 60) is None


def test_claim_only_takes_the_workers_kinds(jobs: JobRepository) -> None:
    other = submit(jobs, kind="mast-import")
    mine = submit(jobs, kind="sleep")
    assert jobs.claim("w", ["sleep"], 60).id == mine.id
    assert jobs.claim("w", ["sleep", "fail"], 60) is None
    assert jobs.claim("w", None, 60).id == other.id


def test_claim_sets_the_lease(jobs: JobRepository) -> None:
    submit(jobs)
    job = jobs.claim("host:1:abc/0", None, 30)
    assert job.state is JobState.running and job.lease_owner == "host:1:abc/0"
    assert 29 <= (job.lease_expires_at - job.heartbeat_at).total_seconds() <= 30
    stored = jobs.get(job.id, ADMIN)
    assert stored.lease_expires_at == job.lease_expires_at and stored.started_at is not None


# --- leases and heartbeats ---------------------------------------------------------------
def test_expired_lease_is_reclaimed_as_a_new_attempt(jobs: JobRepository) -> None:
    job = submit(jobs)
    first = jobs.claim("w1", None, SHORT_LEASE)
    assert jobs.claim("w2", None, SHORT_LEASE) is None  # the lease still holds
    expire_lease(jobs)
    second = jobs.claim("w2", None, 60)
    assert second.id == job.id and second.attempts == 2
    stored = jobs.get(job.id, ADMIN)
    assert (stored.lease_owner, stored.lease_losses, stored.attempts) == ("w2", 1, 2)
    # The first worker has lost the job: it can neither renew nor finish it.
    assert jobs.heartbeat(first.id, "w1", 60) is False
    assert jobs.complete(first.id, "w1", {"by": "w1"}) is None
    assert jobs.fail(first.id, "w1", "late", retry=True) is None
    done = jobs.complete(job.id, "w2", {"by": "w2"})
    assert (done.state, done.result, done.lease_owner) == (JobState.completed, {"by": "w2"}, None)
    assert sum("completed" in line for line in done.log_tail) == 1


def test_heartbeat_keeps_the_lease(jobs: JobRepository) -> None:
    submit(jobs)
    job = jobs.claim("w1", None, 0.5)
    for _ in range(3):
        jobs.clock.advance(0.25)  # type: ignore[attr-defined]
        assert jobs.heartbeat(job.id, "w1", 0.5) is True
    assert jobs.claim("w2", None, 60) is None


def test_lost_workers_use_up_attempts_then_the_job_fails(jobs: JobRepository) -> None:
    job = submit(jobs, max_attempts=2)
    settled: list[Job] = []
    for worker in ("w1", "w2"):
        assert jobs.claim(worker, None, SHORT_LEASE, on_settled=settled.append).id == job.id
        expire_lease(jobs)
    assert jobs.claim("w3", None, 60, on_settled=settled.append) is None
    failed = jobs.get(job.id, ADMIN)
    assert failed.state is JobState.failed
    assert failed.error == "worker lost (lease expired) 2 times"
    assert (failed.attempts, failed.lease_losses, failed.lease_owner) == (2, 2, None)
    assert [s.id for s in settled] == [job.id] and settled[0].state is JobState.failed


def test_heartbeat_merges_progress_and_bounds_the_log(jobs: JobRepository) -> None:
    submit(jobs)
    job = jobs.claim("w", None, 60)
    jobs.heartbeat(job.id, "w", 60, progress={"done": 1, "total": 4}, log=["a"])
    lines = [f"line {n}" for n in range(LOG_TAIL_LINES + 10)]
    jobs.heartbeat(job.id, "w", 60, progress={"done": 2, "bytesDone": 10}, log=lines)
    stored = jobs.get(job.id, ADMIN)
    assert stored.progress == {"done": 2, "total": 4, "bytesDone": 10}
    assert len(stored.log_tail) == LOG_TAIL_LINES and stored.log_tail[-1] == lines[-1]
    with pytest.raises(ValidationError):
        jobs.heartbeat(job.id, "w", 60, progress={"a.b": 1})


# --- failures and retries ----------------------------------------------------------------
def test_failures_retry_until_the_limit(jobs: JobRepository) -> None:
    job = submit(jobs, kind="fail", max_attempts=3)
    for attempt in (1, 2):
        claimed = jobs.claim("w", None, 60)
        assert claimed.attempts == attempt
        requeued = jobs.fail(job.id, "w", "boom", retry=True)
        assert (requeued.state, requeued.error) == (JobState.queued, "boom")
    assert jobs.claim("w", None, 60).attempts == 3
    failed = jobs.fail(job.id, "w", "boom", retry=True)
    assert (failed.state, failed.attempts, failed.error) == (JobState.failed, 3, "boom")
    assert failed.finished_at is not None and jobs.claim("w", None, 60) is None


def test_retry_waits_for_its_back_off(db_handle: DatabaseHandle) -> None:
    jobs = JobRepository.for_database(db_handle, retry_delay=60.0)
    job = submit(jobs)
    jobs.claim("w", None, 60)
    requeued = jobs.fail(job.id, "w", "flaky", retry=True)
    assert 58 <= (requeued.not_before - utcnow()).total_seconds() <= 61
    assert jobs.claim("w", None, 60) is None


def test_a_permanent_failure_is_not_retried(jobs: JobRepository) -> None:
    job = submit(jobs)
    jobs.claim("w", None, 60)
    failed = jobs.fail(job.id, "w", "bad params", retry=False)
    assert (failed.state, failed.attempts) == (JobState.failed, 1)


def test_release_hands_the_job_back_without_using_an_attempt(jobs: JobRepository) -> None:
    job = submit(jobs)
    jobs.claim("w1", None, 60)
    released = jobs.release(job.id, "w1")
    assert (released.state, released.attempts, released.lease_owner) == (JobState.queued, 0, None)
    assert jobs.claim("w2", None, 60).attempts == 1


def test_release_of_a_job_with_a_pending_cancel_cancels_it(jobs: JobRepository) -> None:
    job = submit(jobs)
    jobs.claim("w1", None, 60)
    jobs.request_cancel(job.id, ADMIN)
    assert jobs.release(job.id, "w1").state is JobState.cancelled


# --- cancellation ------------------------------------------------------------------------
def test_cancel_a_queued_job_at_once(jobs: JobRepository) -> None:
    job = submit(jobs)
    cancelled = jobs.request_cancel(job.id, ADMIN)
    assert cancelled.state is JobState.cancelled and cancelled.finished_at is not None
    assert jobs.claim("w", None, 60) is None
    assert jobs.request_cancel(job.id, ADMIN).state is JobState.cancelled  # idempotent


def test_cancel_a_running_job_stops_it_at_the_next_heartbeat(jobs: JobRepository) -> None:
    job = submit(jobs)
    jobs.claim("w", None, 60)
    asked = jobs.request_cancel(job.id, ADMIN)
    assert (asked.state, asked.cancel_requested) == (JobState.running, True)
    assert jobs.request_cancel(job.id, ADMIN).cancel_requested  # asking twice is fine
    assert jobs.heartbeat(job.id, "w", 60) is False
    done = jobs.mark_cancelled(job.id, "w")
    assert (done.state, done.lease_owner) == (JobState.cancelled, None)


def test_a_pending_cancel_wins_over_a_retry(jobs: JobRepository) -> None:
    job = submit(jobs)
    jobs.claim("w", None, 60)
    jobs.request_cancel(job.id, ADMIN)
    assert jobs.fail(job.id, "w", "boom", retry=True).state is JobState.cancelled


def test_cancel_of_a_job_whose_worker_died_is_settled_by_the_next_claim(
    jobs: JobRepository,
) -> None:
    job = submit(jobs)
    jobs.claim("w1", None, SHORT_LEASE)
    jobs.request_cancel(job.id, ADMIN)
    expire_lease(jobs)
    settled: list[Job] = []
    assert jobs.claim("w2", None, 60, on_settled=settled.append) is None
    assert jobs.get(job.id, ADMIN).state is JobState.cancelled
    assert settled[0].state is JobState.cancelled


def test_a_finished_job_cannot_be_cancelled(jobs: JobRepository) -> None:
    job = submit(jobs)
    jobs.claim("w", None, 60)
    jobs.complete(job.id, "w", {})
    with pytest.raises(ConflictError):
        jobs.request_cancel(job.id, ADMIN)


# --- resume ------------------------------------------------------------------------------
def test_resume_requeues_and_keeps_progress_and_result(jobs: JobRepository) -> None:
    job = submit(jobs, max_attempts=1)
    jobs.claim("w", None, 60)
    jobs.heartbeat(job.id, "w", 60, progress={"done": 7, "total": 10})
    jobs.fail(job.id, "w", "network down", retry=True)  # out of attempts: failed
    resumed = jobs.resume(job.id, ADMIN)
    assert (resumed.state, resumed.attempts, resumed.error) == (JobState.queued, 0, None)
    assert resumed.progress == {"done": 7, "total": 10}
    again = jobs.claim("w", None, 60)
    assert again.id == job.id and again.progress["done"] == 7 and again.attempts == 1


def test_resume_a_cancelled_job_and_not_a_running_one(jobs: JobRepository) -> None:
    job = submit(jobs)
    jobs.request_cancel(job.id, ADMIN)
    assert jobs.resume(job.id, ADMIN).state is JobState.queued
    jobs.claim("w", None, 60)
    with pytest.raises(ConflictError):
        jobs.resume(job.id, ADMIN)


# --- visibility --------------------------------------------------------------------------
def test_users_see_only_their_jobs_and_admins_all(jobs: JobRepository) -> None:
    alice, bob = ObjectId(), ObjectId()
    hers = submit(jobs, user_id=alice)
    submit(jobs, user_id=bob)
    system = submit(jobs)
    as_alice, as_bob = AccessContext.user(alice), AccessContext.user(bob)
    assert jobs.get(hers.id, as_alice).id == hers.id
    for ctx in (as_bob, AccessContext.anonymous()):
        with pytest.raises(NotFoundError):
            jobs.get(hers.id, ctx)
    with pytest.raises(NotFoundError):
        jobs.get(system.id, as_alice)
    with pytest.raises(NotFoundError):
        jobs.request_cancel(hers.id, as_bob)
    with pytest.raises(NotFoundError):
        jobs.resume(hers.id, as_bob)
    assert [j.id for j in jobs.list(as_alice).items] == [hers.id]
    assert jobs.list(AccessContext.anonymous()).items == []
    assert len(jobs.list(ADMIN).items) == 3
    assert jobs.request_cancel(hers.id, as_alice).state is JobState.cancelled


def test_list_pages_newest_first_with_filters(jobs: JobRepository) -> None:
    made = [submit(jobs, kind="sleep" if n % 2 else "fail") for n in range(7)]
    seen: list[ObjectId] = []
    cursor = None
    while True:
        page = jobs.list(ADMIN, limit=3, cursor=cursor)
        seen += [j.id for j in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [j.id for j in reversed(made)]
    assert {j.kind for j in jobs.list(ADMIN, kind="fail").items} == {"fail"}
    jobs.request_cancel(made[0].id, ADMIN)
    assert [j.id for j in jobs.list(ADMIN, state=JobState.cancelled).items] == [made[0].id]
    with pytest.raises(ValidationError):
        jobs.list(ADMIN, cursor="not-a-cursor")
