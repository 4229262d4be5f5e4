"""Cutouts by RA/Dec: the WCS follows the pixels, values are the source's, stored or downloaded."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales

from jwstdata.db.jobs import JobRepository
from jwstdata.models import JwstDataModel
from jwstdata.processing.cutout import CutoutParams
from jwstdata.processing.registry import (
    AlgorithmInput,
    Limits,
    ProcessingError,
    get_algorithm,
)
from jwstdata.root import Root
from jwstdata.services.cutouts import cutout_download
from jwstdata.services.jobs.registry import load_handlers
from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer

SHAPE = (120, 100)
STAR = (61.3, 47.8, 5e4)  # x, y (0-based), flux


def _source(folder: Path, **kwargs: Any) -> Path:
    image = ff.stars(SHAPE, [STAR, (20, 100, 1e4)], background=0.5)
    return ff.write_product(folder, "cal", data=image, extras=False, sip=True, **kwargs)


def _sky(path: Path, x: float, y: float) -> tuple[float, float]:
    with fits.open(path) as hdul:
        ra, dec = WCS(hdul["SCI"].header).all_pix2world(x, y, 0)
    return float(ra), float(dec)


def _run(path: Path, params: dict[str, Any]) -> Any:
    algorithm = get_algorithm("cutout")
    record = JwstDataModel(
        file_name=path.name, file_path="x", file_format="fits", data_type="image"
    )
    return algorithm.run(
        AlgorithmInput(
            path=path,
            record=record,
            params=algorithm.parse_params(params),
            limits=Limits(max_pixels=10_000_000),
        )
    )


def _check_cutout(content: bytes, source: Path, ra: float, dec: float) -> fits.Header:
    """The cutout's WCS puts (ra, dec) at its centre, and its values are the source's."""
    with fits.open(io.BytesIO(content)) as cut, fits.open(source) as src:
        header = cut["SCI"].header
        data = cut["SCI"].data
        x0, y0 = header["CUTX0"], header["CUTY0"]
        ny, nx = data.shape
        np.testing.assert_array_equal(data, src["SCI"].data[y0 : y0 + ny, x0 : x0 + nx])
        np.testing.assert_array_equal(cut["DQ"].data, src["DQ"].data[y0 : y0 + ny, x0 : x0 + nx])
        x, y = WCS(header).all_world2pix(ra, dec, 0)
        sx, sy = WCS(src["SCI"].header).all_world2pix(ra, dec, 0)
        # the requested position, by the cutout's WCS, is where it is in the source's pixels
        assert abs(float(x) - (float(sx) - x0)) < 0.1 and abs(float(y) - (float(sy) - y0)) < 0.1
        # and a whole-pixel box centred on it: within half a pixel of the centre
        assert abs(float(x) - (nx - 1) / 2) <= 0.5 + 1e-9
        assert abs(float(y) - (ny - 1) / 2) <= 0.5 + 1e-9
        # every pixel agrees, not only the centre (the SIP distortion went along)
        corners_cut = WCS(header).all_pix2world([0, nx - 1], [0, ny - 1], 0)
        corners_src = WCS(src["SCI"].header).all_pix2world([x0, x0 + nx - 1], [y0, y0 + ny - 1], 0)
        np.testing.assert_allclose(corners_cut, corners_src, atol=1e-9)
        return header


@pytest.mark.parametrize(
    ("size", "unit", "shape"),
    [(21, "pixel", (21, 21)), (15, "pixel", (15, 15)), (0.6, "arcsec", None)],
)
def test_cutout_wcs_and_values(tmp_path: Path, size: float, unit: str, shape: Any) -> None:
    source = _source(tmp_path)
    ra, dec = _sky(source, STAR[0], STAR[1])
    output = _run(source, {"ra": ra, "dec": dec, "size": size, "unit": unit})
    (item,) = output.outputs
    assert item.format == "fits" and item.role == "cutout" and item.wcs["CTYPE1"].startswith("RA")
    header = _check_cutout(item.content, source, ra, dec)
    if shape is not None:
        assert (header["NAXIS2"], header["NAXIS1"]) == shape
    else:
        with fits.open(source) as src:
            scale = proj_plane_pixel_scales(WCS(src["SCI"].header))[0] * 3600
        assert abs(header["NAXIS1"] - 0.6 / scale) <= 1
    assert output.results["width"] == header["NAXIS1"]


def test_cutout_outside_the_image_is_refused(tmp_path: Path) -> None:
    source = _source(tmp_path)
    ra, dec = _sky(source, -500, -500)
    with pytest.raises(ProcessingError, match="outside") as caught:
        _run(source, {"ra": ra % 360, "dec": dec, "size": 10, "unit": "pixel"})
    assert caught.value.reason == "bad_parameters"


def test_cutout_at_the_edge_is_trimmed_to_the_data(tmp_path: Path) -> None:
    source = _source(tmp_path)
    ra, dec = _sky(source, 2, 3)
    (item,) = _run(source, {"ra": ra, "dec": dec, "size": 20, "unit": "pixel"}).outputs
    with fits.open(io.BytesIO(item.content)) as cut:
        ny, nx = cut["SCI"].data.shape
        assert 11 <= nx <= 13 and 12 <= ny <= 14  # the half of the box inside the image
        assert (cut["SCI"].header["CUTX0"], cut["SCI"].header["CUTY0"]) == (0, 0)
        with fits.open(source) as src:
            np.testing.assert_array_equal(cut["SCI"].data, src["SCI"].data[:ny, :nx])


# --- over the API, stored, and from the command line --------------------------------------


@pytest.fixture(scope="module")
def uploaded(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    api_server.create_user("cutter")
    api_server.create_user("stranger")
    folder = tmp_path_factory.mktemp("cutouts")
    source = _source(folder)
    packed = ff.gzip_copy(source, folder / ("z" + source.name + ".gz"))
    token = api_server.token("cutter")
    records = api_server.upload_all(token, {"plain": source, "gz": packed})
    return {"token": token, "source": source, "records": records}


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_cutout_download(api_server: ApiServer, uploaded: dict, kind: str) -> None:
    ra, dec = _sky(uploaded["source"], STAR[0], STAR[1])
    record_id = uploaded["records"][kind]["id"]
    with api_server.client(uploaded["token"]) as client:
        response = client.get(
            f"/api/data/{record_id}/cutout",
            params={"ra": ra, "dec": dec, "size": 11, "unit": "pixel"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fits"
    assert "_cutout_" in response.headers["content-disposition"]
    _check_cutout(response.content, uploaded["source"], ra, dec)


def test_cutout_download_errors(api_server: ApiServer, uploaded: dict) -> None:
    record_id = uploaded["records"]["plain"]["id"]
    url = f"/api/data/{record_id}/cutout"
    with api_server.client(api_server.token("stranger")) as client:
        hidden = client.get(url, params={"ra": 1, "dec": 1, "size": 1})
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    with api_server.client(uploaded["token"]) as client:
        outside = client.get(url, params={"ra": 10, "dec": 10, "size": 5})
        bad = client.get(url, params={"ra": 400, "dec": 10, "size": 5})
        huge = client.get(url, params={"ra": 10, "dec": 10, "size": 99999, "unit": "pixel"})
    assert outside.status_code == 422 and "outside" in outside.json()["error"]["message"]
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    assert huge.status_code == 422 and "limit" in huge.json()["error"]["message"]


def _derived_cutouts(api_server: ApiServer, source_id: str) -> list[dict[str, Any]]:
    docs = api_server.repo.collection.find(
        {"parentId": {"$exists": True}, "metadata.algorithm": "cutout"}
    )
    return [d for d in docs if str(d["parentId"]) == source_id]


def test_cutout_as_a_derived_record(api_server: ApiServer, uploaded: dict) -> None:
    ra, dec = _sky(uploaded["source"], STAR[0], STAR[1])
    record_id = uploaded["records"]["plain"]["id"]
    jobs = JobRepository.for_database(api_server.handle)
    jobs.ensure_indexes()
    with api_server.client(uploaded["token"]) as client:
        queued = client.post(
            f"/api/data/{record_id}/cutout", json={"ra": ra, "dec": dec, "size": 1.0}
        )
        assert queued.status_code == 202, queued.text
        refused = client.post(f"/api/data/{record_id}/cutout", json={"ra": ra, "size": 1.0})
        assert refused.status_code == 422
        load_handlers()
        Root(api_server.settings, handle=api_server.handle).worker(kinds=["process"]).run_once()
        job = client.get(f"/api/jobs/{queued.json()['id']}").json()
        assert job["state"] == "completed", job
        (derived,) = _derived_cutouts(api_server, record_id)
        record = client.get(f"/api/data/{derived['_id']}").json()
        assert record["derivedFrom"] == [record_id] and record["fileFormat"] == "fits"
        assert record["imageInfo"]["wcs"]["CTYPE1"].startswith("RA---TAN")
        assert record["imageInfo"]["filter"] == uploaded["records"]["plain"]["imageInfo"]["filter"]
        content = client.get(f"/api/data/{derived['_id']}/file").content
    header = _check_cutout(content, uploaded["source"], ra, dec)
    assert (record["imageInfo"]["width"], record["imageInfo"]["height"]) == (
        header["NAXIS1"],
        header["NAXIS2"],
    )


def test_cli_cutout_waits_and_stores(api_server: ApiServer, uploaded: dict) -> None:
    ra, dec = _sky(uploaded["source"], 30, 30)
    record_id = uploaded["records"]["gz"]["id"]
    args = ["cutout", record_id, "--ra", str(ra), "--dec", str(dec), "--size", "9"]
    result = subprocess.run(
        [sys.executable, "-m", "jwstdata", *args, "--unit", "pixel", "--wait", "--json"],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "completed" and job["result"]["results"]["width"] == 9
    (derived,) = _derived_cutouts(api_server, record_id)
    with api_server.client(uploaded["token"]) as client:
        content = client.get(f"/api/data/{derived['_id']}/file").content
    _check_cutout(content, uploaded["source"], ra, dec)
    bad = subprocess.run(
        [sys.executable, "-m", "jwstdata", "cutout", record_id, "--ra", "1", "--dec", "1"],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "--size" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("gzip", [False, True])
def test_cutout_download_from_s3(s3_storage: Any, tmp_path: Path, gzip: bool) -> None:
    source = _source(tmp_path)
    stored = ff.gzip_copy(source, tmp_path / "z.fits.gz") if gzip else source
    key = f"uploads/u/{stored.name}"
    s3_storage.write_stream(key, io.BytesIO(stored.read_bytes()))
    record = JwstDataModel(
        file_name=source.name if not gzip else source.name + ".gz",
        file_path=key,
        file_format="fits.gz" if gzip else "fits",
        data_type="image",
    )
    services = SimpleNamespace(
        storage=s3_storage,
        settings=SimpleNamespace(home_dir=tmp_path / "home", processing_max_pixels=10_000_000),
    )
    ra, dec = _sky(source, STAR[0], STAR[1])
    params = CutoutParams(ra=ra, dec=dec, size=7, unit="pixel")
    name, content = cutout_download(services, record, params)
    assert name.endswith(".fits") and "_cutout_" in name
    _check_cutout(content, source, ra, dec)
    assert not list((tmp_path / "home" / "staging").iterdir())  # the copy is gone
