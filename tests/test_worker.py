"""The worker: handlers, record status, and real worker processes killed, stopped, cancelled."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository
from jwstdata.db.jobs import JobRepository
from jwstdata.errors import ConfigurationError, ValidationError
from jwstdata.models.access import AccessContext
from jwstdata.models.job import Job, JobState
from jwstdata.root import Root
from jwstdata.services.jobs import (
    JobCancelled,
    JobContext,
    JobFailed,
    JobRegistry,
    Worker,
    load_handlers,
)
from tests.factories import make_record

ADMIN = AccessContext.admin()


@pytest.fixture
def jobs(db_handle: DatabaseHandle) -> JobRepository:
    return JobRepository.for_database(db_handle)


def submit(jobs: JobRepository, kind: str, params: dict | None = None, **options: Any) -> Job:
    options.setdefault("user_id", None)
    options.setdefault("record_id", None)
    return jobs.enqueue(kind, params or {}, **options)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# --- in-process: one job at a time with run_once -----------------------------------------
@pytest.fixture
def registry() -> JobRegistry:
    return JobRegistry()


def worker_for(
    settings: Settings, db_handle: DatabaseHandle, registry: JobRegistry, **options: Any
) -> Worker:
    options.setdefault("retry_delay", 0.0)
    return Root(settings, handle=db_handle).worker(registry=registry, **options)


def test_builtin_kinds_are_registered() -> None:
    assert {"sleep", "fail"} <= set(load_handlers().kinds())
    with pytest.raises(ValidationError):
        load_handlers().get("no-such-kind")


def test_unknown_kinds_are_refused_at_start(settings: Settings, registry: JobRegistry) -> None:
    with pytest.raises(ConfigurationError):
        Root(settings).worker(kinds=["nope"], registry=registry)  # opens nothing


def test_run_once_completes_and_flushes_progress(
    settings: Settings, db_handle: DatabaseHandle, jobs: JobRepository, registry: JobRegistry
) -> None:
    @registry.handler("count")
    def count(job: Job, ctx: JobContext) -> dict[str, Any]:
        for n in range(job.params["n"]):
            ctx.progress(done=n + 1, total=job.params["n"])
            ctx.log(f"counted {n + 1}")
        return {"counted": job.params["n"]}

    job = submit(jobs, "count", {"n": 3})
    worker = worker_for(settings, db_handle, registry)
    ended = worker.run_once()
    assert ended.id == job.id and ended.state is JobState.completed
    assert ended.result == {"counted": 3} and ended.progress == {"done": 3, "total": 3}
    assert any(line.endswith("counted 3") for line in ended.log_tail)
    assert worker.run_once() is None


def test_handler_errors_fail_the_attempt_not_the_worker(
    settings: Settings, db_handle: DatabaseHandle, jobs: JobRepository, registry: JobRegistry
) -> None:
    @registry.handler("broken")
    def broken(job: Job, ctx: JobContext) -> dict[str, Any]:
        raise RuntimeError(f"broken on attempt {job.attempts}")

    @registry.handler("invalid")
    def invalid(job: Job, ctx: JobContext) -> dict[str, Any]:
        raise JobFailed("bad input", retry=False)

    @registry.handler("stopper")
    def stopper(job: Job, ctx: JobContext) -> dict[str, Any]:
        raise JobCancelled()

    @registry.handler("wrong-result")
    def wrong_result(job: Job, ctx: JobContext) -> Any:
        return [1, 2]

    worker = worker_for(settings, db_handle, registry)
    job = submit(jobs, "broken", max_attempts=2)
    first = worker.run_once()
    assert (first.state, first.error) == (JobState.queued, "broken on attempt 1")
    last = worker.run_once()
    assert (last.state, last.error, last.attempts) == (JobState.failed, "broken on attempt 2", 2)
    assert last.id == job.id
    submit(jobs, "invalid")
    assert worker.run_once().state is JobState.failed
    submit(jobs, "stopper")
    assert worker.run_once().state is JobState.cancelled
    submit(jobs, "wrong-result", max_attempts=1)
    assert "not a dict" in worker.run_once().error


def test_record_status_follows_jobs_of_tracking_kinds(
    settings: Settings,
    db_handle: DatabaseHandle,
    jobs: JobRepository,
    repo: RecordRepository,
    registry: JobRegistry,
) -> None:
    seen: list[str] = []

    def process(job: Job, ctx: JobContext) -> dict[str, Any]:
        record = ctx.services.records.get(job.record_id, ADMIN)
        seen.append(record.processing_status.value)
        if job.params.get("fail"):
            raise JobFailed("calibration failed", retry=False)
        return {}

    registry.register("process", process, tracks_record=True)
    registry.register("untracked", process)
    worker = worker_for(settings, db_handle, registry)

    good, bad, other = (repo.create(make_record()) for _ in range(3))
    submit(jobs, "process", record_id=good.id)
    submit(jobs, "process", {"fail": True}, record_id=bad.id)
    submit(jobs, "untracked", record_id=other.id)
    for _ in range(3):
        worker.run_once()
    assert seen == ["processing", "processing", "pending"]
    status = {r: repo.get(r, ADMIN).processing_status.value for r in (good.id, bad.id, other.id)}
    assert status == {good.id: "completed", bad.id: "failed", other.id: "pending"}


# --- real worker processes ---------------------------------------------------------------
class Workers:
    """Starts ``python -m jwstdata worker`` processes; whatever is left is killed at the end."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, *options: str, lease: float = 2.0) -> subprocess.Popen:
        log = (self.logs / f"worker-{len(self.started)}.log").open("w")
        args = ["--lease-seconds", str(lease), "--poll-interval", "0.2", *options]
        process = subprocess.Popen(
            [sys.executable, "-m", "jwstdata", "worker", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def log_of(self, process: subprocess.Popen) -> str:
        return (self.logs / f"worker-{self.started.index(process)}.log").read_text()

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def workers(cli_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(cli_env, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def state_of(jobs: JobRepository, job: Job) -> Job:
    return jobs.get(job.id, ADMIN)


def test_killed_worker_job_is_finished_by_another_after_the_lease(
    jobs: JobRepository, workers: Workers
) -> None:
    job = submit(jobs, "sleep", {"seconds": 3, "steps": 6})
    first = workers.start()
    wait_for(lambda: state_of(jobs, job).progress.get("done", 0) >= 2, 60, "progress")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert state_of(jobs, job).state is JobState.running  # nobody knows yet
    second = workers.start()
    done = wait_for(
        lambda: (j := state_of(jobs, job)).finished and j, 60, "the job to finish again"
    )
    assert done.state is JobState.completed, done.error
    assert (done.attempts, done.lease_losses) == (2, 1)
    assert done.result["resumedFrom"] >= 2  # the progress outlived the first worker
    assert sum(line.endswith(" completed") for line in done.log_tail) == 1
    assert done.lease_owner is None
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=15) == 0


def test_failing_job_is_retried_up_to_its_limit(
    jobs: JobRepository, workers: Workers, cli_env: dict[str, str]
) -> None:
    submitted = cli(cli_env, "jobs", "submit", "fail", "--param", "message=disk on fire", "--json")
    assert submitted.returncode == 0, submitted.stderr
    job = Job.model_validate(json.loads(submitted.stdout))
    worker = workers.start("--retry-delay", "0.1")
    done = wait_for(lambda: (j := state_of(jobs, job)).finished and j, 60, "the job to fail")
    assert (done.state, done.attempts, done.error) == (JobState.failed, 3, "disk on fire")
    assert sum("retrying" in line for line in done.log_tail) == 2
    assert worker.poll() is None  # the worker lives on
    shown = cli(cli_env, "jobs", "show", str(job.id), "--json")
    assert json.loads(shown.stdout)["state"] == "failed"


def test_cancel_a_running_job_from_the_cli(
    jobs: JobRepository, workers: Workers, cli_env: dict[str, str]
) -> None:
    job = submit(jobs, "sleep", {"seconds": 300, "steps": 600})
    workers.start(lease=1.5)
    wait_for(lambda: state_of(jobs, job).progress.get("done"), 60, "the job to run")
    cancelled = cli(cli_env, "jobs", "cancel", str(job.id))
    assert cancelled.returncode == 0, cancelled.stderr
    assert "cancel requested" in cancelled.stdout
    done = wait_for(lambda: (j := state_of(jobs, job)).finished and j, 60, "the cancel")
    assert done.state is JobState.cancelled and done.progress["done"] < 600
    listed = json.loads(cli(cli_env, "jobs", "list", "--state", "cancelled", "--json").stdout)
    assert [item["id"] for item in listed["items"]] == [str(job.id)]


def test_sigterm_lets_a_short_job_finish(jobs: JobRepository, workers: Workers) -> None:
    job = submit(jobs, "sleep", {"seconds": 1.5, "steps": 3})
    worker = workers.start("--grace", "20")
    wait_for(lambda: state_of(jobs, job).state is JobState.running, 60, "the job to start")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    assert state_of(jobs, job).state is JobState.completed


def test_sigterm_hands_long_jobs_back_to_the_queue(jobs: JobRepository, workers: Workers) -> None:
    long_jobs = [submit(jobs, "sleep", {"seconds": 60, "steps": 60}) for _ in range(2)]
    worker = workers.start("--concurrency", "2", "--grace", "0.5")
    wait_for(
        lambda: all(state_of(jobs, j).state is JobState.running for j in long_jobs),
        60,
        "both jobs to start",
    )
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    assert time.monotonic() - started < 15
    for job in long_jobs:
        back = state_of(jobs, job)
        assert (back.state, back.attempts, back.lease_owner) == (JobState.queued, 0, None)
        assert "released by" in back.log_tail[-1]
    assert "stopped" in workers.log_of(worker)
