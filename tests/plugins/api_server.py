"""A real API server: ``jwstdata serve`` under uvicorn in its own process, per test module.

Each module gets a fresh database and home; the fixture yields an ``ApiServer`` with the
base URL, the settings the server runs with (so tests can seed data through the same
database) and helpers to create users and sign in.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from pydantic import SecretStr

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository, init_database, open_database
from jwstdata.db.embedded import free_port
from jwstdata.models.user import User, UserCreate
from jwstdata.services.auth import AuthService

PASSWORD = "correct horse battery"  # every test user's, unless a test says otherwise


@dataclass
class ApiServer:
    url: str
    settings: Settings
    handle: DatabaseHandle
    env: dict[str, str]
    log: Path

    @property
    def repo(self) -> RecordRepository:
        return RecordRepository.for_database(self.handle)

    def auth(self) -> AuthService:
        return AuthService(self.handle, self.settings)

    def create_user(self, username: str, *, admin: bool = False, password: str = PASSWORD) -> User:
        return self.auth().create_user(
            UserCreate(username=username, password=password), is_admin=admin
        )

    def token(self, username: str, password: str = PASSWORD) -> str:
        response = httpx.post(
            f"{self.url}/api/auth/token", data={"username": username, "password": password}
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def upload_all(self, token: str, files: dict[str, Path]) -> dict[str, dict]:
        """Upload each file as the token's user; the created records by the same names."""
        records = {}
        with self.client(token) as client:
            for name, path in files.items():
                response = client.post(
                    "/api/data/upload", files={"file": (path.name, path.read_bytes())}
                )
                assert response.status_code == 201, response.text
                records[name] = response.json()
        return records

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def decode_pixels(body: bytes) -> tuple[dict[str, Any], np.ndarray]:
    """A ``/pixels``, ``/tile`` or ``/aligned`` answer: its JSON header and float32 values."""
    (length,) = struct.unpack("<I", body[:4])
    header = json.loads(body[4 : 4 + length])
    data = np.frombuffer(body[4 + length :], dtype="<f4")
    return header, data.reshape(header["height"], header["width"])


def start_server(
    env: dict[str, str], log: Path, timeout: float = 60
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jwstdata", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"API server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"API server did not come up: {log.read_text()[-2000:]}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def api_server(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    home = tmp_path_factory.mktemp("api-home")
    database = f"jwst_test_api_{uuid.uuid4().hex[:8]}"
    secret = secrets.token_urlsafe(48)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(
        JWSTDATA_MONGODB_URI=mongo_uri,
        JWSTDATA_DATABASE=database,
        JWSTDATA_HOME=str(home),
        JWSTDATA_SECRET_KEY=secret,
        JWSTDATA_MAX_UPLOAD_BYTES=str(2 * 1024 * 1024),
        JWSTDATA_LOGIN_MAX_FAILURES="3",
        JWSTDATA_LOGIN_LOCKOUT_SECONDS="60",
        # Never the real archive from tests: a closed local port unless a test sets its own.
        JWSTDATA_MAST_URL="http://127.0.0.1:9",
        JWSTDATA_MAST_RETRIES="0",
    )
    settings = Settings(
        mongodb_uri=mongo_uri,
        database=database,
        home=home,
        secret_key=SecretStr(secret),
        max_upload_bytes=2 * 1024 * 1024,
        login_max_failures=3,
        login_lockout_seconds=60,
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
