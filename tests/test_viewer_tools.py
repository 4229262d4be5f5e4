"""The viewer's tools against real files: the RA/Dec grid follows astropy's WCS, region
statistics are numpy's on the same pixels, ECSV positions land on their pixels, and a second
image aligned by WCS shows its stars on the first image's pixels."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from jwstdata.errors import PayloadTooLargeError
from jwstdata.models import JwstDataModel
from jwstdata.services.align import PixelWindow, aligned_window
from jwstdata.services.regions import BoxRegion, region_stats
from jwstdata.services.tiles import TileCache
from jwstdata.storage import open_storage
from tests import fitsfactory as ff
from tests import skyfield as sf
from tests.plugins.api_server import ApiServer, decode_pixels

SHAPE = (600, 300)


def _image() -> np.ndarray:
    rng = np.random.default_rng(11)
    data = rng.normal(2.0, 0.7, SHAPE).astype(np.float32)
    data += ff.stars(SHAPE, [(100, 200, 5e4), (250, 450, 3e4)], fwhm=3.0)
    data[40:44, 60:70] = np.nan
    return data


def _wcs(path: Path) -> WCS:
    with fits.open(path) as hdul:
        return WCS(hdul["SCI"].header)


@pytest.fixture(scope="module")
def site(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    api_server.create_user("viewer")
    api_server.create_user("stranger")
    folder = tmp_path_factory.mktemp("viewer-tools")
    files = {
        "sip": ff.write_product(folder, "cal", data=_image(), extras=False, dq=False, sip=True),
        "first": sf.field_image(folder, exposure="00021", filter="F200W", roll=30),
        "second": sf.field_image(
            folder,
            exposure="00022",
            instrument="MIRI",
            filter="F770W",
            centre=(0.4, -0.3),
            roll=140,
            shape=(70, 70),
        ),
        "nowcs": ff.write_product(
            folder,
            "cal",
            data=_image(),
            extras=False,
            dq=False,
            wcs=False,
            ids=ff.Ids(exposure="00023"),
        ),
    }
    token = api_server.token("viewer")
    records = api_server.upload_all(token, files)
    ids = {name: record["id"] for name, record in records.items()}
    return {"token": token, "files": files, "ids": ids, "records": records}


# --- coordinate grid --------------------------------------------------------------------


@pytest.mark.parametrize(
    "window", [(-0.5, -0.5, 299.5, 599.5), (80.0, 150.0, 140.0, 230.0)], ids=["whole", "zoomed"]
)
def test_grid_lines_follow_the_wcs(api_server: ApiServer, site: dict, window: tuple) -> None:
    x0, y0, x1, y1 = window
    with api_server.client(site["token"]) as client:
        response = client.get(
            f"/api/data/{site['ids']['sip']}/overlay/grid",
            params={"x0": x0, "y0": y0, "x1": x1, "y1": y1},
        )
    assert response.status_code == 200, response.text
    grid = response.json()
    wcs = _wcs(site["files"]["sip"])
    assert grid["equatorial"] is True
    axes = [line["axis"] for line in grid["lines"]]
    assert 2 <= axes.count("ra") <= 12 and 2 <= axes.count("dec") <= 12
    for line in grid["lines"]:
        assert sf.grid_error(wcs, line) < 0.1, line["label"]
        ax, ay = line["anchor"]
        assert x0 <= ax <= x1 and y0 <= ay <= y1
    # round values, labelled sexagesimally: RA in whole seconds of time, Dec in arcseconds
    ra_lines = [line for line in grid["lines"] if line["axis"] == "ra"]
    step = grid["raStep"] * 240
    assert all(
        abs(line["value"] * 240 / step - round(line["value"] * 240 / step)) < 1e-6
        for line in ra_lines
    )
    assert all(line["label"].startswith("10h07m") for line in ra_lines)
    dec_labels = [line["label"] for line in grid["lines"] if line["axis"] == "dec"]
    assert all(label.startswith("\u221240\u00b0") for label in dec_labels)


def test_grid_needs_a_wcs_and_a_window(api_server: ApiServer, site: dict) -> None:
    window = {"x0": 0, "y0": 0, "x1": 10, "y1": 10}
    with api_server.client(site["token"]) as client:
        no_wcs = client.get(f"/api/data/{site['ids']['nowcs']}/overlay/grid", params=window)
        empty = client.get(
            f"/api/data/{site['ids']['sip']}/overlay/grid", params=window | {"x1": -5}
        )
    assert no_wcs.status_code == 422 and "celestial WCS" in no_wcs.json()["error"]["message"]
    assert empty.status_code == 422


# --- region statistics ------------------------------------------------------------------


def _expected(data: np.ndarray, inside: np.ndarray) -> dict[str, float]:
    values = data[inside].astype(np.float64)
    finite = values[np.isfinite(values)]
    return {
        "pixels": int(inside.sum()),
        "finite": int(finite.size),
        "sum": finite.sum(),
        "mean": finite.mean(),
        "median": np.median(finite),
        "std": finite.std(),
        "min": finite.min(),
        "max": finite.max(),
    }


@pytest.mark.parametrize(
    "region",
    [
        {"shape": "circle", "x": 100.3, "y": 200.6, "radius": 7.5},
        {"shape": "circle", "x": 65.0, "y": 42.0, "radius": 6.0},  # crosses the NaN patch
        {"shape": "box", "x0": 240.2, "y0": 430.0, "x1": 262.7, "y1": 471.5},
        {"shape": "box", "x0": 290.0, "y0": 590.0, "x1": 330.0, "y1": 640.0},  # the corner
    ],
    ids=["circle", "circle-nan", "box", "box-edge"],
)
def test_region_statistics_are_numpys(api_server: ApiServer, site: dict, region: dict) -> None:
    with api_server.client(site["token"]) as client:
        response = client.post(f"/api/data/{site['ids']['sip']}/region-stats", json=region)
    assert response.status_code == 200, response.text
    stats = response.json()
    with fits.open(site["files"]["sip"]) as hdul:
        data = hdul["SCI"].data.astype(np.float32)
        unit = hdul["SCI"].header["BUNIT"]
    rows, cols = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]]
    if region["shape"] == "circle":
        inside = (cols - region["x"]) ** 2 + (rows - region["y"]) ** 2 <= region["radius"] ** 2
        centre = (region["x"], region["y"])
    else:
        inside = (cols >= region["x0"]) & (cols <= region["x1"])
        inside &= (rows >= region["y0"]) & (rows <= region["y1"])
        centre = ((region["x0"] + region["x1"]) / 2, (region["y0"] + region["y1"]) / 2)
    expected = _expected(data, inside)
    assert stats["pixels"] == expected["pixels"] and stats["finite"] == expected["finite"]
    for key in ("sum", "mean", "median", "std", "min", "max"):
        assert stats[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-12), key
    assert stats["unit"] == unit and stats["extension"] == "SCI"
    sky = _wcs(site["files"]["sip"]).pixel_to_world(*centre)
    assert stats["sky"]["ra"] == pytest.approx(sky.ra.deg, abs=1e-9)
    assert stats["sky"]["dec"] == pytest.approx(sky.dec.deg, abs=1e-9)
    assert stats["sky"]["pixelScale"] == pytest.approx(0.063, rel=1e-3)


def test_region_requests_are_checked(api_server: ApiServer, site: dict) -> None:
    url = f"/api/data/{site['ids']['sip']}/region-stats"
    with api_server.client(api_server.token("stranger")) as client:
        hidden = client.post(url, json={"shape": "circle", "x": 5, "y": 5, "radius": 2})
    assert hidden.status_code == 404
    with api_server.client(site["token"]) as client:
        outside = client.post(url, json={"shape": "box", "x0": 400, "y0": 0, "x1": 500, "y1": 9})
        bad_radius = client.post(url, json={"shape": "circle", "x": 5, "y": 5, "radius": -1})
        bad_shape = client.post(url, json={"shape": "polygon", "x": 5})
        no_wcs = client.post(
            f"/api/data/{site['ids']['nowcs']}/region-stats",
            json={"shape": "circle", "x": 5, "y": 5, "radius": 2},
        )
    assert outside.status_code == 422 and "no pixel" in outside.json()["error"]["message"]
    assert bad_radius.status_code == 422 and bad_shape.status_code == 422
    assert no_wcs.status_code == 200 and no_wcs.json()["sky"] is None  # statistics still


def test_region_work_is_bounded(site: dict, api_server: ApiServer, tmp_path: Path) -> None:
    source = _source(api_server, site, "sip", tmp_path)
    with pytest.raises(PayloadTooLargeError, match="spans 10,000 pixels"):
        region_stats(source, BoxRegion(0, 0, 99, 99), max_pixels=9_999)
    assert region_stats(source, BoxRegion(0, 0, 99, 99), max_pixels=10_000)["pixels"] == 10_000


def _source(api_server: ApiServer, site: dict, name: str, folder: Path) -> Any:
    """The record's image opened the way the routes open it, for the service-level limits."""
    record = JwstDataModel.model_validate(site["records"][name])
    return TileCache(folder / "cache").source(open_storage(api_server.settings), record)


# --- ECSV catalogue overlay -------------------------------------------------------------


def _ecsv(table: Table) -> str:

    out = io.StringIO()
    table.write(out, format="ascii.ecsv")
    return out.getvalue()


def test_catalogue_positions_land_on_their_stars(api_server: ApiServer, site: dict) -> None:
    wcs = _wcs(site["files"]["first"])
    stars = sf.star_sky()
    ras, decs = [s[0] for s in stars], [s[1] for s in stars]
    names = [f"star-{i}" for i in range(len(stars))]
    tables = {
        "degrees": Table({"name": names, "RA": ras, "Dec": decs}),
        "hours": Table(
            {"id": names, "RAJ2000": [ra / 15 for ra in ras] * u.hourangle, "DEJ2000": decs * u.deg}
        ),
        "skycoord": Table({"label": names, "sky_centroid": SkyCoord(ras * u.deg, decs * u.deg)}),
        "by-unit": Table({"lon": ras * u.deg, "lat": decs * u.deg}),
    }
    with api_server.client(site["token"]) as client:
        for kind, table in tables.items():
            response = client.post(
                f"/api/data/{site['ids']['first']}/overlay/catalog", json={"ecsv": _ecsv(table)}
            )
            assert response.status_code == 200, (kind, response.text)
            overlay = response.json()
            assert overlay["rows"] == overlay["shown"] == len(stars)
            for point, (ra, dec) in zip(overlay["points"], stars, strict=True):
                x, y = wcs.world_to_pixel(SkyCoord(ra * u.deg, dec * u.deg))
                assert math.hypot(point["x"] - x, point["y"] - y) < 0.1, kind
                assert point["ra"] == pytest.approx(ra, abs=1e-9)
            assert overlay["inside"] == len(stars)
            if kind != "by-unit":
                assert [p["label"] for p in overlay["points"]] == names
    # the star's light is where the catalogue says: its centroid within 0.1 px
    with fits.open(site["files"]["first"]) as hdul:
        plane = hdul["SCI"].data
    assert max(o for o in sf.measured_offsets(plane, wcs) if o is not None) < 0.1


def test_catalogue_without_sky_columns_is_refused(api_server: ApiServer, site: dict) -> None:
    url = f"/api/data/{site['ids']['first']}/overlay/catalog"
    plain = _ecsv(Table({"flux": [1.0, 2.0], "name": ["a", "b"]}))
    with api_server.client(site["token"]) as client:
        no_columns = client.post(url, json={"ecsv": plain})
        not_ecsv = client.post(url, json={"ecsv": "ra,dec\n1,2\n"})
        no_wcs = client.post(
            f"/api/data/{site['ids']['nowcs']}/overlay/catalog",
            json={"ecsv": _ecsv(Table({"ra": [1.0], "dec": [2.0]}))},
        )
    assert no_columns.status_code == 422
    message = no_columns.json()["error"]["message"]
    assert "no sky position columns" in message and "flux, name" in message
    assert not_ecsv.status_code == 422 and "ECSV" in not_ecsv.json()["error"]["message"]
    assert no_wcs.status_code == 422


# --- blink: a second record aligned by WCS ----------------------------------------------


def test_aligned_image_puts_the_stars_on_the_first_images_pixels(
    api_server: ApiServer, site: dict
) -> None:
    first, second = site["ids"]["first"], site["ids"]["second"]
    with api_server.client(site["token"]) as client:
        response = client.get(
            f"/api/data/{first}/aligned",
            params={"other": second, "x0": 0, "y0": 0, "x1": 100, "y1": 100, "z": 0},
        )
        assert response.status_code == 200, response.text
        meta, aligned = decode_pixels(response.content)
        half = client.get(
            f"/api/data/{first}/aligned",
            params={"other": second, "x0": 10, "y0": 20, "x1": 90, "y1": 100, "z": 1},
        )
    assert meta["overlap"] and meta["factor"] == 1 and aligned.shape == (100, 100)
    wcs = _wcs(site["files"]["first"])
    offsets = [o for o in sf.measured_offsets(aligned, wcs) if o is not None]
    assert len(offsets) >= 3 and max(offsets) < 0.5, offsets
    half_meta, reduced = decode_pixels(half.content)
    assert reduced.shape == (40, 40) and half_meta["factor"] == 2
    # the reduced window's pixel (i, j) is the block centred on (10 + 2i + 0.5, 20 + 2j + 0.5)
    step_wcs = wcs[20:100:2, 10:90:2]
    assert max(o for o in sf.measured_offsets(reduced, step_wcs, half=3) if o is not None) < 0.5


def test_aligned_requests_are_checked(api_server: ApiServer, site: dict, tmp_path: Path) -> None:
    first, second = site["ids"]["first"], site["ids"]["second"]
    window = {"x0": 0, "y0": 0, "x1": 50, "y1": 50}
    with api_server.client(api_server.token("stranger")) as client:
        hidden = client.get(f"/api/data/{first}/aligned", params=window | {"other": second})
    with api_server.client(site["token"]) as client:
        bad_other = client.get(f"/api/data/{first}/aligned", params=window | {"other": "nope"})
        outside = client.get(
            f"/api/data/{first}/aligned",
            params={"other": second, "x0": 500, "y0": 0, "x1": 600, "y1": 10},
        )
        no_wcs = client.get(
            f"/api/data/{first}/aligned", params=window | {"other": site["ids"]["nowcs"]}
        )
    assert hidden.status_code == 404 and bad_other.status_code == 404
    assert outside.status_code == 422 and no_wcs.status_code == 422
    one, two = (_source(api_server, site, n, tmp_path) for n in ("first", "second"))
    with pytest.raises(PayloadTooLargeError, match="limit is 99"):
        aligned_window(one, two, PixelWindow(0, 0, 10, 10, 1), max_pixels=99)


def test_the_python_client_measures_and_places(api_server: ApiServer, site: dict) -> None:
    from jwstdata.client import Client

    with Client.login(api_server.url, "viewer", "correct horse battery") as jw:
        stats = jw.region_stats(site["ids"]["sip"], circle=(100.3, 200.6, 7.5))
        boxed = jw.region_stats(site["ids"]["sip"], box=(240.2, 430.0, 262.7, 471.5))
        ras, decs = zip(*sf.star_sky(), strict=True)
        placed = jw.place_catalogue(site["ids"]["first"], Table({"ra": ras, "dec": decs}))
    assert stats["pixels"] == 175 and stats["unit"] == "MJy/sr"  # centres within 7.5 px
    assert boxed["pixels"] == 22 * 42  # columns 241..262, rows 430..471
    wcs = _wcs(site["files"]["first"])
    x, y = wcs.world_to_pixel(SkyCoord(list(ras), list(decs), unit="deg"))
    np.testing.assert_allclose(placed["x"], x, atol=0.01)
    np.testing.assert_allclose(placed["y"], y, atol=0.01)
    assert all(placed["inside"])
