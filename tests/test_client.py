"""The Python client against a real server: search tables, pages, upload, resumable download."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from astropy.table import Table

from jwstdata.client import Client, DuplicateUploadWarning, _raise_for
from jwstdata.errors import (
    AuthenticationError,
    ConflictError,
    DuplicateError,
    MastUnavailableError,
    NotFoundError,
    RateLimitedError,
    StaleVersionError,
    ValidationError,
)
from tests import fitsfactory as ff
from tests.factories import make_record
from tests.plugins.api_server import ApiServer


@pytest.fixture(scope="module")
def client(api_server: ApiServer):
    api_server.create_user("dana")
    with Client.login(api_server.url, "dana", "correct horse battery") as jw:
        yield jw


def test_search_returns_an_astropy_table_across_pages(
    api_server: ApiServer, client: Client
) -> None:
    for i in range(12):
        api_server.repo.create(
            make_record(
                isPublic=True,
                imageInfo={"instrument": "MIRI", "filter": "F770W", "targetName": f"T{i}"},
            )
        )
    table = client.search(instrument="MIRI", max_records=100)
    assert isinstance(table, Table) and len(table) == 12
    assert set(table["instrument"]) == {"MIRI"} and "fileName" in table.colnames
    ids = [r["id"] for r in client.iter_records(instrument="MIRI", page_size=5)]
    assert len(ids) == len(set(ids)) == 12
    assert len(client.search(instrument="MIRI", max_records=4)) == 4
    empty = client.search(instrument="NOTHING")
    assert len(empty) == 0 and "id" in empty.colnames


def test_upload_with_progress_and_resumable_download(client: Client, tmp_path: Path) -> None:
    path = ff.write_product(tmp_path, "cal", shape=(256, 256))
    seen: list[int] = []
    record = client.upload(path, tags=["mine"], progress=lambda sent, total: seen.append(sent))
    assert seen and seen[-1] == path.stat().st_size
    assert client.get(record["id"])["tags"] == ["mine"]
    out = tmp_path / "out"
    out.mkdir()
    # A previous attempt stopped half-way: the client resumes from there.
    content = path.read_bytes()
    (out / (record["fileName"] + ".part")).write_bytes(content[: len(content) // 2])
    target = client.download(record["id"], out)
    assert target.read_bytes() == content
    assert hashlib.sha256(target.read_bytes()).hexdigest() == record["checksum"]
    assert client.lineage(record["id"])["record"] == record["id"]


def test_errors_are_typed(api_server: ApiServer, client: Client) -> None:
    with pytest.raises(NotFoundError):
        client.get("0123456789abcdef01234567")
    with pytest.raises(AuthenticationError):
        Client.login(api_server.url, "dana", "wrong password!!")


def test_a_stale_version_is_its_own_conflict(client: Client, tmp_path: Path) -> None:
    record = client.upload(ff.write_product(tmp_path, "i2d", shape=(8, 8)))
    edited = client.update(record["id"], {"tags": ["a"]}, version=record["version"])
    assert edited["tags"] == ["a"]
    with pytest.raises(StaleVersionError) as info:
        client.update(record["id"], {"tags": ["b"]}, version=record["version"])
    assert isinstance(info.value, ConflictError) and info.value.code == "stale_version"


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (409, "duplicate", DuplicateError),
        (409, "stale_version", StaleVersionError),
        (409, "conflict", ConflictError),
        (422, "invalid_storage_key", ValidationError),
        (503, "mast_unavailable", MastUnavailableError),
    ],
)
def test_errors_are_raised_by_their_code(status: int, code: str, expected: type) -> None:
    body = {"error": {"code": code, "message": "no", "details": None}}
    with pytest.raises(expected) as info:
        _raise_for(httpx.Response(status, json=body))
    assert info.value.code == code and info.value.message == "no"


def test_an_unknown_code_falls_back_on_the_status() -> None:
    body = {"error": {"code": "brand_new", "message": "later version", "details": [1]}}
    with pytest.raises(ConflictError) as info:
        _raise_for(httpx.Response(409, json=body))
    assert info.value.code == "brand_new" and info.value.details == [1]
    limited = {"error": {"code": "rate_limited", "message": "slow down"}}
    with pytest.raises(RateLimitedError) as limit:
        _raise_for(httpx.Response(429, json=limited, headers={"Retry-After": "7"}))
    assert limit.value.retry_after == 7
    with pytest.raises(NotFoundError):
        _raise_for(httpx.Response(404, text="not json"))


def test_unknown_search_filter_names_the_valid_ones(client: Client) -> None:
    with pytest.raises(ValidationError) as info:
        client.search(target_name="ngc")
    message = info.value.message
    assert "'target_name'" in message and "did you mean 'targetName'?" in message
    assert "instrument" in message and "processingLevel" in message
    with pytest.raises(ValidationError, match="max_records"):
        list(client.iter_records(limit=5))
    assert len(client.search(targetName="no such target")) == 0


def test_download_into_a_directory_keeps_the_file_name(client: Client, tmp_path: Path) -> None:
    path = ff.write_product(tmp_path, "rate", shape=(16, 16))
    record = client.upload(path)
    content = path.read_bytes()
    work = tmp_path / "work"
    work.mkdir()
    # A path ending in "/" is a directory, created when missing (the README's example).
    named = client.download(record["id"], f"{work}/downloads/")
    assert named == work / "downloads" / record["fileName"] and named.read_bytes() == content
    existing = work / "existing"
    existing.mkdir()
    assert client.download(record["id"], existing) == existing / record["fileName"]
    # Any other path is the file to write.
    chosen = client.download(record["id"], work / "chosen.fits")
    assert chosen == work / "chosen.fits" and chosen.read_bytes() == content


def test_uploading_the_same_file_again_returns_the_first_record(
    client: Client, tmp_path: Path
) -> None:
    path = ff.write_product(tmp_path, "cal", shape=(24, 24))
    first = client.upload(path)
    with pytest.warns(DuplicateUploadWarning, match=first["id"]):
        again = client.upload(path)
    assert again["id"] == first["id"]
