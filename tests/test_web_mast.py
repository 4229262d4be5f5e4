"""The MAST and jobs pages end to end: headless Chromium, a real API server pointed at a
local MAST server, and one worker process doing the import."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mast_server import MastTestServer
from tests.plugins.api_server import ApiServer, start_server, stop_server
from tests.plugins.browser import WatchedPages, sign_in

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect

NIRCAM = "jw02733-o001_t001_nircam_clear-f444w"


@pytest.fixture(scope="module")
def mast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MastTestServer]:
    server = MastTestServer(tmp_path_factory.mktemp("mast-files")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def site(api_server: ApiServer, mast: MastTestServer) -> Iterator[ApiServer]:
    """The module's API server restarted with JWSTDATA_MAST_URL, plus one worker process
    (a short lease: its heartbeat, which reports the progress, comes every second)."""
    env = {**api_server.env, "JWSTDATA_MAST_URL": mast.url, "JWSTDATA_MAST_BACKOFF": "0.01"}
    process, url = start_server(env, api_server.log.with_name("server-web-mast.log"))
    worker_log = open(api_server.log.with_name("worker-web-mast.log"), "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jwstdata",
            "worker",
            "--poll-interval",
            "0.2",
            "--lease-seconds",
            "3",
        ],
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    api_server.create_user("mara")
    try:
        yield ApiServer(
            url=url,
            settings=api_server.settings,
            handle=api_server.handle,
            env=env,
            log=api_server.log,
        )
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        worker_log.close()
        stop_server(process)


@pytest.fixture
def page(browser: Browser, site: ApiServer) -> Iterator[Page]:
    pages = WatchedPages(browser, site.url)
    yield pages.new()
    pages.close()


def test_search_select_import_and_follow_the_job(
    page: Page, mast: MastTestServer, screenshot_dir: Path
) -> None:
    # Anonymous visitors may search but not import; the Jobs entry is for signed-in users.
    page.goto("/mast")
    expect(page.get_by_role("link", name="Sign in to import")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Sign in to import observations")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Jobs")
    ).to_have_count(0)

    sign_in(page, "mara")
    page.goto("/mast")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="MAST")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Jobs")).to_be_visible()
    page.get_by_role("radio", name="Observation id").check()
    page.get_by_role("textbox", name="Observation ids").fill(NIRCAM)
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#mast-status")).to_have_text("1 observation found.")
    row = page.locator("#mast-results tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(NIRCAM)
    import_button = page.get_by_role("button", name="Import selected")
    expect(import_button).to_be_disabled()
    page.get_by_label(f"Select {NIRCAM}").check()
    page.get_by_label("L3", exact=True).check()
    expect(import_button).to_be_enabled()
    page.screenshot(path=str(screenshot_dir / "mast.png"), full_page=True)

    mast.faults.slow_seconds = 4.0  # downloads run in parallel: slow each enough to reload mid-way
    mast.faults.slow_on = "download"
    try:
        import_button.click()
        expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f]{24}$"))
        job_url = page.url
        files = page.locator("#job-files")
        expect(files).to_have_text(re.compile(r"^\d+ of [1-9]\d*$"), timeout=30_000)
        page.reload()
        assert page.url == job_url
        expect(page.locator("#job-state")).to_have_text(re.compile(r"^(queued|running)$"))
        expect(files).to_have_text(re.compile(r"^\d+ of [1-9]\d*$"))
        expect(page.get_by_role("progressbar", name="Import progress")).to_be_visible()
    finally:
        mast.faults.slow_seconds = 0.0
    expect(page.locator("#job-state")).to_have_text("completed", timeout=120_000)
    expect(page.get_by_role("progressbar", name="Import progress")).to_have_attribute(
        "value", "100"
    )
    done = files.inner_text().split(" of ")
    assert done[0] == done[1]
    expect(page.locator("#job-failures")).to_contain_text("None.")
    expect(page.locator("#job-result")).to_contain_text("imported")
    expect(page.get_by_role("button", name="Cancel")).to_be_hidden()
    expect(page.get_by_role("button", name="Resume")).to_be_hidden()
    page.screenshot(path=str(screenshot_dir / "job.png"), full_page=True)

    # The jobs list shows it, and the imported record is in the library.
    page.goto("/jobs")
    job_id = job_url.rsplit("/", 1)[1]
    listed = page.locator("#jobs-table tbody tr", has=page.get_by_role("link", name=job_id))
    expect(listed).to_contain_text("completed")
    page.goto("/library")
    expect(page.locator("main")).to_contain_text("jw02733-o001")
