"""The service heals itself: real processes killed with SIGKILL, real restarts.

- the embedded database comes back on the port it had, and a running API reconnects;
- while it is down, callers get a 503 that says nothing of where the database lives, and
  the dashboard a 503 page;
- ``serve --with-worker`` restarts a killed worker, and readiness reports the worker.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jwstdata.config import Settings
from jwstdata.db.embedded import EmbeddedServer, EmbeddedState, free_port

LIMIT = 120.0  # seconds for a restart on a busy machine (a bound, not a measurement)


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(JWSTDATA_HOME=str(home), JWSTDATA_SECRET_KEY=secrets.token_urlsafe(48))
    env.update(extra)
    return env


def _wait_until(check, what: str, limit: float = LIMIT):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} within {limit:g}s")


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=30)
    except httpx.HTTPError:
        return None


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    started: list[subprocess.Popen] = []

    def start(env: dict[str, str], *args: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "jwstdata", "serve", "--port", str(port), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"serve-{port}.log", "wb"),  # noqa: SIM115
            stdin=subprocess.DEVNULL,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert process.poll() is None, (tmp_path / f"serve-{port}.log").read_text()[-2000:]
            response = _get(f"{url}/api/health")
            return response is not None and response.status_code == 200

        _wait_until(up, "serve did not come up")
        return url

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_embedded_server_restarts_on_the_port_it_had(tmp_path: Path) -> None:
    server = EmbeddedServer(Settings(home=tmp_path / "home", mongodb_uri=None))
    try:
        first = server.start()
        assert (tmp_path / "home" / "db" / "port").read_text().strip() == str(first.port)
        server.stop()
        second = server.start()
        assert second.launched and second.pid != first.pid
        assert second.port == first.port
    finally:
        server.stop()


def _kill_embedded(embedded: EmbeddedServer) -> EmbeddedState:
    state = embedded.running()
    assert state is not None
    os.kill(state.pid, signal.SIGKILL)
    _wait_until(lambda: _pid_gone(state.pid), "the embedded database did not die")
    return state


def _restarted(embedded: EmbeddedServer, killed: EmbeddedState) -> EmbeddedState:
    """The server that replaced ``killed`` (its state is written once it answers)."""
    return _wait_until(
        lambda: (state := embedded.running()) is not None and state.pid != killed.pid and state,
        "no new embedded database was recorded",
    )


def test_api_recovers_when_the_embedded_database_is_killed(tmp_path: Path, serve) -> None:
    home = tmp_path / "home"
    url = serve(_env(home))
    embedded = EmbeddedServer(Settings(home=home, mongodb_uri=None))
    try:
        assert httpx.get(f"{url}/api/ready", timeout=30).status_code == 200
        killed = _kill_embedded(embedded)
        port = killed.port

        # The dashboard: a 503 page, not "invalid input".
        page = httpx.get(f"{url}/library", timeout=60)
        assert page.status_code == 503, page.text[:500]
        assert "text/html" in page.headers["content-type"]
        assert "unavailable" in page.text and f":{port}" not in page.text

        def ready() -> bool:
            response = _get(f"{url}/api/ready")
            return response is not None and response.status_code == 200

        _wait_until(ready, "the API did not recover after the database was killed")
        assert httpx.get(f"{url}/api/data", timeout=30).status_code == 200
        assert _restarted(embedded, killed).port == port

        # Killed again: the API's callers see a plain 503, then the API heals again.
        killed = _kill_embedded(embedded)
        down = httpx.get(f"{url}/api/data", timeout=60)
        assert down.status_code == 503
        error = down.json()["error"]
        assert error["code"] == "database_unavailable" and error["details"] is None
        assert "127.0.0.1" not in down.text and str(port) not in down.text
        assert down.headers["x-content-type-options"] == "nosniff"
        _wait_until(ready, "the API did not recover a second time")
        assert _restarted(embedded, killed).port == port
    finally:
        embedded.stop()


def _worker_pid(url: str) -> int | None:
    response = _get(f"{url}/api/ready")
    if response is None or response.status_code != 200:
        return None
    workers = response.json().get("workers") or [{}]
    return workers[0].get("pid")


def test_a_killed_worker_is_restarted_and_readiness_says_so(
    tmp_path: Path, serve, cli_env: dict[str, str]
) -> None:
    env = {**cli_env, "JWSTDATA_SECRET_KEY": secrets.token_urlsafe(48)}
    url = serve(env, "--with-worker")
    first = _wait_until(lambda: _worker_pid(url), "readiness never reported a worker")
    state_file = Path(cli_env["JWSTDATA_HOME"]).resolve() / "run" / "worker.json"
    assert json.loads(state_file.read_text())["pid"] == first

    # Each quick death doubles the pause before the restart; readiness is 503 meanwhile.
    seen_down = None
    pid = first
    for _ in range(4):
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and seen_down is None:
            response = _get(f"{url}/api/ready")
            if response is not None and response.status_code == 503:
                seen_down = response.json()
            time.sleep(0.02)
        pid = _wait_until(
            lambda killed=pid: (p := _worker_pid(url)) != killed and p,
            "the worker was not restarted",
        )
        if seen_down is not None:
            break
    assert seen_down is not None, "readiness never reported the dead worker"
    assert seen_down["checks"]["worker"] == "unavailable"
    assert seen_down["error"]["code"] == "unavailable"
    ready = httpx.get(f"{url}/api/ready", timeout=30).json()
    assert ready["status"] == "ready" and ready["workers"][0]["restarts"] >= 1
    assert ready["workers"][0]["pid"] != first and not _pid_gone(ready["workers"][0]["pid"])
