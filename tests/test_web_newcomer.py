"""A newcomer's pages in headless Chromium: offline API docs, phones, processing from the
record page, readable jobs and results, honest statuses and owners, lineage details.

One module-scoped site: nina uploads one NIRCam observation (uncal → rate → cal for one
detector, cals of two more detectors, their i2d and the run's association file) and a
catalogue of records fills the library; an administrator ingests a public raw file from
the command line (no owner). A processing worker runs in the test when a job must finish.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import fitsfactory as ff
from tests.factories import make_record
from tests.plugins.api_server import ApiServer
from tests.plugins.browser import LAPTOP, WatchedPages

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect

from jwstdata.root import Root
from jwstdata.services.processing_jobs import KIND as PROCESS

OBSERVATION = "jw02733-o001_t001_nircam"
RUN = "jw02733-o001"
PHONE = {"width": 390, "height": 844}
DETECTORS = ("NRCA1", "NRCA2", "NRCA3")
# ReDoc's bundle shows Redocly's logo from their CDN; the docs' policy blocks it (the only
# outside reference), and ReDoc drops the image when it does not load.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture(scope="module")
def site(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    nina = api_server.create_user("nina")
    folder = tmp_path_factory.mktemp("newcomer")
    image = ff.stars((64, 64), [(20, 30, 4e4), (44, 12, 1.5e4), (40, 50, 8e3)], background=0.3)
    optics = {"filter": "F444W", "pupil": "CLEAR", "extras": False}
    files: dict[str, Path] = {}
    for level in ("uncal", "rate"):
        files[level] = ff.write_product(
            folder / ff.exposure_name(level, detector="nrca1"),
            level,
            detector="NRCA1",
            shape=(1, 2, 8, 8) if level == "uncal" else (16, 16),
            **optics,
        )
    for detector in DETECTORS:
        files[f"cal-{detector}"] = ff.write_product(
            folder / ff.exposure_name("cal", detector=detector.lower()),
            "cal",
            detector=detector,
            data=image,
            **optics,
        )
    files["i2d"] = ff.write_product(
        folder / ff.source_name("i2d", optical=("F444W", "CLEAR")),
        "i2d",
        stage3=True,
        data=image,
        **optics,
    )
    asn = folder / f"{RUN}_20220713t004107_image3_00001_asn.json"
    members = [
        {"expname": ff.exposure_name("cal", detector=d.lower()), "exptype": "science"}
        for d in DETECTORS
    ]
    product = ff.source_name("i2d", optical=("F444W", "CLEAR")).removesuffix("_i2d.fits")
    asn.write_text(
        json.dumps(
            {
                "asn_type": "image3",
                "asn_id": "o001",
                "products": [{"name": product, "members": members}],
            }
        )
    )
    files["asn"] = asn
    token = api_server.token("nina")
    records = api_server.upload_all(token, files)
    catalogue = [
        make_record(
            userId=nina.id,
            fileName=f"jw01234001001_02101_{n:05d}_mirimage_with_a_long_descriptive_name_cal.fits",
            imageInfo={
                "targetName": "NGC-3132-SOUTHERN-RING-NEBULA",
                "instrument": "MIRI",
                "filter": ["F770W", "F1130W", "F1800W"][n % 3],
            },
        )
        for n in range(30)
    ]
    assert not api_server.repo.bulk_insert(catalogue).failed
    # An administrator's command-line ingest of a public raw file: nobody owns it.
    public = tmp_path_factory.mktemp("public") / ff.exposure_name(
        "uncal", ids=ff.Ids(program="05555"), detector="nrcb1"
    )
    ff.write_product(public, "uncal", detector="NRCB1", shape=(1, 2, 8, 8), extras=False)
    ingest = subprocess.run(
        [sys.executable, "-m", "jwstdata", "ingest", "--public", "--json", str(public)],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ingest.returncode == 0, ingest.stderr
    found = api_server.repo.collection.find_one({"fileName": public.name})
    records["public"] = {"id": str(found["_id"]), "fileName": public.name}
    return {"server": api_server, "records": records, "files": files, "token": token}


@pytest.fixture(scope="module")
def sessions() -> dict[str, Any]:
    return {}


@pytest.fixture
def open_page(
    browser: Browser, site: dict[str, Any], sessions: dict[str, Any]
) -> Iterator[Callable[..., Page]]:
    """Pages in fresh contexts; fails the test on script errors or CSP violations."""
    server: ApiServer = site["server"]
    pages = WatchedPages(browser, server.url, timeout_ms=20_000, ignore_console=(REDOC_LOGO,))

    def only_local(route: Any) -> None:
        """Nothing but the server itself: a CDN request fails the test."""
        if route.request.url.startswith(server.url):
            route.continue_()
            return
        if route.request.url != REDOC_LOGO:
            pages.problems.append(f"outside request: {route.request.url}")
        route.abort()

    def new_page(
        user: str | None = None, viewport: dict[str, int] = LAPTOP, offline: bool = False
    ) -> Page:
        page = pages.open(user, viewport, sessions=sessions)
        if offline:
            page.context.route("**/*", only_local)
        return page

    yield new_page
    pages.close()


WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth)
    .slice(0, 8)
    .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def no_sideways_scroll(page: Page) -> bool:
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, (
        page.url,
        page.evaluate("document.documentElement.scrollWidth"),
        page.evaluate(WIDE_ELEMENTS),
    )
    return fits


def run_worker(server: ApiServer) -> None:
    """Run every queued processing job with a real worker on the server's database."""
    worker = Root(server.settings, handle=server.handle).worker(kinds=[PROCESS])
    while worker.run_once() is not None:
        pass


# --- API documentation offline ----------------------------------------------------------------
def test_swagger_ui_and_redoc_render_without_a_network(
    open_page: Callable[..., Page], screenshot_dir: Path
) -> None:
    page = open_page(offline=True)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock").count() > 20
    expect(page.locator(".swagger-ui")).to_contain_text("/api/data/{record_id}/process")
    icon = page.locator("link[rel~='icon']").first.get_attribute("href")
    assert icon and icon.startswith("/"), icon
    assert page.evaluate("url => fetch(url).then(r => r.status)", icon) == 200
    page.screenshot(path=str(screenshot_dir / "docs-offline.png"))

    page.goto("/redoc")
    expect(page.get_by_role("heading", name=re.compile("Queue an algorithm run"))).to_be_visible()


# --- phones -------------------------------------------------------------------------------------
def test_library_fits_a_phone_with_results_first(
    open_page: Callable[..., Page], screenshot_dir: Path
) -> None:
    page = open_page("nina", viewport=PHONE)
    page.goto("/library")
    expect(page.locator(".results-count")).to_contain_text("records")
    assert no_sideways_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    # The filters are one folded line; the results start on the first screen.
    expect(page.locator("#facets-panel")).not_to_have_attribute("open", "")
    expect(page.locator("fieldset[data-facet='instrument']")).to_be_hidden()
    first_row = page.locator("table.records tbody tr").first.bounding_box()
    assert first_row and first_row["y"] < PHONE["height"], first_row
    page.screenshot(path=str(screenshot_dir / "library-phone.png"), full_page=True)
    page.locator("#facets-panel > summary").click()
    expect(page.locator("fieldset[data-facet='instrument']")).to_be_visible()
    assert no_sideways_scroll(page)
    page.locator("fieldset[data-facet='instrument'] input[value='MIRI']").check()
    expect(page).to_have_url(re.compile(r"instrument=MIRI"))
    assert no_sideways_scroll(page)

    wide = open_page("nina", viewport=LAPTOP)
    wide.goto("/library")
    expect(wide.locator("fieldset[data-facet='instrument']")).to_be_visible()
    expect(wide.locator("#facets-panel > summary")).to_be_hidden()


CROSSINGS = """() => {
    // Points along each link that fall inside a card other than the link's two ends.
    const nodes = [...document.querySelectorAll('#lineage .node')]
        .map(n => [n.dataset.id, n.getBoundingClientRect()]);
    const svg = document.querySelector('svg.lineage-links').getBoundingClientRect();
    const hits = [];
    for (const path of document.querySelectorAll('svg.lineage-links path')) {
        const length = path.getTotalLength();
        for (let d = 0; d <= length; d += 2) {
            const p = path.getPointAtLength(d);
            const x = svg.left + p.x, y = svg.top + p.y;
            for (const [id, r] of nodes) {
                if (id === path.dataset.parent || id === path.dataset.child) continue;
                const inside = x > r.left + 1 && x < r.right - 1 && y > r.top + 1;
                if (inside && y < r.bottom - 1) hits.push(id);
            }
        }
    }
    return [...new Set(hits)];
}"""


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_lineage_links_never_cross_cards(
    open_page: Callable[..., Page], screenshot_dir: Path, viewport: dict[str, int]
) -> None:
    page = open_page("nina", viewport=viewport)
    page.goto(f"/observations/{OBSERVATION}")
    lineage = page.locator("#lineage")
    expect(lineage).to_have_attribute("data-links", "5")  # rate<-uncal, cal<-rate, i2d<-3 cals
    assert no_sideways_scroll(page)
    assert page.evaluate(CROSSINGS) == []
    expected = "stacked" if viewport is PHONE else "columns"
    expect(lineage).to_have_attribute("data-layout", expected)
    page.screenshot(path=str(screenshot_dir / f"lineage-{expected}.png"), full_page=True)


def test_links_into_a_stage3_product_end_apart(
    open_page: Callable[..., Page], site: dict[str, Any]
) -> None:
    page = open_page("nina")
    page.goto(f"/observations/{OBSERVATION}")
    i2d = site["records"]["i2d"]["id"]
    ends = page.evaluate(
        """id => [...document.querySelectorAll(`svg.lineage-links path[data-child='${id}']`)]
            .map(p => { const e = p.getPointAtLength(p.getTotalLength()); return [e.x, e.y]; })""",
        i2d,
    )
    assert len(ends) == 3
    ys = sorted(y for _, y in ends)
    assert all(b - a > 4 for a, b in itertools.pairwise(ys)), ends
    card = page.locator(f"#node-{i2d}").bounding_box()
    svg = page.locator("svg.lineage-links").bounding_box()
    assert card and svg
    assert all(card["y"] <= svg["y"] + y <= card["y"] + card["height"] for _, y in ends)


def test_record_page_fits_a_phone(open_page: Callable[..., Page], site: dict[str, Any]) -> None:
    page = open_page("nina", viewport=PHONE)
    page.goto(f"/records/{site['records']['cal-NRCA1']['id']}")
    expect(page.locator("[data-viewer]")).to_have_attribute("data-state", "ready")
    assert no_sideways_scroll(page), page.evaluate("document.documentElement.scrollWidth")


# --- lineage details ----------------------------------------------------------------------------
def test_association_files_join_their_products_observation(
    open_page: Callable[..., Page], site: dict[str, Any]
) -> None:
    page = open_page("nina")
    page.goto(f"/observations/{OBSERVATION}")
    asn = site["records"]["asn"]
    expect(page.locator("#level-unknown")).to_have_count(0)
    section = page.locator("section.lineage-associations")
    expect(section.get_by_role("link", name=asn["fileName"])).to_be_visible()
    # The run id the file carries leads to the same page, not an observation of its own.
    page.goto(f"/observations/{RUN}")
    expect(page).to_have_url(re.compile(f"/observations/{OBSERVATION}$"))
    page.goto("/observations")
    expect(page.locator(f"a[href='/observations/{RUN}']")).to_have_count(0)
    expect(page.locator(f"a[href='/observations/{OBSERVATION}']")).to_have_count(1)


def test_instrument_card_reads_the_detector(
    open_page: Callable[..., Page], site: dict[str, Any]
) -> None:
    page = open_page("nina")
    for detector in ("NRCA2", "NRCA3"):
        page.goto(f"/records/{site['records'][f'cal-{detector}']['id']}")
        card = page.locator("section.meta", has=page.get_by_role("heading", name="Instrument"))
        expect(card.locator("div", has=page.locator("dt", has_text="Detector"))).to_contain_text(
            detector
        )
    page.goto(f"/records/{site['records']['i2d']['id']}")  # a stage-3 blend of three
    card = page.locator("section.meta", has=page.get_by_role("heading", name="Instrument"))
    expect(card.locator("div", has=page.locator("dt", has_text="Detector"))).to_contain_text(
        "multiple"
    )


# --- statuses and owners ------------------------------------------------------------------------
def test_statuses_and_owners_say_what_is_true(
    open_page: Callable[..., Page], site: dict[str, Any]
) -> None:
    server: ApiServer = site["server"]
    public = site["records"]["public"]
    with server.client(site["token"]) as client:
        raw = client.get(f"/api/data/{public['id']}").json()
        uncal = client.get(f"/api/data/{site['records']['uncal']['id']}").json()
        bare = client.post(
            "/api/data", json={"fileName": "notes_without_a_file.txt", "dataType": "metadata"}
        )
        assert bare.status_code == 201, bare.text
    # Nothing was queued for the raw files, nor for a record without a file: not "pending".
    assert raw["processingStatus"] == "completed"
    assert uncal["processingStatus"] == "completed"
    assert bare.json()["processingStatus"] == "completed"
    page = open_page("nina")
    page.goto(f"/records/{public['id']}")
    expect(page.locator(".record-head .status")).to_have_text("ready")
    access = page.locator("section.meta", has=page.get_by_role("heading", name="Access"))
    expect(access).to_contain_text("nobody (added by an administrator)")
    expect(access).not_to_contain_text("MAST")
    expect(page.get_by_role("heading", name="MAST", exact=True)).to_have_count(0)
    metadata = page.locator("section.meta", has=page.get_by_role("heading", name="Metadata"))
    expect(metadata).to_contain_text("NRCB1")
    # Queuing a job makes a record pending (queued) until a worker has run it.
    with server.client(site["token"]) as client:
        queued = client.post(
            f"/api/data/{site['records']['rate']['id']}/process", json={"algorithm": "statistics"}
        )
        assert queued.status_code == 202, queued.text
        assert (
            client.get(f"/api/data/{site['records']['rate']['id']}").json()["processingStatus"]
            == "pending"
        )
    page.goto(f"/records/{site['records']['rate']['id']}")
    expect(page.locator(".record-head .status")).to_have_text("queued")
    run_worker(server)
    page.reload()
    expect(page.locator(".record-head .status")).to_have_text("ready")
    # The library's status filter reads the same words (its values stay the API's).
    page.goto("/library")
    status = page.locator("fieldset[data-facet='processingStatus']")
    expect(status.locator("label", has=page.locator("input[value='completed']"))).to_contain_text(
        "ready"
    )
    expect(status.locator("label", has=page.locator("input[value='pending']"))).to_contain_text(
        "queued"
    )


# --- processing from the record page, readable jobs -------------------------------------------
def test_run_from_the_record_page_and_read_the_job(
    open_page: Callable[..., Page], site: dict[str, Any], screenshot_dir: Path
) -> None:
    server: ApiServer = site["server"]
    cal = site["records"]["cal-NRCA1"]
    anonymous = open_page()
    anonymous.goto(f"/records/{cal['id']}")
    expect(anonymous.get_by_role("button", name="Run")).to_have_count(0)

    page = open_page("nina")
    page.goto(f"/records/{cal['id']}")
    page.get_by_label("Algorithm").select_option("sources")
    page.get_by_role("button", name="Run").click()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f]{24}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Processing: sources")
    expect(page.locator("#job-record").get_by_role("link", name=cal["fileName"])).to_be_visible()
    expect(page.get_by_role("progressbar", name="Processing progress")).to_be_visible()
    for mast_only in ("#job-files", "#job-bytes", "#job-failures"):
        expect(page.locator(mast_only)).to_have_count(0)
    run_worker(server)  # the open page reloads once the job has finished
    expect(page.locator("#job-state")).to_have_text("completed")
    result = page.locator("#job-result")
    expect(result.locator("dt", has_text="Detected")).to_be_visible()
    expect(result.locator("table.result-table caption")).to_contain_text("Brightest")
    expect(result.locator("table.result-table thead")).to_contain_text("Flux (")
    assert "{'" not in result.inner_text() and "[{" not in result.inner_text()
    output = page.locator("#job-outputs a").first
    expect(output).to_contain_text("_sources.ecsv")
    page.screenshot(path=str(screenshot_dir / "job-processing.png"), full_page=True)
    output.click()
    expect(page.locator("h1")).to_contain_text("_sources.ecsv")

    page.goto("/jobs")
    row = page.locator("#jobs-table tbody tr[data-kind='process']").first
    expect(row).to_contain_text("Processing")
    expect(row).to_contain_text("sources on")
    expect(row.get_by_role("link", name=cal["fileName"])).to_be_visible()
    job_url = row.get_by_role("link").first.get_attribute("href")

    page.goto(f"/records/{cal['id']}")
    results = page.locator("article.result[data-algorithm='sources']")
    expect(results.locator("dt", has_text="Detected")).to_be_visible()
    expect(results.get_by_role("link", name=re.compile(r"_sources\.ecsv$"))).to_be_visible()
    expect(results).not_to_contain_text("{'")

    phone = open_page("nina", viewport=PHONE)  # results, tables and jobs fit a phone too
    for path in (f"/records/{cal['id']}", job_url, "/jobs"):
        phone.goto(path)
        assert no_sideways_scroll(phone), path


def test_run_refuses_an_unknown_algorithm_without_a_job(
    open_page: Callable[..., Page], site: dict[str, Any]
) -> None:
    page = open_page("nina")
    cal = site["records"]["cal-NRCA2"]
    page.goto(f"/records/{cal['id']}")
    page.locator("#run-algorithm").evaluate(
        "select => { select.options[0].value = 'no-such-algorithm'; }"
    )
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("alert")).to_contain_text("no-such-algorithm")
    # Without the form's CSRF token the same post is refused.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    forged = httpx.post(
        f"{site['server'].url}/records/{cal['id']}/process",
        data={"algorithm": "statistics"},
        cookies=cookies,
        headers={"Origin": site["server"].url},
    )
    assert forged.status_code == 403


def test_every_page_fits_a_phone(open_page: Callable[..., Page], site: dict[str, Any]) -> None:
    page = open_page("nina", viewport=PHONE)
    for path in (
        "/library",
        "/library?view=grid",
        "/observations",
        f"/observations/{OBSERVATION}",
        f"/records/{site['records']['asn']['id']}",
        f"/records/{site['records']['public']['id']}",
        "/upload",
        "/mast",
        "/jobs",
    ):
        page.goto(path)
        no_sideways_scroll(page)
