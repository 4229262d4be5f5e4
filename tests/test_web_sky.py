"""The sky page in headless Chromium: footprints of what you can see, hover, click, zoom
and pan, a circle drawn to search, a phone-width screen, no CSP violation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import fitsfactory as ff
from tests.factories import make_record
from tests.plugins.api_server import ApiServer
from tests.plugins.browser import WatchedPages

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    vera = api_server.create_user("vera")
    token = api_server.token("vera")
    # An uploaded file: its footprint comes from its header's S_REGION (the upload path).
    path = ff.write_product(
        tmp_path_factory.mktemp("sky"), "cal", ra=0.006, dec=-0.002, shape=(64, 64), extras=False
    )
    with api_server.client(token) as client:
        response = client.post(
            "/api/data/upload",
            files={"file": (path.name, path.read_bytes())},
            data={"isPublic": "false"},
        )
    assert response.status_code == 201, response.text
    uploaded = response.json()
    assert uploaded["sky"]["source"] == "s_region"
    repo = api_server.repo
    public = {
        name: repo.create(make_record(isPublic=True, metadata=metadata))
        for name, metadata in {
            "seam": {"s_region": "POLYGON ICRS 359.99 -0.01 0.01 -0.01 0.01 0.01 359.99 0.01"},
            "east": {"s_region": "POLYGON ICRS 0.05 0.0 0.06 0.0 0.06 0.01 0.05 0.01"},
            "star": {"targ_ra": 359.95, "targ_dec": 0.02},
        }.items()
    }
    return {"server": api_server, "uploaded": uploaded, "public": public, "vera": vera}


@pytest.fixture
def open_page(browser: Browser, site: dict[str, Any]) -> Iterator[Callable[..., Page]]:
    """Pages in fresh contexts (signed in as ``user``); fails the test on script errors or
    CSP violations."""
    pages = WatchedPages(browser, site["server"].url)
    yield pages.open
    pages.close()


def _client_point(page: Page, ra: float, dec: float) -> dict[str, float]:
    """Where a sky position is on the screen (the page's own projection)."""
    return page.evaluate(
        """([ra, dec]) => {
            const svg = document.getElementById("sky-map");
            const c = svg.skyToChart(ra, dec);
            const p = new DOMPoint(c.x, c.y).matrixTransform(svg.getScreenCTM());
            return {x: p.x, y: p.y};
        }""",
        [ra, dec],
    )


def _ids(page: Page, selector: str) -> set[str]:
    return set(page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.dataset.id)"))


def test_the_sky_shows_what_each_caller_may_see(
    open_page: Callable[..., Page], site: dict[str, Any]
) -> None:
    public = {str(r.id) for r in site["public"].values()}
    anonymous = open_page()
    anonymous.goto("/sky")
    expect(anonymous.get_by_role("heading", name="Sky")).to_be_visible()
    assert _ids(anonymous, ".sky-item") == public
    vera = open_page("vera")
    vera.goto("/sky")
    assert _ids(vera, ".sky-item") == public | {site["uploaded"]["id"]}
    # the axes are drawn: Dec labels in degrees
    expect(vera.locator("#sky-grid text").first).to_contain_text("°")


def test_hover_shows_the_file_and_click_opens_the_record(
    open_page: Callable[..., Page], site: dict[str, Any]
) -> None:
    page = open_page()
    page.goto("/sky")
    east = site["public"]["east"]
    item = page.locator(f'.sky-item[data-id="{east.id}"]')
    item.hover()
    tooltip = page.locator("#sky-tooltip")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(east.file_name)
    with page.expect_navigation():
        item.click()
    assert page.url.endswith(f"/records/{east.id}")
    expect(page.get_by_text(east.file_name).first).to_be_visible()
    # the record page says where it is
    expect(page.get_by_text(f"{east.sky.ra:.5f}°, {east.sky.dec:+.5f}°")).to_be_visible()


def test_zoom_and_pan_move_the_view(open_page: Callable[..., Page]) -> None:
    page = open_page()
    page.goto("/sky")
    svg = page.locator("#sky-map")
    start = [float(v) for v in svg.get_attribute("viewBox").split()]
    page.get_by_role("button", name="Zoom in").click()
    zoomed = [float(v) for v in svg.get_attribute("viewBox").split()]
    assert zoomed[2] < start[2] and zoomed[3] < start[3]
    box = svg.bounding_box()
    x, y = box["x"] + 20, box["y"] + box["height"] - 20  # an empty corner, not a footprint
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y - 30, steps=5)
    page.mouse.up()
    panned = [float(v) for v in svg.get_attribute("viewBox").split()]
    assert panned[0] < zoomed[0] and panned[1] > zoomed[1] and panned[2] == zoomed[2]
    assert page.url.endswith("/sky")  # a drag is not a click
    page.get_by_role("button", name="Reset view").click()
    assert [float(v) for v in svg.get_attribute("viewBox").split()] == start
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 300)
    assert float(svg.get_attribute("viewBox").split()[2]) > start[2]


def test_a_circle_drawn_on_the_sky_searches_it(
    open_page: Callable[..., Page], site: dict[str, Any]
) -> None:
    page = open_page("vera")
    page.goto("/sky")
    page.get_by_role("button", name="Draw a circle to search").click()
    expect(page.get_by_role("button", name="Draw a circle to search")).to_have_attribute(
        "aria-pressed", "true"
    )
    # centre at RA 0 (the seam), edge 0.012 degrees west: the seam polygon and the
    # uploaded file overlap it, "east" (0.05) and the star (359.95) do not
    centre = _client_point(page, 0.0, 0.0)
    edge = _client_point(page, 0.012, 0.0)
    page.mouse.move(centre["x"], centre["y"])
    page.mouse.down()
    page.mouse.move(edge["x"], edge["y"], steps=6)
    page.mouse.up()
    results = page.locator("#sky-results-list li")
    expect(page.locator("#sky-results")).to_be_visible()
    expect(results).to_have_count(2)
    listed = set(page.eval_on_selector_all("#sky-results-list a", "a => a.map(x => x.href)"))
    expected = {str(site["public"]["seam"].id), site["uploaded"]["id"]}
    assert {href.rsplit("/", 1)[-1] for href in listed} == expected
    assert _ids(page, ".sky-item.match") == expected
    assert page.url.endswith("/sky")  # drawing over a footprint does not open it


def test_phone_width_has_no_horizontal_scroll(
    open_page: Callable[..., Page], screenshot_dir: Path
) -> None:
    page = open_page("vera", viewport=PHONE)
    page.goto("/sky")
    expect(page.locator("#sky-map")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    width = page.locator("#sky-map").bounding_box()["width"]
    assert 300 <= width <= 390
    page.screenshot(path=str(screenshot_dir / "sky-phone.png"), full_page=True)
