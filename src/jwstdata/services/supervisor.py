"""Keep one child process (the job worker of ``serve --with-worker``) running.

A worker that exits while it should run (killed, crashed) is started again after a back-off
that doubles on each quick failure (1 s up to 60 s) and starts over once a worker has run
for a while. The state goes to a small JSON file (written atomically) that readiness reads:
``{"pid", "state", "restarts", "lastExit", "supervisor", "updatedAt"}``, ``state`` being
``running``, ``restarting`` or ``stopped``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("jwstdata.supervisor")
FIRST_DELAY = 1.0
MAX_DELAY = 60.0
STABLE_AFTER = 60.0  # a worker that ran this long resets the back-off


class Supervisor:
    def __init__(self, command: Sequence[str], state_file: Path) -> None:
        self.command = list(command)
        self.state_file = state_file
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.last_exit: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # a stop never misses a worker being started
        self._thread = threading.Thread(target=self._run, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen(self.command)
        self._write("running")

    def _run(self) -> None:
        delay = FIRST_DELAY
        while not self._stop.is_set():
            process = self.process
            assert process is not None
            started = time.monotonic()
            code = process.wait()
            if self._stop.is_set():
                break
            self.last_exit = code
            if time.monotonic() - started >= STABLE_AFTER:
                delay = FIRST_DELAY
            log.warning(
                "worker (pid %d) exited with %s; restarting in %gs", process.pid, code, delay
            )
            self._write("restarting")
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, MAX_DELAY)
            with self._lock:
                if self._stop.is_set():
                    break
                self.restarts += 1
                try:
                    self._spawn()
                except OSError as exc:
                    log.warning("worker could not be started: %s", exc)
                    self.process = _Exited()  # type: ignore[assignment]

    def stop(self, timeout: float = 30.0) -> None:
        """Stop supervising, then the worker (SIGTERM: it hands running jobs back)."""
        with self._lock:
            self._stop.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=5)
        self._thread.join(timeout=5)
        self._write("stopped")

    def _write(self, state: str) -> None:
        process = self.process
        doc = {
            "pid": process.pid if process is not None and state == "running" else None,
            "state": state,
            "restarts": self.restarts,
            "lastExit": self.last_exit,
            "supervisor": os.getpid(),
            "updatedAt": datetime.now(UTC).isoformat(),
        }
        tmp = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(doc))
            os.replace(tmp, self.state_file)
        except OSError as exc:
            log.warning("cannot write %s: %s", self.state_file, exc)


class _Exited:
    """Stands for a worker that could not even start: the loop backs off and tries again."""

    pid = -1

    def wait(self) -> int:
        return -1

    def poll(self) -> int:
        return -1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"  # an unreaped worker is gone
    return True


def worker_status(state_file: Path) -> dict[str, Any]:
    """What readiness reports: ``ok`` only while the supervised worker is alive."""
    try:
        doc = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return {"status": "unavailable", "state": "unknown", "restarts": 0}
    pid = doc.get("pid")
    alive = doc.get("state") == "running" and isinstance(pid, int) and _alive(pid)
    return {
        "status": "ok" if alive else "unavailable",
        "state": doc.get("state") if alive or doc.get("state") != "running" else "exited",
        "pid": pid if alive else None,
        "restarts": doc.get("restarts", 0),
        "lastExit": doc.get("lastExit"),
    }
