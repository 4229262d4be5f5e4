"""A real API server with extra settings, for the hardening tests (one per test module)."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import SecretStr

from jwstdata.config import Settings
from jwstdata.db import init_database, open_database
from tests.plugins.api_server import ApiServer, start_server, stop_server


@contextmanager
def custom_server(mongo_uri: str, home: Path, **extra: str) -> Iterator[ApiServer]:
    """``jwstdata serve`` on a fresh database with ``JWSTDATA_<NAME>=value`` for each extra."""
    database = f"jwst_test_hard_{uuid.uuid4().hex[:8]}"
    secret = secrets.token_urlsafe(48)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(
        JWSTDATA_MONGODB_URI=mongo_uri,
        JWSTDATA_DATABASE=database,
        JWSTDATA_HOME=str(home),
        JWSTDATA_SECRET_KEY=secret,
        JWSTDATA_MAST_URL="http://127.0.0.1:9",
        JWSTDATA_MAST_RETRIES="0",
        JWSTDATA_AUTO_PREVIEW="false",
    )
    env.update({f"JWSTDATA_{k.upper()}": v for k, v in extra.items()})
    settings = Settings(
        mongodb_uri=mongo_uri, database=database, home=home, secret_key=SecretStr(secret)
    )
    handle = open_database(settings)
    init_database(handle)
    log = home / "server.log"
    process, url = start_server(env, log)
    try:
        yield ApiServer(url=url, settings=settings, handle=handle, env=env, log=log)
    finally:
        stop_server(process)
        handle.client.drop_database(database)
        handle.close()
