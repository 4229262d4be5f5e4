"""The Python client against a real server: search tables, pages, upload, resumable download."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from astropy.table import Table

from jwstdata.client import Client
from jwstdata.errors import AuthenticationError, NotFoundError
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
