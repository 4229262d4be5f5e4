"""MAST fixtures: a local MAST-compatible server per test, and a client tuned for tests.

``mast_server`` yields a running :class:`tests.mast_server.MastTestServer` (``.url``,
``.faults``, ``.requests``, ``.accepted_tokens``...), stopped afterwards. Generated product
files are cached for the whole run, so only the first test that lists or downloads them pays
for writing them. ``mast_client`` is a :class:`jwstdata.mast.MastClient` on that server with
short timeouts and back-off, so fault tests stay fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jwstdata.mast import MastClient, RetryPolicy
from tests.mast_server import MastTestServer

TEST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=0.2)


@pytest.fixture(scope="session")
def mast_files_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mast-files")


@pytest.fixture
def mast_server(mast_files_dir: Path) -> Iterator[MastTestServer]:
    server = MastTestServer(mast_files_dir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mast_client(mast_server: MastTestServer) -> Iterator[MastClient]:
    client = MastClient(
        mast_server.url,
        connect_timeout=2.0,
        read_timeout=5.0,
        retry=TEST_RETRY,
        poll_interval=0.01,
        poll_timeout=10.0,
    )
    try:
        yield client
    finally:
        client.close()
