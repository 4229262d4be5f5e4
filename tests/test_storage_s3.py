"""The S3 provider against moto server over real HTTP: multipart, ranges, URLs, failures."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from jwstdata.config import Settings
from jwstdata.errors import ConfigurationError, NotFoundError, StorageError
from jwstdata.storage import S3Storage, open_storage
from tests.plugins.moto_server import MOTO_REGION, TEST_PART_SIZE, TEST_PREFIX, free_port

MIB = 1024 * 1024
BIG = os.urandom(12 * MIB + 12345)  # three parts of 5 MiB (the last one short)


class CallLog:
    """Counts S3 operations and the most part uploads seen in flight at once."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        client.meta.events.register("before-call.s3", self._before)
        client.meta.events.register("after-call.s3", self._after)

    def _before(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1
            if model.name == "UploadPart":
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _after(self, model: Any, **_: Any) -> None:
        if model.name == "UploadPart":
            with self._lock:
                self.in_flight -= 1


@pytest.fixture
def calls(s3_storage: S3Storage) -> CallLog:
    return CallLog(s3_storage.client)


def pending_uploads(moto_client: Any, bucket: str) -> list[dict[str, Any]]:
    uploads: list[dict[str, Any]] = moto_client.list_multipart_uploads(Bucket=bucket).get(
        "Uploads", []
    )
    return uploads


def raw_keys(moto_client: Any, bucket: str) -> list[str]:
    listed = moto_client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return [item["Key"] for item in listed]


def test_large_files_go_up_in_concurrent_parts(
    s3_storage: S3Storage, calls: CallLog, tmp_path: Path, moto_client: Any, s3_bucket: str
) -> None:
    source = tmp_path / "big.fits"
    source.write_bytes(BIG)
    result = s3_storage.write_path("mast/obs/big.fits", source, content_type="application/fits")
    assert (result.size, result.sha256) == (len(BIG), hashlib.sha256(BIG).hexdigest())
    assert calls.calls["UploadPart"] == 3 and calls.calls["CompleteMultipartUpload"] == 1
    assert calls.calls["PutObject"] == 0
    assert 1 <= calls.max_in_flight <= s3_storage.concurrency

    info = s3_storage.stat("mast/obs/big.fits")
    assert (info.size, info.sha256) == (len(BIG), result.sha256)
    head = moto_client.head_object(Bucket=s3_bucket, Key=f"{TEST_PREFIX}/mast/obs/big.fits")
    assert head["Metadata"]["sha256"] == result.sha256
    assert head["ContentType"] == "application/fits"
    with s3_storage.open_read("mast/obs/big.fits") as stream:
        assert stream.read() == BIG
    assert pending_uploads(moto_client, s3_bucket) == []


def test_ranged_reads_across_part_boundaries(s3_storage: S3Storage) -> None:
    s3_storage.write_stream("cube", io.BytesIO(BIG))
    for start, end in [(0, 0), (TEST_PART_SIZE - 10, TEST_PART_SIZE + 9), (len(BIG) - 5, None)]:
        with s3_storage.open_read("cube", start=start, end=end) as stream:
            assert stream.read() == BIG[start : None if end is None else end + 1]
    with s3_storage.open_read("cube", start=TEST_PART_SIZE) as stream:
        chunks = iter(lambda: stream.read(MIB), b"")
        assert b"".join(chunks) == BIG[TEST_PART_SIZE:]


def test_exactly_one_part_is_a_single_put(s3_storage: S3Storage, calls: CallLog) -> None:
    data = b"\x07" * TEST_PART_SIZE
    result = s3_storage.write_stream("one-part", io.BytesIO(data))
    assert result.size == TEST_PART_SIZE
    assert calls.calls["PutObject"] == 1 and calls.calls["CreateMultipartUpload"] == 0
    assert s3_storage.stat("one-part").sha256 == hashlib.sha256(data).hexdigest()


class FailsAfter(io.RawIOBase):
    def __init__(self, good: int) -> None:
        self._source = io.BytesIO(b"\x05" * good)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if not data:
            raise ConnectionResetError("upstream dropped the connection")
        return data


def test_a_failing_source_aborts_the_multipart_upload(
    s3_storage: S3Storage, calls: CallLog, moto_client: Any, s3_bucket: str
) -> None:
    with pytest.raises(ConnectionResetError):
        s3_storage.write_stream("partial", FailsAfter(12 * MIB))
    assert calls.calls["UploadPart"] >= 2 and calls.calls["AbortMultipartUpload"] == 1
    assert calls.calls["CompleteMultipartUpload"] == 0
    assert not s3_storage.exists("partial")
    assert pending_uploads(moto_client, s3_bucket) == []
    assert raw_keys(moto_client, s3_bucket) == []


def test_a_failing_part_aborts_the_upload(
    s3_storage: S3Storage, calls: CallLog, moto_client: Any, s3_bucket: str
) -> None:
    def fail_second_part(params: dict[str, Any], **_: Any) -> None:
        if params.get("PartNumber") == 2:
            raise RuntimeError("part 2 lost")

    s3_storage.client.meta.events.register("provide-client-params.s3.UploadPart", fail_second_part)
    with pytest.raises(RuntimeError, match="part 2 lost"):
        s3_storage.write_stream("partial", io.BytesIO(BIG))
    assert calls.calls["AbortMultipartUpload"] == 1
    assert pending_uploads(moto_client, s3_bucket) == []
    assert not s3_storage.exists("partial")


def test_presigned_url_serves_the_bytes(s3_storage: S3Storage) -> None:
    s3_storage.write_stream("public/x.fits", io.BytesIO(BIG[:100_000]))
    url = s3_storage.presigned_url("public/x.fits", expires=120)
    assert url is not None and "X-Amz-Signature=" in url and "testing-secret" not in url
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200 and response.content == BIG[:100_000]
    ranged = httpx.get(url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert ranged.status_code == 206 and ranged.content == BIG[10:20]


def test_prefix_is_transparent(s3_storage: S3Storage, moto_client: Any, s3_bucket: str) -> None:
    moto_client.put_object(Bucket=s3_bucket, Key="elsewhere/a", Body=b"x")
    moto_client.put_object(Bucket=s3_bucket, Key=f"{TEST_PREFIX}2/a", Body=b"x")
    moto_client.put_object(Bucket=s3_bucket, Key=f"{TEST_PREFIX}/bad//key", Body=b"x")
    s3_storage.write_stream("a/b", io.BytesIO(b"x"))
    assert f"{TEST_PREFIX}/a/b" in raw_keys(moto_client, s3_bucket)
    assert [i.key for i in s3_storage.list()] == ["a/b"]  # invalid stored names are skipped
    assert s3_storage.delete_prefix("a") == 1
    assert len(raw_keys(moto_client, s3_bucket)) == 3


def test_listing_and_deleting_span_pages(s3_storage: S3Storage) -> None:
    s3_storage.list_page_size = 3
    s3_storage.delete_batch_size = 4
    keys = [f"many/{i:02d}" for i in range(11)]
    for key in keys:
        s3_storage.write_stream(key, io.BytesIO(key.encode()))
    assert [i.key for i in s3_storage.list("many")] == keys
    assert s3_storage.delete_prefix("many") == 11
    assert list(s3_storage.list()) == []


@pytest.fixture
def unreachable(boto_session: boto3.session.Session) -> Iterator[S3Storage]:
    yield S3Storage(
        "nowhere",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region=MOTO_REGION,
        path_style=True,
        connect_timeout=1.0,
        read_timeout=2.0,
        session=boto_session,
    )


def test_connection_refused_is_a_quick_clear_error(unreachable: S3Storage) -> None:
    started = time.monotonic()
    for call in (
        unreachable.ping,
        lambda: unreachable.stat("k"),
        lambda: unreachable.write_stream("k", io.BytesIO(b"x")),
        lambda: list(unreachable.list()),
    ):
        with pytest.raises(StorageError, match="cannot reach") as caught:
            call()
        assert "testing-secret" not in str(caught.value)
    assert time.monotonic() - started < 15


def test_missing_bucket_is_a_storage_error(
    moto_endpoint: str, boto_session: boto3.session.Session
) -> None:
    storage = S3Storage(
        "no-such-bucket-here", endpoint_url=moto_endpoint, path_style=True, session=boto_session
    )
    with pytest.raises(StorageError, match="does not exist"):
        storage.ping()
    with pytest.raises(StorageError, match="does not exist"):
        storage.write_stream("k", io.BytesIO(b"x"))
    with pytest.raises(StorageError, match="does not exist"):
        storage.open_read("k")


def test_missing_credentials_are_reported_without_secrets(
    moto_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    storage = S3Storage(s3_bucket, endpoint_url=moto_endpoint, path_style=True)
    with pytest.raises(StorageError, match="no usable AWS credentials"):
        storage.ping()


def test_not_found_and_describe(s3_storage: S3Storage, moto_endpoint: str) -> None:
    with pytest.raises(NotFoundError):
        s3_storage.open_read("missing", start=5)
    assert s3_storage.local_path("k") is None
    text = s3_storage.describe()
    assert s3_storage.bucket in text and moto_endpoint in text and "path-style" in text
    assert "testing" not in text.replace("jwst-test", "")


def test_describe_redacts_endpoint_userinfo() -> None:
    storage = S3Storage("b-b-b", endpoint_url="http://user:hunter2@s3.example:9000", region="x")
    assert "hunter2" not in storage.describe() and "hunter2" not in repr(storage)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"part_size": 1024}, "part size"),
        ({"concurrency": 0}, "concurrency"),
        ({"prefix": "a/../b"}, "JWSTDATA_S3_PREFIX"),
        ({"endpoint_url": "not a url"}, "invalid S3 settings"),
        ({"region": "no such region!"}, "invalid S3 settings"),
    ],
)
def test_bad_settings_are_configuration_errors(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        S3Storage("bucket", **kwargs)


def test_factory_chooses_s3_from_settings(moto_endpoint: str, s3_bucket: str) -> None:
    settings = Settings(
        storage="s3",
        s3_bucket=s3_bucket,
        s3_endpoint_url=moto_endpoint,
        s3_region=MOTO_REGION,
        s3_prefix="/tenant/",
        s3_path_style=True,
        s3_part_size=TEST_PART_SIZE,
        s3_concurrency=2,
    )
    storage = open_storage(settings)
    assert isinstance(storage, S3Storage)
    assert (storage.prefix, storage.part_size, storage.concurrency) == (
        "tenant/",
        TEST_PART_SIZE,
        2,
    )
    storage.write_stream("k", io.BytesIO(b"via settings"))
    with storage.open_read("k") as stream:
        assert stream.read() == b"via settings"
    with pytest.raises(ConfigurationError, match="JWSTDATA_S3_BUCKET"):
        open_storage(Settings(storage="s3", s3_bucket=None))
