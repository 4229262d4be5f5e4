"""MAST search/import and job routes over HTTP, with a real worker process doing the import."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.mast_server import MastTestServer
from tests.plugins.api_server import ApiServer, start_server, stop_server

NIRCAM = "jw02733-o001_t001_nircam_clear-f444w"


@pytest.fixture(scope="module")
def mast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MastTestServer]:
    server = MastTestServer(tmp_path_factory.mktemp("mast-files")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api(api_server: ApiServer, mast: MastTestServer) -> Iterator[ApiServer]:
    """The module's API server restarted with JWSTDATA_MAST_URL, plus one worker process."""
    env = {**api_server.env, "JWSTDATA_MAST_URL": mast.url, "JWSTDATA_MAST_BACKOFF": "0.01"}
    process, url = start_server(env, api_server.log.with_name("server-mast.log"))
    worker_log = open(api_server.log.with_name("worker.log"), "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [sys.executable, "-m", "jwstdata", "worker", "--poll-interval", "0.2"],
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield ApiServer(
            url=url,
            settings=api_server.settings,
            handle=api_server.handle,
            env=env,
            log=api_server.log,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        worker_log.close()
        stop_server(process)


@pytest.fixture(scope="module")
def users(api: ApiServer) -> dict[str, str]:
    for name in ("uma", "vic"):
        api.create_user(name)
    api.create_user("root", admin=True)
    return {name: api.token(name) for name in ("uma", "vic", "root")}


def _wait(client: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("completed", "failed", "cancelled"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def _wait_until_running(client: httpx.Client, job_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/api/jobs/{job_id}").json()["state"]
        if state == "running":
            return
        assert state == "queued", state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not start")


def test_search_and_products(api: ApiServer) -> None:
    with api.client() as client:
        found = client.post("/api/mast/search", json={"obsIds": [NIRCAM]}).json()
        assert found["count"] == 1 and found["items"][0]["obs_id"] == NIRCAM
        cone = client.post("/api/mast/search", json={"target": "NGC 3132", "radius": 0.2}).json()
        assert cone["count"] >= 1
        products = client.get(
            f"/api/mast/observations/{NIRCAM}/products", params={"level": "L3"}
        ).json()
        assert products["count"] > 0
        assert all(p["productFilename"].startswith("jw02733-o001") for p in products["items"])
        bad = client.post("/api/mast/search", json={"ra": 400, "dec": 0})
        assert bad.status_code == 422


def test_import_needs_sign_in_runs_on_the_worker_and_jobs_are_private(
    api: ApiServer, users: dict[str, str]
) -> None:
    with api.client() as anonymous:
        assert anonymous.post("/api/mast/import", json={"obsIds": [NIRCAM]}).status_code == 401
        assert anonymous.get("/api/jobs").status_code == 401
    with api.client(users["uma"]) as uma:
        started = uma.post("/api/mast/import", json={"obsIds": [NIRCAM], "levels": ["L3"]})
        assert started.status_code == 202, started.text
        job = _wait(uma, started.json()["id"])
        assert job["state"] == "completed", job
        assert job["progress"]["filesDone"] == job["progress"]["filesTotal"] > 0
        assert job["progress"]["bytesDone"] == job["progress"]["bytesTotal"]
        listed = uma.get("/api/jobs").json()["items"]
        assert any(j["id"] == job["id"] for j in listed)
        records = uma.get("/api/data", params={"processingLevel": "L3", "limit": 100}).json()[
            "items"
        ]
        assert any(r["metadata"].get("source") == "MAST" for r in records)
    with api.client(users["vic"]) as vic:
        assert vic.get(f"/api/jobs/{job['id']}").status_code == 404
        assert all(j["id"] != job["id"] for j in vic.get("/api/jobs").json()["items"])
        assert vic.post(f"/api/jobs/{job['id']}/cancel").status_code == 404
    with api.client(users["root"]) as root:
        assert root.get(f"/api/jobs/{job['id']}").status_code == 200


def test_cancel_and_resume(api: ApiServer, users: dict[str, str], mast: MastTestServer) -> None:
    # Each download answers after longer than the worker's heartbeat (2 s), so the cancel is
    # seen while files are still in flight whatever the server's speed.
    mast.faults.slow_seconds = 5.0
    mast.faults.slow_on = "download"
    try:
        with api.client(users["uma"]) as uma:
            job = uma.post("/api/mast/import", json={"obsIds": [NIRCAM]}).json()
            # Cancel the running import (the path under test), not the queued job: and on
            # FerretDB 1.x a cancel racing the worker's claim can lose, since its SQLite
            # handler does not make a conditional update atomic (FerretDB issue #3040).
            _wait_until_running(uma, job["id"])
            cancelled = uma.post(f"/api/jobs/{job['id']}/cancel")
            assert cancelled.status_code == 200
            assert _wait(uma, job["id"])["state"] == "cancelled"
            mast.faults.slow_seconds = 0.0
            resumed = uma.post(f"/api/jobs/{job['id']}/resume")
            assert resumed.status_code == 200 and resumed.json()["state"] == "queued"
            assert _wait(uma, job["id"])["state"] == "completed"
    finally:
        mast.faults.slow_seconds = 0.0
