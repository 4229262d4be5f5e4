"""Database fixtures: one real server per test session, one database per test.

By default the session starts SecantusDB through jwstdata's own embedded launcher (a
separate process on a free 127.0.0.1 port, data in a temporary directory) and stops it
at the end. ``JWSTDATA_TEST_SERVER=ferretdb`` starts FerretDB instead (the binary from
``JWSTDATA_FERRETDB_BIN``, built by ``scripts/ferretdb.sh``; SQLite backend in a temporary
directory, a free 127.0.0.1 port), also stopped at the end. ``JWSTDATA_TEST_MONGODB_URI``
points the suite at a server it neither starts nor stops.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository, init_database, open_database
from jwstdata.db.embedded import EmbeddedServer, free_port

FERRETDB_START_TIMEOUT = 30.0


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("JWSTDATA_TEST_MONGODB_URI")
    if external:
        yield external
        return
    server_kind = os.environ.get("JWSTDATA_TEST_SERVER", "secantusdb")
    if server_kind == "ferretdb":
        yield from _ferretdb(tmp_path_factory.mktemp("ferretdb"))
        return
    if server_kind != "secantusdb":
        raise pytest.UsageError(f"JWSTDATA_TEST_SERVER={server_kind!r}: use secantusdb or ferretdb")
    home = tmp_path_factory.mktemp("embedded-home")
    server = EmbeddedServer(Settings(home=home, mongodb_uri=None, mongodb_uri_file=None))
    state = server.start()
    try:
        yield state.uri
    finally:
        server.stop()


def _ferretdb(base: Path) -> Iterator[str]:
    """FerretDB on SQLite in ``base``, its own process, stopped (SIGTERM, then KILL) at the end."""
    binary = os.environ.get("JWSTDATA_FERRETDB_BIN", ".tools/bin/ferretdb")
    if not Path(binary).is_file():
        raise pytest.UsageError(f"FerretDB binary {binary} not found: run scripts/ferretdb.sh")
    (base / "data").mkdir()
    (base / "state").mkdir()
    port = free_port()
    uri = f"mongodb://127.0.0.1:{port}/"
    log = base / "ferretdb.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                binary,
                "--handler=sqlite",
                f"--sqlite-url=file:{base / 'data'}/",
                f"--listen-addr=127.0.0.1:{port}",
                f"--state-dir={base / 'state'}",
                "--debug-addr=-",  # no metrics/pprof HTTP listener
                "--telemetry=disable",
                "--log-level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        _wait_for_ping(uri, process, log)
        yield uri
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_ping(uri: str, process: subprocess.Popen, log: Path) -> None:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    deadline = time.monotonic() + FERRETDB_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"FerretDB exited at start: {log.read_text()[-2000:]}")
        client: MongoClient = MongoClient(uri, serverSelectionTimeoutMS=500)
        try:
            client.admin.command("ping")
            return
        except PyMongoError:
            time.sleep(0.2)
        finally:
            client.close()
    process.kill()
    raise RuntimeError(f"FerretDB did not answer within {FERRETDB_START_TIMEOUT}s")


@pytest.fixture
def db_name() -> str:
    return f"jwst_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(mongo_uri: str, db_name: str, tmp_path: Path) -> Settings:
    """Settings for one test: the session's server, a fresh database, a temp home."""
    return Settings(
        mongodb_uri=mongo_uri,
        database=db_name,
        home=tmp_path / "home",
        server_selection_timeout_ms=5000,
    )


@pytest.fixture
def db_handle(settings: Settings) -> Iterator[DatabaseHandle]:
    handle = open_database(settings)
    init_database(handle)
    try:
        yield handle
    finally:
        handle.client.drop_database(settings.database)
        handle.close()


@pytest.fixture
def repo(db_handle: DatabaseHandle) -> RecordRepository:
    return RecordRepository.for_database(db_handle)


@pytest.fixture
def cli_env(settings: Settings, mongo_uri: str) -> dict[str, str]:
    """Environment for running the real ``jwstdata`` CLI against this test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(
        JWSTDATA_MONGODB_URI=mongo_uri,
        JWSTDATA_DATABASE=settings.database,
        JWSTDATA_HOME=str(settings.home),
    )
    return env
