"""The astronomer's tools on the record page, in headless Chromium: the FITS header browser,
the composite/mosaic composer."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from jwstdata.root import Root
from jwstdata.services.jobs.registry import load_handlers
from tests import fitsfactory as ff
from tests import skyfield as sf
from tests.plugins.api_server import ApiServer
from tests.plugins.browser import WatchedPages

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect

BIG_STARS = [(100, 200, 5e4), (250, 450, 3e4), (200, 80, 2e4)]


def _big_image() -> np.ndarray:
    rng = np.random.default_rng(8)
    data = rng.normal(1.0, 0.3, (600, 300)).astype(np.float32)
    return data + ff.stars((600, 300), BIG_STARS, fwhm=3.0)


@pytest.fixture(scope="module")
def site(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    api_server.create_user("astro")
    folder = tmp_path_factory.mktemp("astro-web")
    image = ff.stars((80, 80), [(30, 40, 4e4), (60, 20, 1e4)], background=0.3)
    files = {
        "cal": ff.write_product(folder, "cal", data=image, extras=False),
        "blue": sf.field_image(folder, exposure="00011", filter="F090W", roll=20),
        "red": sf.field_image(folder, exposure="00012", filter="F444W", roll=120),
        "big": ff.write_product(
            folder, "cal", data=_big_image(), extras=False, dq=False, ids=ff.Ids(exposure="00013")
        ),
    }
    token = api_server.token("astro")
    records = api_server.upload_all(token, files)
    return {"token": token, "files": files, "records": records}


@pytest.fixture
def open_page(browser: Browser, api_server: ApiServer) -> Iterator[Callable[..., Page]]:
    """Pages signed in as astro; fails the test on script errors or CSP violations."""
    pages = WatchedPages(browser, api_server.url)
    yield functools.partial(pages.open, "astro")
    pages.close()


def test_header_browser_shows_every_card_of_the_chosen_hdu(
    open_page: Callable[..., Page], site: dict[str, Any], screenshot_dir: Path
) -> None:
    page = open_page()
    page.goto(f"/records/{site['records']['cal']['id']}")
    page.get_by_text("Show every card of an HDU").click()
    with fits.open(site["files"]["cal"]) as hdul:
        primary = len(hdul[0].header.cards)
        sci = hdul["SCI"].header
        sci_index = hdul.index_of("SCI")
    rows = page.locator("#header-cards tbody tr")
    expect(rows).to_have_count(primary)
    page.get_by_label("HDU").select_option(str(sci_index))
    expect(rows).to_have_count(len(sci.cards))
    page.get_by_label("Filter").fill("CRVAL1")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td")
    expect(cells.nth(0)).to_have_text("CRVAL1")
    assert float(cells.nth(1).inner_text()) == pytest.approx(sci["CRVAL1"])
    page.screenshot(path=str(screenshot_dir / "header-browser.png"), full_page=True)


def test_composer_queues_a_composite_of_the_chosen_images(
    open_page: Callable[..., Page], site: dict[str, Any], api_server: ApiServer
) -> None:
    blue, red = site["records"]["blue"], site["records"]["red"]
    page = open_page()
    page.goto(f"/records/{blue['id']}")
    page.get_by_text("Combine this image with others of the same target").click()
    expect(page.get_by_label(blue["fileName"], exact=True)).to_be_checked()
    page.get_by_label(red["fileName"], exact=True).check()
    page.get_by_label(f"Colour for {red['fileName']}").fill("#ff8800")
    page.get_by_role("button", name="Make colour composite").click()
    link = page.locator("#composer-job")
    expect(link).to_be_visible()
    job_id = link.inner_text().split()[-1]
    load_handlers()
    Root(api_server.settings, handle=api_server.handle).worker(kinds=["composite"]).run_once()
    with api_server.client(site["token"]) as client:
        job = client.get(f"/api/jobs/{job_id}").json()
    assert job["state"] == "completed", job
    assert job["params"]["recordIds"] == [blue["id"], red["id"]]
    assert job["params"]["parameters"]["channels"][1]["color"] == "#ff8800"
    assert {o["format"] for o in job["result"]["outputs"]} == {"fits", "png"}
    # the composer refuses a mosaic of two filters, with the API's message
    page.get_by_role("button", name="Make mosaic").click()
    expect(page.locator("#composer-status")).to_contain_text("one filter")


def test_sky_viewer_zooms_reads_pixels_and_draws_overlays(
    open_page: Callable[..., Page],
    site: dict[str, Any],
    api_server: ApiServer,
    screenshot_dir: Path,
) -> None:
    record = site["records"]["big"]
    with api_server.client(site["token"]) as client:
        queued = client.post(f"/api/data/{record['id']}/process", json={"algorithm": "sources"})
        assert queued.status_code == 202
        load_handlers()
        Root(api_server.settings, handle=api_server.handle).worker(kinds=["process"]).run_once()
        overlay = client.get(f"/api/data/{record['id']}/overlay/sources").json()
    with fits.open(site["files"]["big"]) as hdul:
        data = hdul["SCI"].data.astype(np.float64)
        wcs = WCS(hdul["SCI"].header)
    page = open_page()
    page.goto(f"/records/{record['id']}")
    page.get_by_text("Zoom and pan at full resolution").click()
    section = page.locator("[data-sky-viewer]")
    canvas = page.locator("#sky-canvas")
    expect(section).to_have_attribute("data-state", "ready")
    expect(canvas).to_have_attribute("data-level", "0")
    page.get_by_role("button", name="Zoom out").click()
    expect(canvas).to_have_attribute("data-level", "1")
    expect(section).to_have_attribute("data-state", "ready")

    # the compass points where astropy says north is (screen-up = +y in FITS pixels)
    cx, cy = (300 - 1) / 2, (600 - 1) / 2
    ra, dec = (float(v) for v in wcs.all_pix2world(cx, cy, 0))
    nx, ny = (float(v) for v in wcs.all_world2pix(ra, dec + 1 / 3600, 0))
    expected = float(np.degrees(np.arctan2(nx - cx, ny - cy)))
    assert abs(float(canvas.get_attribute("data-north")) - expected) < 0.5
    label, width = canvas.get_attribute("data-scale-bar").split(":")
    assert label.endswith(("\u2033", "\u2032"))  # seconds or minutes of arc
    assert 60 <= float(width) <= 400

    # typed limits re-render
    before = canvas.get_attribute("data-look")
    page.get_by_label("Min", exact=True).fill("0.5")
    page.get_by_label("Max", exact=True).fill("3")
    page.get_by_label("Max", exact=True).press("Enter")
    expect(canvas).to_have_attribute("data-look", re.compile(r"^0.5,3\|"))
    assert canvas.get_attribute("data-look") != before

    # full resolution: the value under the cursor is the file's pixel
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    expect(canvas).to_have_attribute("data-level", "0")
    expect(section).to_have_attribute("data-state", "ready")
    canvas.hover(position={"x": 300, "y": 200})
    text = page.locator("#sky-readout").inner_text()
    match = re.match(r"x (\d+), y (\d+): (\S+)", text)
    assert match, text
    x, y, value = int(match[1]), int(match[2]), float(match[3])
    assert value == pytest.approx(data[y - 1, x - 1], rel=1e-5)

    # detected sources drawn over the image
    page.get_by_role("button", name="Fit").click()
    page.get_by_label("Detected sources").check()
    expect(section).to_have_attribute("data-sources", str(len(overlay["sources"])))
    assert int(section.get_attribute("data-sources-shown")) >= 3
    section.screenshot(path=str(screenshot_dir / "sky-viewer.png"))
