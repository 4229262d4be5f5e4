"""Storage fixtures: moto's S3 server as a real process, one bucket per test, a local store.

The session starts ``moto_server`` (from this Python's environment) on a free 127.0.0.1
port, talks to it over real HTTP and stops it at the end. Dummy AWS credentials are set
for the session only and the user's own AWS configuration is hidden, so a test can never
reach a real account.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from jwstdata.storage import LocalStorage, S3Storage

MOTO_REGION = "us-east-1"
TEST_PART_SIZE = 5 * 1024 * 1024  # S3's minimum part size
TEST_PREFIX = "jwst-test"
_AWS_VARIABLES_TO_HIDE = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_executable() -> Path:
    path = Path(sys.executable).parent / "moto_server"
    if not path.exists():
        pytest.fail(f"moto_server not found beside {sys.executable}: pip install 'moto[server]'")
    return path


def wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited early with status {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=1.0)
            return
        time.sleep(0.05)
    raise RuntimeError(f"moto_server did not answer on {url} within {timeout:.0f}s")


@pytest.fixture(scope="session")
def aws_test_credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Dummy credentials for the session; the real environment is restored afterwards."""
    empty = tmp_path_factory.mktemp("aws-config")
    with pytest.MonkeyPatch.context() as patch:
        for name in _AWS_VARIABLES_TO_HIDE:
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
        patch.setenv("AWS_DEFAULT_REGION", MOTO_REGION)
        patch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="session")
def moto_endpoint(
    aws_test_credentials: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The endpoint URL of a moto S3 server running as a separate process."""
    log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with open(log_path, "wb") as log:
        for _attempt in range(3):  # the free port can be taken between probe and bind
            port = free_port()
            process = subprocess.Popen(
                [str(moto_executable()), "-H", "127.0.0.1", "-p", str(port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            endpoint = f"http://127.0.0.1:{port}"
            try:
                wait_until_answering(endpoint, process, timeout=30)
                break
            except RuntimeError:
                process.kill()
                process.wait()
        else:
            pytest.fail(f"could not start moto_server; see {log_path}")
        try:
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def boto_session(aws_test_credentials: None) -> boto3.session.Session:
    """One boto3 session for the run: clients made from it share the loaded service model."""
    return boto3.session.Session()


@pytest.fixture(scope="session")
def moto_client(moto_endpoint: str, boto_session: boto3.session.Session) -> Any:
    """A plain boto3 client on the moto server, for setting up and inspecting buckets."""
    return boto_session.client("s3", endpoint_url=moto_endpoint, region_name=MOTO_REGION)


@pytest.fixture
def s3_bucket(moto_client: Any) -> Iterator[str]:
    """A fresh, empty bucket for one test, removed (with its contents) afterwards."""
    name = f"jwst-test-{uuid.uuid4().hex[:12]}"
    moto_client.create_bucket(Bucket=name)
    try:
        yield name
    finally:
        uploads = moto_client.list_multipart_uploads(Bucket=name).get("Uploads", [])
        for upload in uploads:
            moto_client.abort_multipart_upload(
                Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        for page in moto_client.get_paginator("list_objects_v2").paginate(Bucket=name):
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if objects:
                moto_client.delete_objects(Bucket=name, Delete={"Objects": objects})
        moto_client.delete_bucket(Bucket=name)


@pytest.fixture
def s3_storage(
    moto_endpoint: str, s3_bucket: str, boto_session: boto3.session.Session
) -> S3Storage:
    """The S3 provider on this test's bucket, under a prefix, with 5 MiB parts."""
    return S3Storage(
        s3_bucket,
        prefix=TEST_PREFIX,
        endpoint_url=moto_endpoint,
        region=MOTO_REGION,
        path_style=True,
        part_size=TEST_PART_SIZE,
        concurrency=3,
        max_attempts=2,
        connect_timeout=2.0,
        read_timeout=30.0,
        session=boto_session,
    )


@pytest.fixture
def local_storage(tmp_path: Path) -> LocalStorage:
    """The local provider on a fresh folder (created by the first write)."""
    return LocalStorage(tmp_path / "files")
