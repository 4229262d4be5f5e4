"""The web dashboard end to end: a real server, its database, and headless Chromium.

One module-scoped site: alice owns a small observation (uncal → rate → cal → i2d, linked by
the upload service), a spectrum and a few dozen catalogue records; bob is a second user;
root is an administrator. Every test opens its own browser context (its own cookies).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from tests import fitsfactory as ff
from tests.factories import make_record
from tests.plugins.api_server import PASSWORD, ApiServer
from tests.plugins.browser import LAPTOP, WatchedPages, sign_in

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect

OBSERVATION = "jw02733-o001_t001_nircam"
CATALOGUE_OBSERVATION = "jw01234-o002_t001_miri"
TABLET = {"width": 800, "height": 1100}


@dataclass
class Site:
    server: ApiServer
    files: dict[str, Path]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url


def _upload(server: ApiServer, token: str, path: Path, **form: str) -> dict[str, Any]:
    with server.client(token) as client:
        response = client.post(
            "/api/data/upload", files={"file": (path.name, path.read_bytes())}, data=form
        )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def site(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Site:
    alice = api_server.create_user("alice")
    api_server.create_user("bob")
    api_server.create_user("root", admin=True)
    folder = tmp_path_factory.mktemp("web-files")
    image = ff.stars((96, 96), [(30, 40, 4e4), (70, 20, 1.5e4), (55, 75, 8e3)], background=0.3)
    files = {
        "uncal": ff.write_product(folder, "uncal", extras=False),
        "rate": ff.write_product(folder, "rate", extras=False),
        "cal": ff.write_product(folder, "cal", data=image, extras=False),
        "i2d": ff.write_product(folder, "i2d", stage3=True, data=image, extras=False),
        "x1d": ff.write_product(folder, "x1d", instrument="NIRSPEC", extras=False),
    }
    upload_dir = folder / "to-upload"
    upload_dir.mkdir()
    files["new"] = ff.write_product(
        upload_dir, "cal", instrument="MIRI", ids=ff.Ids(program="04444"), extras=False
    )
    current = Site(api_server, files)
    token = api_server.token("alice")
    for name in ("uncal", "rate", "cal", "i2d", "x1d"):
        current.records[name] = _upload(api_server, token, files[name], tags="seed")
    catalogue = [
        make_record(
            userId=alice.id,
            observationBaseId=CATALOGUE_OBSERVATION,
            isPublic=n % 5 == 0,
            isViewable=False,
            imageInfo={
                "targetName": "NGC-3132",
                "instrument": "MIRI" if n % 3 == 0 else "NIRCAM",
                "filter": ["F770W", "F444W", "F090W"][n % 3],
                "observationDate": f"2022-07-{1 + n % 28:02d}T00:00:00Z",
            },
        )
        for n in range(36)
    ]
    report = api_server.repo.bulk_insert(catalogue)
    assert not report.failed
    return current


@pytest.fixture(scope="module")
def signed_in() -> dict[str, Any]:
    """Sessions (cookies) by user, reused across the module's tests: the server rate-limits
    sign-ins per client, and every test signing in afresh would reach that limit."""
    return {}


@pytest.fixture
def open_page(
    browser: Browser, site: Site, signed_in: dict[str, Any]
) -> Iterator[Callable[..., Page]]:
    """New pages in fresh contexts; fails the test on script errors or CSP violations."""
    pages = WatchedPages(browser, site.url)

    def new_page(
        user: str | None = None, viewport: dict[str, int] = LAPTOP, reuse: bool = True
    ) -> Page:
        return pages.open(user, viewport, sessions=signed_in if reuse else None)

    yield new_page
    pages.close()


def shoot(page: Page, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


def canvas_digest(page: Page, selector: str) -> dict[str, int]:
    return page.eval_on_selector(
        selector,
        """canvas => {
            const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let sum = 0, hash = 0, opaque = 0;
            for (let i = 0; i < d.length; i++) { sum += d[i]; hash = (hash * 31 + d[i]) >>> 0; }
            for (let i = 3; i < d.length; i += 4) if (d[i]) opaque++;
            return {width: canvas.width, sum, hash, opaque};
        }""",
    )


# --- sign in and out ------------------------------------------------------------------------
def test_sign_in_and_out(open_page: Callable[..., Page], screenshot_dir: Path) -> None:
    page = open_page()  # signs in by hand and out again: never a cached session
    page.goto("/upload")  # needs a session: off to sign in, and back afterwards
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fupload"))
    shoot(page, screenshot_dir, "signin")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("incorrect username or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/upload$"))
    expect(page.locator(".who")).to_contain_text("alice")
    cookie = next(c for c in page.context.cookies() if c["name"] == "jwst_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("jwst_session") == -1
    assert page.evaluate("Object.keys(localStorage).length") == 0
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/library$"))
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "jwst_session"]


# --- library ----------------------------------------------------------------------------------
def test_library_search_facets_url_and_pages(
    open_page: Callable[..., Page], site: Site, screenshot_dir: Path
) -> None:
    page = open_page("alice")
    page.goto("/library")
    expect(page.locator(".results-count")).to_contain_text("of 41 records")
    shoot(page, screenshot_dir, "library")

    page.get_by_label("Search records").fill("nrcalong")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"q=nrcalong"))
    rows = page.locator("table.records tbody tr")
    expect(rows).to_have_count(3)  # the uncal, rate and cal of one NIRCam exposure

    page.goto("/library")
    miri = page.locator("fieldset[data-facet='instrument'] label", has_text="MIRI")
    expect(miri.locator(".count")).to_have_text("12")
    miri.locator("input").check()  # facets submit themselves
    expect(page).to_have_url(re.compile(r"instrument=MIRI"))
    expect(page.locator(".results-count")).to_contain_text("of 12 records")
    instruments = page.locator("table.records tbody tr td:nth-child(3)").all_inner_texts()
    assert instruments and set(instruments) == {"MIRI"}
    bookmarked = page.url

    again = open_page("alice")
    again.goto(bookmarked)  # the URL alone carries the search
    expect(again.locator("fieldset[data-facet='instrument'] input[value='MIRI']")).to_be_checked()
    expect(again.locator(".results-count")).to_contain_text("of 12 records")

    page.goto("/library?limit=25&sort=fileName&order=asc")
    first_page = page.locator("td.file").all_inner_texts()
    assert len(first_page) == 25 and first_page == sorted(first_page)
    page.get_by_role("link", name="Next page »").click()
    expect(page).to_have_url(re.compile(r"cursor="))
    expect(page.locator(".results-count")).to_contain_text("26\u201341 of 41")
    second_page = page.locator("td.file").all_inner_texts()
    assert len(second_page) == 16 and not set(first_page) & set(second_page)
    assert second_page[0] > first_page[-1]
    page.get_by_role("link", name="« First page").click()
    expect(page.locator("td.file").first).to_have_text(first_page[0])


def test_library_finds_names_as_written_and_filters_by_detector(
    open_page: Callable[..., Page], site: Site
) -> None:
    page = open_page("alice")
    page.goto("/library")
    page.get_by_label("Search records").fill("NGC 3132")  # stored as NGC-3132 and NGC3132
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".results-count")).to_contain_text("of 41 records")
    page.goto("/library")
    detector = page.locator("fieldset[data-facet='detector'] label", has_text="NRCALONG")
    expect(detector.locator(".count")).to_have_text("3")
    detector.locator("input").check()
    expect(page).to_have_url(re.compile(r"detector=NRCALONG"))
    expect(page.locator(".results-count")).to_contain_text("of 3 records")
    for legend in ("Program", "Target", "Exposure type", "Tags"):
        expect(page.locator("fieldset.facet legend", has_text=legend).first).to_be_visible()


def test_library_grid_draws_thumbnails(
    open_page: Callable[..., Page], screenshot_dir: Path
) -> None:
    page = open_page("alice")
    page.goto(f"/library?view=grid&observationBaseId={OBSERVATION}")
    thumbs = page.locator(".thumb[data-kind='image']")
    expect(thumbs.first).to_be_visible()
    count = thumbs.count()
    assert count >= 2
    for i in range(count):
        expect(thumbs.nth(i)).to_have_attribute("data-state", re.compile("ready|error"))
    widths = page.eval_on_selector_all(
        ".thumb[data-state='ready'] img", "imgs => imgs.map(i => i.naturalWidth)"
    )
    assert widths and all(w > 0 for w in widths)
    shoot(page, screenshot_dir, "library-grid")


# --- record page and viewer -------------------------------------------------------------------
def test_record_viewer_renders_and_stretch_changes_pixels(
    open_page: Callable[..., Page], site: Site, screenshot_dir: Path
) -> None:
    record = site.records["cal"]
    page = open_page("alice")
    page.goto(f"/records/{record['id']}")
    expect(page.locator("h1")).to_have_text(record["fileName"])
    for group in ("Observation", "Instrument", "Lineage", "Metadata", "Storage", "Access"):
        expect(page.get_by_role("heading", name=group, exact=True)).to_be_visible()
    expect(page.locator("[data-viewer]")).to_have_attribute("data-state", "ready")
    before = canvas_digest(page, "#image-canvas")
    assert before["width"] == 96 and before["opaque"] > 0 and before["sum"] > 0
    histogram = canvas_digest(page, "#histogram")
    assert histogram["opaque"] > 0

    page.get_by_label("Stretch").select_option("log")
    expect(page.locator("#image-canvas")).to_have_attribute("data-rendered", re.compile("^log:"))
    after = canvas_digest(page, "#image-canvas")
    assert after["hash"] != before["hash"]
    page.get_by_label("Colour map").select_option("inferno")
    assert canvas_digest(page, "#image-canvas")["hash"] != after["hash"]

    # Sky coordinates under the cursor agree with astropy's WCS (SIP included).
    page.locator("#image-canvas").hover(position={"x": 100, "y": 60})
    xy = page.locator("#readout-xy").inner_text()
    x, y = (float(v) for v in xy.split(","))
    ra_text = page.locator("#readout-ra").inner_text()
    dec_text = page.locator("#readout-dec").inner_text()
    ra = float(re.search(r"\(([-\d.]+)°\)", ra_text)[1])
    dec = float(re.search(r"\(([-\d.]+)°\)", dec_text)[1])
    with fits.open(site.files["cal"]) as hdul:
        expected_ra, expected_dec = WCS(hdul["SCI"].header).all_pix2world(x - 1, y - 1, 0)
    assert abs(ra - float(expected_ra)) * 3600 * np.cos(np.radians(dec)) < 0.05
    assert abs(dec - float(expected_dec)) * 3600 < 0.05
    page.locator("#image-canvas").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#readout-xy")).not_to_have_text("—")
    shoot(page, screenshot_dir, "record")

    tablet = open_page("alice", viewport=TABLET)
    tablet.goto(f"/records/{record['id']}")
    expect(tablet.locator("[data-viewer]")).to_have_attribute("data-state", "ready")
    assert tablet.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shoot(tablet, screenshot_dir, "record-tablet")


def test_spectrum_is_plotted(open_page: Callable[..., Page], site: Site) -> None:
    page = open_page("alice")
    page.goto(f"/records/{site.records['x1d']['id']}")
    expect(page.locator("[data-spectrum]")).to_have_attribute("data-state", "ready")
    assert canvas_digest(page, "#spectrum-canvas")["opaque"] > 500
    page.locator("#spectrum-canvas").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#spectrum-readout")).to_contain_text("λ =")


def test_owner_edits_tags_shares_and_deletes(
    open_page: Callable[..., Page], site: Site, screenshot_dir: Path
) -> None:
    alice = site.server.auth().users.find_by_username("alice")
    record = make_record(userId=alice.id, observationBaseId="jw09999-o001_t001_nircam")
    record_id = str(site.server.repo.create(record).id)
    page = open_page("alice")
    page.goto(f"/records/{record_id}")
    page.get_by_label("Tags", exact=True).fill("review, nebula")
    page.get_by_label("Description").fill("Checked by eye.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").filter(has_text="Changes saved")).to_be_visible()
    expect(page.locator("ul.tags")).to_contain_text("nebula")
    page.get_by_label("Share with (user names)").fill("nobody-such")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("unknown user")
    page.get_by_label("Share with (user names)").fill("bob")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator(".shared-list")).to_contain_text("bob")
    shoot(page, screenshot_dir, "record-owner-tools")

    bob = open_page("bob")
    bob.goto("/library?scope=shared")
    expect(bob.locator("td.file")).to_have_text([record.file_name])

    page.get_by_role("link", name="Delete…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("link", name="Delete…").click()
    dialog.get_by_role("button", name="Delete permanently").click()
    expect(page.get_by_role("heading", name="Record deleted")).to_be_visible()
    page.goto(f"/records/{record_id}")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


# --- lineage --------------------------------------------------------------------------------
def test_lineage_lays_out_levels_and_follows_a_link(
    open_page: Callable[..., Page], site: Site, screenshot_dir: Path
) -> None:
    page = open_page("alice")
    page.goto(f"/records/{site.records['cal']['id']}")
    page.get_by_role("link", name="Lineage", exact=True).last.click()
    expect(page).to_have_url(re.compile(f"/observations/{OBSERVATION}$"))
    # The exposure chain and its stage-3 product, plus the run's NIRSpec spectrum (L2b).
    for level, count in (("L1", 1), ("L2a", 1), ("L2b", 2), ("L3", 1)):
        column = page.locator(f"section.lineage-column:has(h2#level-{level})")
        expect(column.locator(".node")).to_have_count(count)
    lineage = page.locator("#lineage")
    expect(lineage).to_have_attribute("data-links", "3")
    assert page.locator("svg.lineage-links path").count() == 3
    shoot(page, screenshot_dir, "lineage")
    page.locator("section.lineage-column:has(h2#level-L3) .node").click()
    expect(page.locator("h1")).to_have_text(site.records["i2d"]["fileName"])


# --- upload ---------------------------------------------------------------------------------
def test_upload_by_drag_and_drop_then_find_it(
    open_page: Callable[..., Page], site: Site, screenshot_dir: Path
) -> None:
    page = open_page("alice")
    page.goto("/upload")
    good = site.files["new"]
    files = [
        [good.name, base64.b64encode(good.read_bytes()).decode()],
        ["broken_cal.fits", base64.b64encode(b"this is not a FITS file at all").decode()],
    ]
    transfer = page.evaluate_handle(
        """files => {
            const transfer = new DataTransfer();
            for (const [name, data] of files) {
                const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name));
            }
            return transfer;
        }""",
        files,
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    items = page.locator(".upload-item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_attribute("data-state", "done")
    expect(items.nth(1)).to_have_attribute("data-state", "failed")
    expect(items.nth(1).locator(".state")).to_contain_text("Failed:")
    expect(page.locator("#upload-summary")).to_contain_text("1 of 2 uploaded, 1 failed")
    assert items.nth(0).locator("progress").get_attribute("value") == "100"
    shoot(page, screenshot_dir, "upload")

    page.goto("/library")
    page.get_by_label("Search records").fill(good.name)
    page.get_by_label("Search records").press("Enter")
    expect(page.locator("td.file")).to_have_text([good.name])
    page.get_by_role("link", name=good.name).click()
    expect(page.locator("[data-viewer]")).to_have_attribute("data-state", "ready")


# --- administrators -------------------------------------------------------------------------
def test_admin_creates_and_disables_a_user(
    open_page: Callable[..., Page], screenshot_dir: Path
) -> None:
    plain = open_page("alice")
    plain.goto("/admin/users")
    expect(plain.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(plain.get_by_role("link", name="Users")).to_have_count(0)

    page = open_page("root")
    page.get_by_role("link", name="Users").click()
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Initial password").fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("alert")).to_contain_text("username 'alice' is already taken")
    expect(page.get_by_label("User name")).to_have_value("alice")  # the input is kept
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Initial password").fill(PASSWORD)
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status").filter(has_text="User created")).to_be_visible()
    carol_row = page.locator("tr[data-username='carol']")
    expect(carol_row).to_contain_text("active")

    carol = open_page("carol", reuse=False)
    expect(carol.locator(".who")).to_contain_text("carol")
    page.get_by_role("button", name="Disable carol").click()
    expect(carol_row).to_contain_text("disabled")
    shoot(page, screenshot_dir, "users")
    carol.reload()  # the disabled account's session ends at once
    expect(carol.get_by_role("link", name="Sign in")).to_be_visible()
    sign_in(carol, "carol")
    expect(carol.get_by_role("alert")).to_contain_text("incorrect username or password")


# --- access ---------------------------------------------------------------------------------
def test_second_user_cannot_see_private_records_anywhere(
    open_page: Callable[..., Page], site: Site, screenshot_dir: Path
) -> None:
    private = site.records["cal"]
    page = open_page("bob")
    page.goto("/library")
    expect(page.locator(".results-count")).to_contain_text("of 8 records")  # the public ones
    assert private["fileName"] not in page.content()
    page.goto(f"/library?q={private['fileName']}")
    expect(page.locator(".empty-state")).to_contain_text("No records match")
    page.goto(f"/library?observationBaseId={OBSERVATION}&view=grid")
    expect(page.locator(".empty-state")).to_be_visible()
    response = page.goto(f"/records/{private['id']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert private["fileName"] not in page.content()
    shoot(page, screenshot_dir, "not-found")
    response = page.goto(f"/observations/{OBSERVATION}")
    assert response is not None and response.status == 404
    page.goto("/observations")
    expect(page.locator(f"a[href='/observations/{OBSERVATION}']")).to_have_count(0)
    status = page.evaluate(
        "id => fetch(`/api/data/${id}/pixels`).then(r => r.status)", private["id"]
    )
    assert status == 404

    anonymous = open_page()
    response = anonymous.goto(f"/records/{private['id']}")
    assert response is not None and response.status == 404


def test_cookie_session_needs_csrf_header_for_api_writes(
    open_page: Callable[..., Page], site: Site
) -> None:
    page = open_page("alice")
    page.goto("/library")
    record_id = site.records["rate"]["id"]
    script = """async ([id, token, origin]) => {
        const headers = {};
        if (token !== null) headers["X-CSRF-Token"] = token;
        const response = await fetch(`/api/data/${id}/archive`, {method: "POST", headers});
        return response.status;
    }"""
    token = page.locator("meta[name='csrf-token']").get_attribute("content")
    assert page.evaluate(script, [record_id, None, None]) == 403
    assert page.evaluate(script, [record_id, "forged", None]) == 403
    assert page.evaluate(script, [record_id, token, None]) == 200
    unarchive = page.evaluate(
        """([id, token]) => fetch(`/api/data/${id}/unarchive`,
            {method: "POST", headers: {"X-CSRF-Token": token}}).then(r => r.status)""",
        [record_id, token],
    )
    assert unarchive == 200
    # A form posted from another site carries no session (SameSite) and no token.
    other = httpx.post(
        f"{site.url}/records/{record_id}/archive",
        data={"csrf_token": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert other.status_code in (401, 403)


def test_pages_fit_a_tablet(open_page: Callable[..., Page], screenshot_dir: Path) -> None:
    page = open_page("alice", viewport=TABLET)
    for path, name in (
        ("/library", "library-tablet"),
        (f"/observations/{OBSERVATION}", "lineage-tablet"),
        ("/upload", "upload-tablet"),
    ):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        shoot(page, screenshot_dir, name)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
