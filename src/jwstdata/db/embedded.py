"""The embedded database: SecantusDB run as a separate process under ``$JWSTDATA_HOME/db``.

SecantusDB is GPL-2.0 software; it is only ever launched as its own process
(``secantusd-py``) and spoken to over the MongoDB wire protocol, never imported.

State lives in ``db/server.json`` (pid, port, uri). ``start()`` reuses a live server,
otherwise launches one on a 127.0.0.1 port and waits until it answers ``ping``. The port
chosen the first time is kept in ``db/port`` and reused on every later start while it is
free, so clients that were connected before a restart (a running API) find the server again.
Every failure is one clear :class:`EmbeddedServerError`, never a hang.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from jwstdata.config import Settings
from jwstdata.errors import EmbeddedServerError

EXECUTABLE = "secantusd-py"
_PING_TIMEOUT_MS = 1000


@dataclass(frozen=True)
class EmbeddedState:
    pid: int
    port: int
    # True only for the call that launched the process: its caller initialises the database.
    launched: bool = field(default=False, compare=False)

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"


def find_executable() -> str:
    """``secantusd-py`` next to this Python (the project venv) first, then on PATH."""
    beside = Path(sys.executable).parent / EXECUTABLE
    if beside.exists():
        return str(beside)
    found = shutil.which(EXECUTABLE)
    if found:
        return found
    raise EmbeddedServerError(
        f"{EXECUTABLE} not found: install the embedded server with "
        "`pip install 'jwstdata[embedded]'` (or set JWSTDATA_MONGODB_URI)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still "exists": reap it if so.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def answers(uri: str, timeout_ms: int = _PING_TIMEOUT_MS) -> bool:
    client: MongoClient = MongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


class EmbeddedServer:
    """Start, find and stop the embedded SecantusDB of one ``JWSTDATA_HOME``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dir = settings.db_dir
        self.data_dir = self.dir / "data"
        self.state_file = self.dir / "server.json"
        self.log_file = self.dir / "server.log"
        self.port_file = self.dir / "port"

    # --- state ------------------------------------------------------------------------
    def state(self) -> EmbeddedState | None:
        """The recorded server if its process is alive, else None."""
        try:
            raw = json.loads(self.state_file.read_text())
            state = EmbeddedState(pid=int(raw["pid"]), port=int(raw["port"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return state if _pid_alive(state.pid) else None

    def running(self) -> EmbeddedState | None:
        """The recorded server if it is alive and answers."""
        state = self.state()
        return state if state and answers(state.uri) else None

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise start/stop between processes sharing this home."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "server.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- lifecycle --------------------------------------------------------------------
    def start(self) -> EmbeddedState:
        with self._lock():
            existing = self.state()
            if existing is not None:
                if self._wait_until_up(
                    existing, process=None, timeout=self.settings.embedded_start_timeout
                ):
                    return existing
                raise EmbeddedServerError(
                    f"embedded database (pid {existing.pid}) is running but does not answer on "
                    f"127.0.0.1:{existing.port}; stop it with `jwstdata db stop` "
                    f"(log: {self.log_file})"
                )
            return self._launch()

    def _launch(self) -> EmbeddedState:
        executable = find_executable()
        port = self.settings.embedded_port
        if port is not None and port_in_use(port):
            raise EmbeddedServerError(
                f"cannot start the embedded database: port {port} on 127.0.0.1 is already in use "
                "(unset JWSTDATA_EMBEDDED_PORT to pick a free port)"
            )
        port = port or self._stable_port()
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with open(self.log_file, "ab") as log:
                process = subprocess.Popen(
                    [
                        executable,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--storage-path",
                        str(self.data_dir),
                        "--log-level",
                        "WARNING",
                        # No replica-set advertisement, so no oplog: jwstdata uses neither
                        # change streams nor transactions, and with an oplog SecantusDB
                        # 0.7.0b3 prunes it on the write path (a 100,000-record seeding
                        # stalled there; README "Benchmarks").
                        "--standalone",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # outlives the CLI that started it
                    cwd=self.dir,
                )
        except OSError as exc:
            raise EmbeddedServerError(
                f"cannot start the embedded database in {self.dir}: {exc.strerror or exc}"
            ) from None
        state = EmbeddedState(pid=process.pid, port=port, launched=True)
        if not self._wait_until_up(state, process, self.settings.embedded_start_timeout):
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(timeout=5)
            raise EmbeddedServerError(
                f"embedded database did not come up on 127.0.0.1:{port} within "
                f"{self.settings.embedded_start_timeout:g}s: {self._last_log_line()}"
            )
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": state.pid, "port": state.port}))
        os.replace(tmp, self.state_file)
        return state

    def _stable_port(self) -> int:
        """The port this home used before when it is free again, else a new one (kept)."""
        with contextlib.suppress(OSError, ValueError):
            kept = int(self.port_file.read_text().strip())
            if 1024 <= kept <= 65535 and not port_in_use(kept):
                return kept
        port = free_port()
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.port_file.with_suffix(".tmp")
        tmp.write_text(f"{port}\n")
        os.replace(tmp, self.port_file)
        return port

    def _wait_until_up(
        self, state: EmbeddedState, process: subprocess.Popen | None, timeout: float
    ) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise EmbeddedServerError(
                    f"embedded database exited with code {process.returncode}: "
                    f"{self._last_log_line()}"
                )
            if process is None and not _pid_alive(state.pid):
                return False
            if answers(state.uri, timeout_ms=500):
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the server; True if one was running."""
        with self._lock():
            state = self.state()
            if state is None:
                self.state_file.unlink(missing_ok=True)
                return False
            with contextlib.suppress(ProcessLookupError):
                os.killpg(state.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _pid_alive(state.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _pid_alive(state.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(state.pid, signal.SIGKILL)
            self.state_file.unlink(missing_ok=True)
            return True

    def _last_log_line(self) -> str:
        try:
            lines = [
                ln for ln in self.log_file.read_text(errors="replace").splitlines() if ln.strip()
            ]
        except OSError:
            return "no log output"
        return lines[-1][-300:] if lines else "no log output"
