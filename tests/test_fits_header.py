"""The FITS header browser: every card of any HDU, over the API and from S3, gzip or not."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from astropy.io import fits

from jwstdata.errors import ValidationError
from jwstdata.models import JwstDataModel
from jwstdata.services.fits_header import read_header
from jwstdata.storage import S3Storage
from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer


@pytest.fixture(scope="module")
def uploaded(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    api_server.create_user("hdr-owner")
    api_server.create_user("hdr-other")
    folder = tmp_path_factory.mktemp("headers")
    plain = ff.write_product(folder, "cal", sci={"HISTORY": "made for the header test"})
    packed = ff.gzip_copy(plain, folder / ("z" + plain.name + ".gz"))
    token = api_server.token("hdr-owner")
    records = api_server.upload_all(token, {"plain": plain, "gz": packed})
    return {"token": token, "path": plain, "records": records}


def _expected(path: Path, index: int) -> list[tuple[str, Any, str]]:
    with fits.open(path) as hdul:
        return [(c.keyword, c.value, c.comment) for c in hdul[index].header.cards]


def _as_tuples(cards: list[dict[str, Any]]) -> list[tuple[str, Any, str]]:
    return [(c["keyword"], c["value"], c["comment"]) for c in cards]


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_every_card_of_every_hdu(api_server: ApiServer, uploaded: dict, kind: str) -> None:
    record_id = uploaded["records"][kind]["id"]
    with fits.open(uploaded["path"]) as hdul:
        names = [h.name for h in hdul]
    with api_server.client(uploaded["token"]) as client:
        first = client.get(f"/api/data/{record_id}/header").json()
        assert [h["name"] for h in first["hdus"]] == names
        assert first["hdu"]["index"] == 0 and first["hdu"]["type"] == "PRIMARY"
        assert _as_tuples(first["cards"]) == _expected(uploaded["path"], 0)
        by_name = client.get(f"/api/data/{record_id}/header", params={"hdu": "sci"}).json()
        by_index = client.get(f"/api/data/{record_id}/header", params={"hdu": "1"}).json()
        by_version = client.get(f"/api/data/{record_id}/header", params={"hdu": "SCI,1"}).json()
    sci = names.index("SCI")
    assert by_name["hdu"]["index"] == sci and by_name["hdu"]["type"] == "IMAGE"
    assert by_name == by_version
    assert _as_tuples(by_name["cards"]) == _expected(uploaded["path"], sci)
    assert _as_tuples(by_index["cards"]) == _expected(uploaded["path"], 1)
    history = [c for c in by_name["cards"] if c["keyword"] == "HISTORY"]
    assert history and history[0]["value"] == "made for the header test"
    assert isinstance(by_name["hdu"]["shape"], list) and len(by_name["hdu"]["shape"]) == 2


@pytest.mark.parametrize("hdu", ["NOPE", "99", "SCI,7"])
def test_a_missing_hdu_is_an_error_envelope(
    api_server: ApiServer, uploaded: dict, hdu: str
) -> None:
    record_id = uploaded["records"]["plain"]["id"]
    with api_server.client(uploaded["token"]) as client:
        response = client.get(f"/api/data/{record_id}/header", params={"hdu": hdu})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "SCI" in error["message"]
    assert error["details"] == [{"field": "hdu", "message": "no such HDU"}]


def test_headers_follow_the_access_rules(api_server: ApiServer, uploaded: dict) -> None:
    record_id = uploaded["records"]["plain"]["id"]
    for token in (api_server.token("hdr-other"), None):
        with api_server.client(token) as client:
            response = client.get(f"/api/data/{record_id}/header")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("gzip", [False, True])
def test_headers_read_from_s3_by_ranges(s3_storage: S3Storage, tmp_path: Path, gzip: bool) -> None:
    path = ff.write_product(tmp_path, "cal", gzip=gzip)
    key = f"uploads/u/{path.name}"
    s3_storage.write_stream(key, io.BytesIO(path.read_bytes()))
    record = JwstDataModel(
        file_name=path.name,
        file_path=key,
        file_format="fits.gz" if gzip else "fits",
        data_type="image",
    )
    body = read_header(s3_storage, record, "DQ")
    with fits.open(path) as hdul:
        assert [h["name"] for h in body["hdus"]] == [h.name for h in hdul]
        assert _as_tuples(body["cards"]) == [
            (c.keyword, c.value, c.comment) for c in hdul["DQ"].header.cards
        ]
    with pytest.raises(ValidationError, match="no HDU"):
        read_header(s3_storage, record, "MISSING")


def test_a_corrupt_file_is_a_readable_error(s3_storage: S3Storage, tmp_path: Path) -> None:
    path = ff.write_not_fits(tmp_path / "broken.fits")
    s3_storage.write_stream("uploads/u/broken.fits", io.BytesIO(path.read_bytes()))
    record = JwstDataModel(
        file_name="broken.fits", file_path="uploads/u/broken.fits", file_format="fits",
        data_type="image",
    )  # fmt: skip
    with pytest.raises(ValidationError, match="cannot be read as FITS"):
        read_header(s3_storage, record)
