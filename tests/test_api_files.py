"""Uploads and downloads over the real HTTP API, including every failure path."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from jwstdata.storage import LocalStorage
from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer


@pytest.fixture(scope="module")
def alice(api_server: ApiServer) -> dict:
    user = api_server.create_user("alice")
    return {"user": user, "token": api_server.token("alice")}


@pytest.fixture
def storage(api_server: ApiServer) -> LocalStorage:
    return LocalStorage(api_server.settings.local_storage_root)


def _leftovers(
    api_server: ApiServer, storage: LocalStorage, user_id
) -> tuple[int, list[str], list[Path]]:
    records = api_server.repo.collection.count_documents({"userId": user_id})
    files = (
        [o.key for o in storage.list(f"uploads/{user_id}")]
        if storage.local_path("x").parent.exists()
        else []
    )
    staging = list((api_server.settings.home_dir / "staging").glob("*"))
    return records, files, staging


def _upload(api_server: ApiServer, token: str, name: str, content: bytes, **form):
    with api_server.client(token) as client:
        return client.post("/api/data/upload", files={"file": (name, content)}, data=form)


def test_upload_then_download_with_ranges_and_etag(
    api_server: ApiServer, alice: dict, tmp_path: Path
) -> None:
    path = ff.write_product(tmp_path, "cal")
    content = path.read_bytes()
    response = _upload(
        api_server, alice["token"], path.name, content, tags="deep, ero", isPublic="false"
    )
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["checksum"] == hashlib.sha256(content).hexdigest() and record["fileSize"] == len(
        content
    )
    assert record["filePath"].startswith(f"uploads/{alice['user'].id}/") and record["tags"] == [
        "deep",
        "ero",
    ]
    assert record["processingLevel"] == "L2b" and record["imageInfo"]["instrument"] == "NIRCAM"
    with api_server.client(alice["token"]) as client:
        url = f"/api/data/{record['id']}/file"
        full = client.get(url)
        assert full.status_code == 200 and full.content == content
        assert (
            full.headers["etag"] == f'"{record["checksum"]}"'
            and full.headers["accept-ranges"] == "bytes"
        )
        assert full.headers["content-disposition"].startswith(f'attachment; filename="{path.name}"')
        head = client.get(url, headers={"Range": "bytes=0-79"})
        assert head.status_code == 206 and head.content == content[:80]
        assert head.headers["content-range"] == f"bytes 0-79/{len(content)}"
        tail = client.get(url, headers={"Range": "bytes=-100"})
        assert tail.status_code == 206 and tail.content == content[-100:]
        rest = client.get(url, headers={"Range": f"bytes={len(content) - 10}-"})
        assert rest.content == content[-10:]
        bad = client.get(url, headers={"Range": f"bytes={len(content) + 5}-"})
        assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(content)}"
        cached = client.get(url, headers={"If-None-Match": full.headers["etag"]})
        assert cached.status_code == 304
    with api_server.client() as anonymous:
        assert anonymous.get(url).status_code == 404


def test_anonymous_cannot_upload(api_server: ApiServer) -> None:
    response = _upload(api_server, None, "x.fits", b"SIMPLE  =")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        (
            "jw02733001001_02101_00001_nrcalong_cal.fits",
            b"\x89PNG\r\n\x1a\n" + b"0" * 100,
            422,
            "content_mismatch",
        ),
        ("picture.png", b"not a png at all", 422, "content_mismatch"),
        ("table.json", b"{broken", 422, "content_mismatch"),
        ("notes.exe", b"MZ", 422, "unsupported_format"),
        (
            "jw02733001001_02101_00001_nrcalong_cal.fits",
            b"SIMPLE  =                    T" + b" " * 50,
            422,
            "invalid_fits",
        ),
    ],
)
def test_bad_uploads_leave_nothing(
    api_server: ApiServer,
    alice: dict,
    storage: LocalStorage,
    name: str,
    content: bytes,
    status: int,
    code: str,
) -> None:
    before = _leftovers(api_server, storage, alice["user"].id)
    response = _upload(api_server, alice["token"], name, content)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert _leftovers(api_server, storage, alice["user"].id) == before


def test_oversize_upload_is_413_and_leaves_nothing(
    api_server: ApiServer, alice: dict, storage: LocalStorage
) -> None:
    before = _leftovers(api_server, storage, alice["user"].id)
    response = _upload(
        api_server, alice["token"], "big.fits", b"SIMPLE  =" + b"\0" * (3 * 1024 * 1024)
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    assert _leftovers(api_server, storage, alice["user"].id) == before


def test_storage_failure_is_503_and_leaves_nothing(
    api_server: ApiServer, storage: LocalStorage, tmp_path: Path
) -> None:
    bob = api_server.create_user("bob")
    token = api_server.token("bob")
    blocker = storage.local_path(f"uploads/{bob.id}")
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where a folder must go")
    try:
        path = ff.write_product(tmp_path, "rate")
        response = _upload(api_server, token, path.name, path.read_bytes())
        assert response.status_code == 503 and response.json()["error"]["code"] == "storage_error"
        assert api_server.repo.collection.count_documents({"userId": bob.id}) == 0
        assert list((api_server.settings.home_dir / "staging").glob("*")) == []
    finally:
        blocker.unlink()


def test_database_failure_after_storing_removes_the_file(
    api_server: ApiServer, storage: LocalStorage, tmp_path: Path
) -> None:
    if not api_server.handle.features.json_schema_validator:
        # The clean-up path is server-independent; only the way to make the server
        # reject a valid record (other than as a duplicate) is missing here.
        pytest.skip("server lacks $jsonSchema validators (json_schema_validator=False)")
    carol = api_server.create_user("carol")
    token = api_server.token("carol")
    db = api_server.handle.db
    db.command(
        "collMod",
        "jwst_data",
        validator={"$jsonSchema": {"required": ["fieldNobodyWrites"]}},
        validationLevel="strict",
    )
    try:
        path = ff.write_product(tmp_path, "cal")
        response = _upload(api_server, token, path.name, path.read_bytes())
        assert response.status_code == 422
    finally:
        from jwstdata.db import init_database

        init_database(api_server.handle)
    records, files, staging = _leftovers(api_server, storage, carol.id)
    assert (records, files, staging) == (0, [], [])


def test_content_disposition_is_safe_for_odd_names(api_server: ApiServer, alice: dict) -> None:
    response = _upload(api_server, alice["token"], '../../evil"name;.json', b'{"a": 1}')
    assert response.status_code == 201, response.text
    record = response.json()
    assert "/" not in record["fileName"] and '"' not in record["fileName"]
    with api_server.client(alice["token"]) as client:
        disposition = client.get(f"/api/data/{record['id']}/file").headers["content-disposition"]
    assert disposition.count('"') == 2 and "\n" not in disposition


def test_same_content_again_by_the_same_user_is_the_existing_record(
    api_server: ApiServer, storage: LocalStorage, tmp_path: Path
) -> None:
    erin = api_server.create_user("erin")
    token = api_server.token("erin")
    path = ff.write_product(tmp_path, "i2d", shape=(32, 32))
    content = path.read_bytes()
    first = _upload(api_server, token, path.name, content, tags="first")
    assert first.status_code == 201, first.text
    assert "x-duplicate-of" not in first.headers
    created = _leftovers(api_server, storage, erin.id)
    assert created[0] == 1 and len(created[1]) == 1 and created[2] == []
    for name in (path.name, "renamed_copy.fits"):
        again = _upload(api_server, token, name, content, tags="second")
        assert again.status_code == 200, again.text
        assert again.headers["x-duplicate-of"] == first.json()["id"]
        assert again.json() == first.json()  # unchanged: the second upload's tags not applied
        assert _leftovers(api_server, storage, erin.id) == created  # no second file or record
    # Another user's copy of the same content is that user's own record.
    api_server.create_user("frank")
    theirs = _upload(api_server, api_server.token("frank"), path.name, content)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
