"""Tiles for the full-resolution viewer: values are the file's, any level, any storage."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from jwstdata.errors import PayloadTooLargeError
from jwstdata.models import JwstDataModel
from jwstdata.root import Root
from jwstdata.services.jobs.registry import load_handlers
from jwstdata.services.tiles import TILE, TileCache, tile
from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer, decode_pixels

SHAPE = (600, 300)


def _image() -> np.ndarray:
    rng = np.random.default_rng(3)
    data = rng.normal(1.0, 0.5, SHAPE).astype(np.float32)
    data += ff.stars(SHAPE, [(100, 200, 5e4), (250, 450, 3e4), (200, 80, 2e4)], fwhm=3.0)
    data[:5, :7] = np.nan
    return data


@pytest.fixture(scope="module")
def uploaded(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    api_server.create_user("tiler")
    api_server.create_user("peeker")
    folder = tmp_path_factory.mktemp("tiles")
    plain = ff.write_product(folder, "cal", data=_image(), extras=False, dq=False)
    packed = ff.gzip_copy(plain, folder / ("z" + plain.name + ".gz"))
    uncal = ff.write_product(folder, "uncal", extras=False)
    token = api_server.token("tiler")
    records = api_server.upload_all(token, {"plain": plain, "gz": packed, "uncal": uncal})
    return {"token": token, "files": {"plain": plain, "uncal": uncal}, "records": records}


def _block_mean(data: np.ndarray, factor: int) -> np.ndarray:
    ny, nx = data.shape
    rows, cols = math.ceil(ny / factor), math.ceil(nx / factor)
    out = np.empty((rows, cols))
    for r in range(rows):
        for c in range(cols):
            block = data[r * factor : (r + 1) * factor, c * factor : (c + 1) * factor]
            out[r, c] = np.nanmean(block) if np.isfinite(block).any() else np.nan
    return out


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_tiles_are_the_files_pixels(api_server: ApiServer, uploaded: dict, kind: str) -> None:
    record_id = uploaded["records"][kind]["id"]
    with fits.open(uploaded["files"]["plain"]) as hdul:
        source = hdul["SCI"].data.astype(np.float32)
    with api_server.client(uploaded["token"]) as client:
        info = client.get(f"/api/data/{record_id}/tiles").json()
        assert (info["width"], info["height"], info["tileSize"]) == (300, 600, TILE)
        assert info["levels"] == 3 and info["extension"] == "SCI"
        for x, y in ((0, 0), (1, 0), (1, 2), (0, 2)):
            response = client.get(f"/api/data/{record_id}/tile", params={"z": 0, "x": x, "y": y})
            assert response.status_code == 200
            meta, data = decode_pixels(response.content)
            expected = source[y * TILE : (y + 1) * TILE, x * TILE : (x + 1) * TILE]
            assert data.shape == expected.shape == (meta["height"], meta["width"])
            np.testing.assert_array_equal(data, expected)  # NaN where NaN, bit for bit
        meta, whole = decode_pixels(
            client.get(f"/api/data/{record_id}/tile", params={"z": 2, "x": 0, "y": 0}).content
        )
    assert meta["factor"] == 4 and whole.shape == (150, 75)
    np.testing.assert_allclose(whole, _block_mean(source.astype(np.float64), 4), rtol=1e-5)


def test_tiles_scale_integers_and_answer_their_etag(api_server: ApiServer, uploaded: dict) -> None:
    record_id = uploaded["records"]["uncal"]["id"]
    url = f"/api/data/{record_id}/tile"
    with fits.open(uploaded["files"]["uncal"]) as hdul:
        last_group = hdul["SCI"].data[0, -1].astype(np.float32)  # BZERO applied by astropy
    with api_server.client(uploaded["token"]) as client:
        response = client.get(url, params={"z": 0, "x": 0, "y": 0})
        np.testing.assert_array_equal(decode_pixels(response.content)[1], last_group)
        etag = response.headers["ETag"]
        again = client.get(url, params={"z": 0, "x": 0, "y": 0}, headers={"If-None-Match": etag})
        assert again.status_code == 304


def test_tile_requests_are_checked(api_server: ApiServer, uploaded: dict) -> None:
    record_id = uploaded["records"]["plain"]["id"]
    url = f"/api/data/{record_id}/tile"
    with api_server.client(api_server.token("peeker")) as client:
        for path in ("tile?z=0&x=0&y=0", "tiles", "overlay/sources"):
            hidden = client.get(f"/api/data/{record_id}/{path}")
            assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    with api_server.client(uploaded["token"]) as client:
        level = client.get(url, params={"z": 3, "x": 0, "y": 0})
        outside = client.get(url, params={"z": 0, "x": 2, "y": 0})
        negative = client.get(url, params={"z": 0, "x": -1, "y": 0})
    assert level.status_code == 422 and "levels 0..2" in level.json()["error"]["message"]
    assert outside.status_code == 422 and "outside" in outside.json()["error"]["message"]
    assert negative.status_code == 422


def test_orientation_matches_astropy(api_server: ApiServer, uploaded: dict) -> None:
    record_id = uploaded["records"]["plain"]["id"]
    with api_server.client(uploaded["token"]) as client:
        info = client.get(f"/api/data/{record_id}/tiles").json()
    with fits.open(uploaded["files"]["plain"]) as hdul:
        wcs = WCS(hdul["SCI"].header)
    orientation = info["orientation"]
    cx, cy = (300 - 1) / 2, (600 - 1) / 2
    ra, dec = (float(v) for v in wcs.all_pix2world(cx, cy, 0))
    x, y = (float(v) for v in wcs.all_world2pix(ra, dec + 10 / 3600, 0))
    north = np.array([x - cx, y - cy]) / math.hypot(x - cx, y - cy)
    np.testing.assert_allclose(orientation["north"], north, atol=1e-3)
    east, north_v = np.array(orientation["east"]), np.array(orientation["north"])
    assert abs(float(np.dot(east, north_v))) < 0.01  # perpendicular
    # sky images seen from inside the sphere: east is counter-clockwise from north by 90 deg
    assert east[0] * north_v[1] - east[1] * north_v[0] < 0
    assert orientation["pixelScale"] == pytest.approx(0.063, rel=1e-3)


def test_source_overlay_lists_the_catalogue(api_server: ApiServer, uploaded: dict) -> None:
    record_id = uploaded["records"]["plain"]["id"]
    with api_server.client(uploaded["token"]) as client:
        first = client.get(f"/api/data/{record_id}/overlay/sources")
        assert first.status_code == 200, first.text
        assert first.json() == {
            "catalog": None,
            "sources": [],
        }
        queued = client.post(
            f"/api/data/{record_id}/process", json={"algorithm": "sources", "parameters": {}}
        )
        assert queued.status_code == 202, queued.text
        load_handlers()
        Root(api_server.settings, handle=api_server.handle).worker(kinds=["process"]).run_once()
        response = client.get(f"/api/data/{record_id}/overlay/sources")
        assert response.status_code == 200, response.text
        overlay = response.json()
    assert overlay["catalog"] and len(overlay["sources"]) >= 3
    found = {(round(s["x"]), round(s["y"])) for s in overlay["sources"][:3]}
    assert found == {(100, 200), (250, 450), (200, 80)}
    assert all(s["ra"] is not None for s in overlay["sources"])


@pytest.mark.parametrize("gzip", [False, True])
def test_tiles_from_s3(s3_storage: Any, tmp_path: Path, gzip: bool) -> None:
    path = ff.write_product(tmp_path, "cal", data=_image(), extras=False)
    stored = ff.gzip_copy(path, tmp_path / "z.fits.gz") if gzip else path
    key = f"uploads/u/{stored.name}"
    s3_storage.write_stream(key, io.BytesIO(stored.read_bytes()))
    record = JwstDataModel(
        file_name=stored.name,
        file_path=key,
        file_format="fits.gz" if gzip else "fits",
        data_type="image",
        checksum="a" * 64,
    ).model_copy(update={"id": "0123456789abcdef01234567"})
    cache = TileCache(tmp_path / "cache", size=1)
    source = cache.source(s3_storage, record)
    assert cache.source(s3_storage, record) is source  # cached
    with fits.open(path) as hdul:
        expected = hdul["SCI"].data[256:512, 256:300]
    np.testing.assert_array_equal(tile(source, 0, 1, 1), expected)
    cache.close()
    assert not list((tmp_path / "cache").glob("*.fits"))  # the copy went with it


def test_tile_copies_are_bounded(s3_storage: Any, tmp_path: Path) -> None:
    path = ff.write_product(tmp_path, "cal", data=_image(), extras=False)
    s3_storage.write_stream("uploads/u/big.fits", io.BytesIO(path.read_bytes()))
    record = JwstDataModel(
        file_name="big.fits", file_path="uploads/u/big.fits", file_format="fits",
        data_type="image", checksum="b" * 64,
    ).model_copy(update={"id": "0123456789abcdef01234568"})  # fmt: skip
    cache = TileCache(tmp_path / "cache", max_copy_bytes=100_000)
    with pytest.raises(PayloadTooLargeError, match="too large to view"):
        cache.source(s3_storage, record)
    assert not list((tmp_path / "cache").iterdir())  # nothing half-copied left behind
