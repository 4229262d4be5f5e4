"""Colour composites and mosaics: the same stars at the same sky position in every channel.

Synthetic fields (tests/skyfield.py) put stars at known RA/Dec in images with different
pointings, rolls, pixel scales and sizes; the products are made by real jobs (API or CLI,
then a worker) and read back from their derived records.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from PIL import Image

from jwstdata.db.jobs import JobRepository
from jwstdata.root import Root
from jwstdata.services.jobs.registry import load_handlers
from tests import skyfield as sf
from tests.plugins.api_server import ApiServer

TOLERANCE = 0.5  # output pixels


@pytest.fixture(scope="module")
def field(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    api_server.create_user("painter")
    api_server.create_user("onlooker")
    folder = tmp_path_factory.mktemp("fields")
    files = {
        "f090w": sf.field_image(folder, exposure="00001", filter="F090W", roll=10),
        "f200w": sf.field_image(
            folder, exposure="00002", filter="F200W", centre=(0.7, -0.4), roll=200,
            shape=(90, 110),
        ),
        "f770w": sf.field_image(
            folder, exposure="00003", instrument="MIRI", filter="F770W", centre=(-0.5, 0.3),
            roll=77, shape=(80, 80),
        ),
        # one filter, overlapping pointings, for the mosaic
        "west": sf.field_image(folder, exposure="00004", filter="F150W", centre=(-2.0, 0.0),
                               roll=40, shape=(90, 90)),
        "east": sf.field_image(folder, exposure="00005", filter="F150W", centre=(2.0, 0.5),
                               roll=100, shape=(90, 90)),
    }  # fmt: skip
    token = api_server.token("painter")
    records = api_server.upload_all(token, files)
    return {"token": token, "files": files, "records": records}


def _work(api_server: ApiServer, kind: str) -> None:
    load_handlers()
    Root(api_server.settings, handle=api_server.handle).worker(kinds=[kind]).run_once()


def _outputs(client: Any, job_id: str) -> tuple[dict, dict[str, dict], dict[str, bytes]]:
    job = client.get(f"/api/jobs/{job_id}").json()
    assert job["state"] == "completed", job
    records, files = {}, {}
    for output in job["result"]["outputs"]:
        records[output["format"]] = client.get(f"/api/data/{output['id']}").json()
        files[output["format"]] = client.get(f"/api/data/{output['id']}/file").content
    return job, records, files


def test_composite_channels_agree_on_every_star(api_server: ApiServer, field: dict) -> None:
    ids = [field["records"][n]["id"] for n in ("f090w", "f200w", "f770w")]
    with api_server.client(field["token"]) as client:
        queued = client.post(
            "/api/composites",
            json={
                "recordIds": ids,
                "parameters": {
                    "channels": [{"color": c} for c in ("#3050ff", "#30ff50", "#ff3020")]
                },
            },
        )
        assert queued.status_code == 202, queued.text
        _work(api_server, "composite")
        job, records, files = _outputs(client, queued.json()["id"])
    assert set(records) == {"fits", "png"}
    for record in records.values():
        assert record["derivedFrom"] == ids and record["parentId"] == ids[0]
        assert record["imageInfo"]["wcs"]["CTYPE1"] == "RA---TAN"
        assert record["imageInfo"]["filter"] == "F090W+F200W+F770W"
        assert not record["isPublic"]
    with fits.open(io.BytesIO(files["fits"])) as hdul:
        cube = hdul["SCI"].data
        header = hdul["SCI"].header
    wcs = WCS(header).celestial
    assert cube.shape[0] == 3 and [header[f"FILTER{i}"] for i in (1, 2, 3)] == [
        "F090W", "F200W", "F770W"
    ]  # fmt: skip
    assert (records["fits"]["imageInfo"]["width"], records["fits"]["imageInfo"]["height"]) == (
        cube.shape[2],
        cube.shape[1],
    )
    for plane in cube:
        offsets = sf.measured_offsets(plane, wcs)
        assert all(o is not None for o in offsets)
        assert max(offsets) < TOLERANCE, offsets
    picture = Image.open(io.BytesIO(files["png"]))
    assert picture.mode == "RGB" and picture.size == (cube.shape[2], cube.shape[1])
    # the brightest star is bright in all three colours (row 0 of the FITS is the PNG's bottom)
    sra, sdec = sf.star_sky()[0]
    x, y = (round(float(v)) for v in wcs.all_world2pix(sra, sdec, 0))
    assert min(np.asarray(picture)[cube.shape[1] - 1 - y, x]) > 100
    assert job["result"]["results"]["channels"][2]["color"] == "#ff3020"


def test_composite_requests_are_checked(api_server: ApiServer, field: dict) -> None:
    ids = [field["records"][n]["id"] for n in ("f090w", "f200w")]
    with api_server.client(api_server.token("onlooker")) as client:
        hidden = client.post("/api/composites", json={"recordIds": ids})
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    with api_server.client(None) as client:
        assert client.post("/api/composites", json={"recordIds": ids}).status_code == 401
    with api_server.client(field["token"]) as client:
        one = client.post("/api/composites", json={"recordIds": ids[:1]})
        twice = client.post("/api/composites", json={"recordIds": [ids[0], ids[0]]})
        colours = client.post(
            "/api/composites",
            json={"recordIds": ids, "parameters": {"channels": [{"color": "red"}, {}]}},
        )
        mixed = client.post("/api/mosaics", json={"recordIds": ids})
    for response in (one, twice, colours, mixed):
        assert response.status_code == 422, response.text
    assert "2 to 6" in one.json()["error"]["message"]
    assert "one filter" in mixed.json()["error"]["message"]


def test_mosaic_from_the_cli_keeps_stars_in_place(api_server: ApiServer, field: dict) -> None:
    ids = [field["records"][n]["id"] for n in ("west", "east")]
    result = subprocess.run(
        [sys.executable, "-m", "jwstdata", "mosaic", *ids, "--wait", "--json"],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "completed"
    with api_server.client(field["token"]) as client:
        _, records, files = _outputs(client, job["id"])
    assert records["fits"]["derivedFrom"] == ids and records["png"]["derivedFrom"] == ids
    assert records["fits"]["imageInfo"]["filter"] == "F150W"
    with fits.open(io.BytesIO(files["fits"])) as hdul:
        values, coverage = hdul["SCI"].data, hdul["COVERAGE"].data
        wcs = WCS(hdul["SCI"].header)
    with fits.open(field["files"]["west"]) as west, fits.open(field["files"]["east"]) as east:
        widths = [h["SCI"].data.shape[1] * 0.063 for h in (west, east)]
    assert values.shape[1] * 0.063 > max(widths)  # wider than either input
    assert coverage.max() == pytest.approx(2, abs=0.01)  # the overlap counts both
    offsets = sf.measured_offsets(values, wcs)
    assert sum(o is not None for o in offsets) >= 3
    assert max(o for o in offsets if o is not None) < TOLERANCE, offsets
    assert Image.open(io.BytesIO(files["png"])).size[0] > 0


def test_cli_composite_refuses_a_bad_request_in_one_line(
    api_server: ApiServer, field: dict
) -> None:
    ids = [field["records"][n]["id"] for n in ("f090w", "f200w")]
    result = subprocess.run(
        [sys.executable, "-m", "jwstdata", "composite", *ids, "--color", "#ff0000"],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "--color" in result.stderr
    assert "Traceback" not in result.stderr


def test_jobs_are_stored_once_per_request(api_server: ApiServer, field: dict) -> None:
    """Running the same composite again replaces its outputs rather than adding more."""
    ids = [field["records"][n]["id"] for n in ("f090w", "f770w")]
    jobs = JobRepository.for_database(api_server.handle)
    jobs.ensure_indexes()
    with api_server.client(field["token"]) as client:
        for _ in range(2):
            assert client.post("/api/composites", json={"recordIds": ids}).status_code == 202
            _work(api_server, "composite")
    found = list(
        api_server.repo.collection.find(
            {"metadata.algorithm": "composite", "metadata.inputs": ids}, {"_id": 1}
        )
    )
    assert len(found) == 2  # one FITS, one PNG
