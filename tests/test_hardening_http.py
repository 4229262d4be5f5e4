"""HTTP hardening against a real server: typed bulk bodies, strict booleans, error envelopes
and headers on every status, 413 for chunked uploads, bounded inflation of gzip data."""

from __future__ import annotations

import gzip
import io
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from astropy.io import fits
from bson import ObjectId

from jwstdata.db.records import to_stored
from jwstdata.inflate import InflateLimitError, InflateLimits, inflated_copy
from tests.factories import make_record
from tests.hardening_support import custom_server
from tests.plugins.api_server import ApiServer

UPLOAD_LIMIT = 2 * 1024 * 1024
INFLATE_LIMIT = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def server(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with custom_server(
        mongo_uri,
        tmp_path_factory.mktemp("hard-http"),
        max_upload_bytes=str(UPLOAD_LIMIT),
        max_inflated_bytes=str(INFLATE_LIMIT),
        login_rate_per_minute="1000",
    ) as running:
        running.create_user("hana")
        yield running


@pytest.fixture(scope="module")
def token(server: ApiServer) -> str:
    return server.token("hana")


@pytest.fixture(scope="module")
def owned(server: ApiServer) -> ObjectId:
    user = server.auth().users.find_by_username("hana")
    return server.repo.create(make_record(userId=user.id, tags=["keep"])).object_id


def _envelope(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]


# --- bulk: typed and strict ----------------------------------------------------------------
@pytest.mark.parametrize(
    "changes",
    [
        {"addTags": 5},
        {"addTags": None},
        {"addTags": "abc"},
        {"addTags": [5]},
        {"addTags": [{"$gt": ""}]},
        {"removeTags": {"$in": ["a"]}},
        {"processingStatus": "exploded"},
        {"processingStatus": None},
        {"processingStatus": {"$ne": "x"}},
        {"tags": ["x"]},
        {},
    ],
)
def test_bulk_bodies_of_the_wrong_shape_are_422(
    server: ApiServer, token: str, owned: ObjectId, changes: dict
) -> None:
    with server.client(token) as client:
        response = client.post("/api/data/bulk", json={"ids": [str(owned)], "changes": changes})
        _envelope(response, 422)
        record = client.get(f"/api/data/{owned}").json()
    assert record["tags"] == ["keep"]  # nothing was applied, "abc" did not become a, b, c


@pytest.mark.parametrize("body", [None, [], {"ids": "abc", "changes": {"addTags": ["x"]}}])
def test_bulk_bodies_that_are_not_objects_are_422(server: ApiServer, token: str, body) -> None:
    with server.client(token) as client:
        _envelope(client.post("/api/data/bulk", json=body), 422)


def test_bulk_still_applies_valid_changes(server: ApiServer, token: str, owned: ObjectId) -> None:
    with server.client(token) as client:
        response = client.post(
            "/api/data/bulk",
            json={
                "ids": [str(owned)],
                "changes": {"addTags": ["bulk"], "processingStatus": "completed"},
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["status"] == "updated"
        record = client.get(f"/api/data/{owned}").json()
        client.post(
            "/api/data/bulk", json={"ids": [str(owned)], "changes": {"removeTags": ["bulk"]}}
        ).raise_for_status()
    assert record["tags"] == ["keep", "bulk"] and record["processingStatus"] == "completed"


# --- strict booleans --------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["yes", "1", 1, "true", None])
def test_is_public_must_be_a_json_boolean(
    server: ApiServer, token: str, owned: ObjectId, value
) -> None:
    with server.client(token) as client:
        _envelope(client.patch(f"/api/data/{owned}", json={"isPublic": value}), 422)
        assert client.get(f"/api/data/{owned}").json()["isPublic"] is False


@pytest.mark.parametrize("value", ["yes", "on", "1"])
def test_upload_form_is_public_takes_only_true_or_false(
    server: ApiServer, token: str, value: str
) -> None:
    with server.client(token) as client:
        response = client.post(
            "/api/data/upload",
            files={"file": ("notes.csv", b"a,b\n1,2\n", "text/csv")},
            data={"isPublic": value},
        )
    _envelope(response, 422)


# --- statuses and their envelopes ------------------------------------------------------------
def test_chunked_oversize_upload_is_413(server: ApiServer, token: str) -> None:
    boundary = secrets.token_hex(8)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield head
        for _ in range(UPLOAD_LIMIT // (64 * 1024) + 8):
            yield b"1,2\n" * (16 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    with server.client(token) as client:
        response = client.post(
            "/api/data/upload",
            content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
    assert _envelope(response, 413)["code"] == "payload_too_large"


def test_unsatisfiable_range_has_the_envelope(server: ApiServer, token: str) -> None:
    with server.client(token) as client:
        created = client.post(
            "/api/data/upload", files={"file": ("small.csv", b"x,y\n1,2\n", "text/csv")}
        )
        assert created.status_code == 201, created.text
        response = client.get(
            f"/api/data/{created.json()['id']}/file", headers={"Range": "bytes=5000-"}
        )
    assert _envelope(response, 416)["code"] == "range_not_satisfiable"
    assert response.headers["content-range"] == "bytes */8"


def test_an_unexpected_error_still_has_the_security_headers(server: ApiServer) -> None:
    # A stored document the model cannot read (written around the validator) makes the
    # read fail unexpectedly: a 500, which must look like every other answer.
    doc = to_stored(make_record(isPublic=True))
    doc["dataType"] = "not-a-type"
    server.repo.collection.insert_one(doc, bypass_document_validation=True)
    response = httpx.get(f"{server.url}/api/data/{doc['_id']}")
    error = _envelope(response, 500)
    assert error["code"] == "internal_error" and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]


# --- gzip bombs -----------------------------------------------------------------------------
def _gzip_fits(path: Path, *, primary_pixels: int = 0, sci_side: int = 16) -> Path:
    """A tiny .fits.gz that inflates far: zero-filled data compresses ~1000:1."""
    primary = fits.PrimaryHDU(
        np.zeros(primary_pixels, dtype=np.float32) if primary_pixels else None
    )
    primary.header["TELESCOP"] = "JWST"
    primary.header["INSTRUME"] = "NIRCAM"
    sci = fits.ImageHDU(np.zeros((sci_side, sci_side), dtype=np.float32), name="SCI")
    raw = io.BytesIO()
    fits.HDUList([primary, sci]).writeto(raw)
    path.write_bytes(gzip.compress(raw.getvalue(), compresslevel=9))
    return path


def _upload(server: ApiServer, token: str, path: Path) -> httpx.Response:
    with server.client(token) as client:
        return client.post(
            "/api/data/upload",
            files={"file": (path.name, path.read_bytes(), "application/gzip")},
        )


def test_pixels_and_preview_refuse_data_that_inflates_past_the_bound(
    server: ApiServer, token: str, tmp_path: Path
) -> None:
    # 2048 x 2048 float32 = 16 MiB inflated, a few KiB on disk: over the 4 MiB bound.
    bomb = _gzip_fits(tmp_path / "jw01234001001_01101_00001_nrca1_cal.fits.gz", sci_side=2048)
    assert bomb.stat().st_size < 100 * 1024
    created = _upload(server, token, bomb)
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    with server.client(token) as client:
        pixels = client.get(f"/api/data/{record_id}/pixels")
        error = _envelope(pixels, 413)
        assert "inflates" in error["message"] and error["details"]["limit"] == INFLATE_LIMIT
        preview = client.get(f"/api/data/{record_id}/preview")
        assert preview.status_code == 422, preview.text
        assert "inflates" in preview.json()["error"]["message"]
    # A small compressed image within the bound is shown as before.
    fine = _gzip_fits(tmp_path / "jw01234001001_01101_00002_nrca1_cal.fits.gz", sci_side=64)
    created = _upload(server, token, fine)
    assert created.status_code == 201, created.text
    with server.client(token) as client:
        shown = client.get(f"/api/data/{created.json()['id']}/pixels")
    assert shown.status_code == 200, shown.text


def test_ingest_refuses_headers_behind_data_that_inflates_past_the_bound(
    server: ApiServer, token: str, tmp_path: Path
) -> None:
    # The SCI header sits behind 16 MiB of primary data: finding it means inflating that.
    bomb = _gzip_fits(
        tmp_path / "jw01234001001_01101_00003_nrca1_cal.fits.gz", primary_pixels=4 * 1024**2
    )
    response = _upload(server, token, bomb)
    assert response.status_code in (413, 422), response.text
    assert "inflates" in response.json()["error"]["message"]


def test_cli_ingest_refuses_data_that_inflates_past_the_bound(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    bomb = _gzip_fits(
        tmp_path / "jw01234001001_01101_00004_nrca1_cal.fits.gz", primary_pixels=4 * 1024**2
    )
    done = subprocess.run(
        [sys.executable, "-m", "jwstdata", "ingest", str(bomb), "--json"],
        env={**cli_env, "JWSTDATA_MAX_INFLATED_BYTES": str(INFLATE_LIMIT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["failed"] and "inflates" in report["failed"][0]["error"], report


def test_inflation_is_bounded_in_cpu_time(tmp_path: Path) -> None:
    bomb = _gzip_fits(tmp_path / "slow.fits.gz", sci_side=2048)
    limits = InflateLimits(max_bytes=1024**3, max_seconds=1e-9)
    with pytest.raises(InflateLimitError, match="CPU"), inflated_copy(bomb, tmp_path, limits):
        pass
    assert not list(tmp_path.glob(".inflated-*"))  # the partial copy is gone
    with inflated_copy(bomb, tmp_path, InflateLimits()) as plain:
        assert plain.stat().st_size > 16 * 1024**2
