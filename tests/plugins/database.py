"""Database fixtures: one real server per test session, one database per test.

By default the session starts SecantusDB through jwstdata's own embedded launcher (a
separate process on a free 127.0.0.1 port, data in a temporary directory) and stops it
at the end. ``JWSTDATA_TEST_MONGODB_URI`` points the suite at another server instead
(e.g. FerretDB), which the suite then neither starts nor stops.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository, init_database, open_database
from jwstdata.db.embedded import EmbeddedServer


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("JWSTDATA_TEST_MONGODB_URI")
    if external:
        yield external
        return
    home = tmp_path_factory.mktemp("embedded-home")
    server = EmbeddedServer(Settings(home=home, mongodb_uri=None, mongodb_uri_file=None))
    state = server.start()
    try:
        yield state.uri
    finally:
        server.stop()


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
