"""The viewer's astronomer tools in headless Chromium: the RA/Dec grid toggles, a drawn box
gets the statistics of its pixels, an ECSV catalogue lands on the stars, and another image
of the field blinks in aligned."""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from tests import skyfield as sf
from tests.plugins.api_server import ApiServer
from tests.plugins.browser import WatchedPages

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect


@pytest.fixture(scope="module")
def site(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    api_server.create_user("blinker")
    folder = tmp_path_factory.mktemp("viewer-tools-web")
    files = {
        "first": sf.field_image(folder, exposure="00031", filter="F200W", roll=30,
                                shape=(160, 160)),
        "second": sf.field_image(folder, exposure="00032", filter="F444W", centre=(0.3, -0.2),
                                 roll=150, shape=(120, 120)),
    }  # fmt: skip
    token = api_server.token("blinker")
    records = api_server.upload_all(token, files)
    return {"token": token, "files": files, "records": records}


@pytest.fixture
def open_page(browser: Browser, api_server: ApiServer) -> Iterator[Callable[..., Page]]:
    """Pages signed in as blinker; fails the test on script errors or CSP violations."""
    pages = WatchedPages(browser, api_server.url)
    yield functools.partial(pages.open, "blinker")
    pages.close()


def _stat(page: Page, key: str) -> float:
    text = page.locator(f'#sky-region-stats td[data-stat="{key}"]').inner_text()
    return float(text.split()[0])


def test_grid_region_catalogue_and_blink(
    open_page: Callable[..., Page], site: dict[str, Any], screenshot_dir: Path
) -> None:
    record = site["records"]["first"]
    page = open_page()
    page.goto(f"/records/{record['id']}")
    page.get_by_text("Zoom and pan at full resolution").click()
    section = page.locator("[data-sky-viewer]")
    canvas = page.locator("#sky-canvas")
    expect(section).to_have_attribute("data-state", "ready")

    # the grid: lines from the server, drawn and removed
    page.get_by_label("RA/Dec grid").check()
    expect(section).to_have_attribute("data-grid-lines", re.compile(r"^[1-9]\d*$"))
    assert int(section.get_attribute("data-grid-lines")) >= 4
    page.get_by_label("RA/Dec grid").uncheck()
    expect(section).not_to_have_attribute("data-grid-lines", re.compile(".*"))

    # a box drawn with the mouse: the table shows numpy's statistics of those pixels
    page.get_by_label("Mouse").select_option("box")
    box = canvas.bounding_box()
    assert box is not None
    left, top = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.3
    page.mouse.move(left, top)
    page.mouse.down()
    page.mouse.move(left + 60, top + 40, steps=5)
    page.mouse.move(left + 120, top + 90, steps=5)
    page.mouse.up()
    expect(page.locator("#sky-region-stats")).to_be_visible()
    region = json.loads(section.get_attribute("data-region"))
    assert region["shape"] == "box"
    with fits.open(site["files"]["first"]) as hdul:
        data = hdul["SCI"].data.astype(np.float64)
        unit = hdul["SCI"].header["BUNIT"]
    rows, cols = np.mgrid[0 : data.shape[0], 0 : data.shape[1]]
    x0, x1 = sorted((region["x0"], region["x1"]))
    y0, y1 = sorted((region["y0"], region["y1"]))
    inside = (cols >= x0) & (cols <= x1) & (rows >= y0) & (rows <= y1)
    values = data[inside]
    assert int(page.locator('td[data-stat="pixels"]').inner_text()) == values.size > 100
    assert _stat(page, "mean") == pytest.approx(values.mean(), rel=1e-5)
    assert _stat(page, "max") == pytest.approx(values.max(), rel=1e-5)
    assert unit in page.locator('td[data-stat="median"]').inner_text()
    expect(page.locator('td[data-stat="ra"]')).to_contain_text("10:07:")
    page.get_by_label("Mouse").select_option("pan")

    # an ECSV catalogue: every star on the image, and a table without positions refused
    stars = sf.star_sky()
    table = Table(
        {"name": [f"s{i}" for i in range(len(stars))], "RA": [s[0] for s in stars],
         "Dec": [s[1] for s in stars]}
    )  # fmt: skip
    text = io.StringIO()
    table.write(text, format="ascii.ecsv")
    page.get_by_label("or paste the table").fill(text.getvalue())
    page.get_by_role("button", name="Overlay catalogue").click()
    expect(section).to_have_attribute("data-catalog-points", str(len(stars)))
    expect(page.locator("#sky-catalog-status")).to_contain_text(f"{len(stars)} on the image")
    page.get_by_label("RA/Dec grid").check()
    expect(section).to_have_attribute("data-grid-lines", re.compile(r"^[1-9]\d*$"))
    section.screenshot(path=str(screenshot_dir / "sky-viewer-tools.png"))
    page.get_by_label("or paste the table").fill(
        "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: flux, datatype: float64}\nflux\n1.0\n"
    )
    page.get_by_role("button", name="Overlay catalogue").click()
    expect(page.locator("#sky-catalog-status")).to_contain_text("no sky position columns")

    # blink: the other image, reprojected onto this one's pixels
    other = site["records"]["second"]
    page.get_by_label("Compare with").select_option(other["id"])
    page.get_by_role("button", name="Show the other image").click()
    expect(section).to_have_attribute("data-aligned", "overlap")
    expect(section).to_have_attribute("data-blink", "other")
    section.screenshot(path=str(screenshot_dir / "sky-viewer-blink.png"))
    page.get_by_role("button", name="Show this image").click()
    expect(section).to_have_attribute("data-blink", "this")
    page.get_by_label("Blink", exact=True).check()
    expect(section).to_have_attribute("data-blink", "other")
    expect(section).to_have_attribute("data-blink", "this")
    page.get_by_label("Blink", exact=True).uncheck()
