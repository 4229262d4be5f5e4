"""``jwstdata serve`` and ``make run`` as a user runs them: real processes, real signals."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jwstdata.db.embedded import free_port

ROOT = Path(__file__).resolve().parents[1]
START_LIMIT = 90.0  # seconds to come up on a busy machine (a bound, not a measurement)


def _wait_for_health(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited early with {process.returncode}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"nothing answered on port {port} within {START_LIMIT:g}s")


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def _worker_of(pid: int) -> int:
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        for child in _children(pid):
            if b"worker" in Path(f"/proc/{child}/cmdline").read_bytes():
                return child
        time.sleep(0.2)
    raise AssertionError("no worker process started")


@pytest.fixture
def stopped_at_end() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_sigterm_stops_the_server_and_its_worker(
    cli_env: dict[str, str], stopped_at_end: list[subprocess.Popen]
) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jwstdata", "serve", "--port", str(port), "--with-worker"],
        env={**cli_env, "JWSTDATA_DEV_MODE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stopped_at_end.append(server)
    _wait_for_health(port, server)
    worker = _worker_of(server.pid)
    server.send_signal(signal.SIGTERM)
    out, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert not _alive(worker), "the worker outlived the server"
    assert f"dashboard on http://127.0.0.1:{port}/" in out
    assert "Traceback" not in err


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_on_a_chosen_port_then_sigterm(
    tmp_path: Path, stopped_at_end: list[subprocess.Popen]
) -> None:
    up_to_date = subprocess.run(["make", "-q", ".venv/.installed-run"], cwd=ROOT)
    if up_to_date.returncode != 0:
        pytest.skip("the run install is not up to date: `make setup-run` first")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JWSTDATA_", "MAKE")) and k != "MFLAGS"
    }
    env["JWSTDATA_HOME"] = str(tmp_path / "home")  # its own embedded database
    port = free_port()
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stopped_at_end.append(make)
    try:
        _wait_for_health(port, make)
        (serve,) = _children(make.pid)
        worker = _worker_of(serve)
        make.send_signal(signal.SIGTERM)  # make passes it on to the server
        out, _ = make.communicate(timeout=60)
        # make waits for its recipe to finish, then ends itself with the same signal.
        assert make.returncode in (0, -signal.SIGTERM), out
        assert not _alive(serve) and not _alive(worker)
    finally:
        stopped = subprocess.run(
            [ROOT / ".venv/bin/jwstdata", "db", "stop"], env=env, capture_output=True, text=True
        )
    assert stopped.stdout.strip() == "embedded database stopped"
    assert f"dashboard at http://127.0.0.1:{port}/" in out
    assert "make db-stop" in out and "jwstdata db stop" in out
    assert "Traceback" not in out and "Error" not in out


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_only_what_running_needs() -> None:
    """make's dry run as if pyproject.toml had changed: the commands `make run` would run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "MFLAGS"}
    plan = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "run", "PORT=8080"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "pip install --quiet -e '.[embedded]'" in plan
    assert "dev]" not in plan and "pytest" not in plan
    assert "serve --host 127.0.0.1 --port 8080 --with-worker" in plan
    tests = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "lint"], cwd=ROOT, env=env, capture_output=True,
        text=True, check=True,
    ).stdout  # fmt: skip
    assert "pip install --quiet -e '.[embedded,dev]'" in tests
