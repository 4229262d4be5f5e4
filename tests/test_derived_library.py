"""Derived products are shown with their source, not in the default library, search and counts.

Against the real API server (and the pages in headless Chromium): previews and thumbnails
made by processing carry ``isDerived``; default searches, totals, facets and statistics
leave them out; ``derived=true|any`` (API, CLI ``--derived``, the client) and the library's
"Show derived products" toggle bring them back; the record page lists them under "Derived
products".
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from bson import ObjectId

from jwstdata.client import Client
from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def token(api_server: ApiServer) -> str:
    api_server.create_user("wren")
    return api_server.token("wren")


@pytest.fixture(scope="module")
def source(api_server: ApiServer, token: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("derived-library")
    data = ff.stars((64, 64), [(20, 30, 4e4), (40, 50, 2e4)])
    path = ff.write_product(folder, "i2d", data=data, shape=(64, 64))
    with api_server.client(token) as client:
        response = client.post(
            "/api/data/upload",
            files={"file": (path.name, path.read_bytes())},
            data={"isPublic": "true"},
        )
        assert response.status_code == 201, response.text
        record = response.json()
        assert client.get(f"/api/data/{record['id']}/thumbnail").status_code == 200
    return record


def _outputs(api_server: ApiServer, source: dict) -> list[dict]:
    return list(api_server.repo.collection.find({"derivedFrom": ObjectId(source["id"])}))


def test_outputs_are_flagged_derived(api_server: ApiServer, source: dict) -> None:
    outputs = _outputs(api_server, source)
    assert len(outputs) == 2 and all(o["isDerived"] is True for o in outputs)
    assert (
        api_server.repo.collection.find_one({"_id": ObjectId(source["id"])})["isDerived"] is False
    )


def test_default_search_facets_and_counts_leave_them_out(
    api_server: ApiServer, token: str, source: dict
) -> None:
    derived = {str(o["_id"]) for o in _outputs(api_server, source)}
    with api_server.client(token) as client:
        default = client.get("/api/data", params={"withTotal": "true"}).json()
        only = client.get("/api/data", params={"withTotal": "true", "derived": "true"}).json()
        both = client.get("/api/data", params={"withTotal": "true", "derived": "any"}).json()
        facets = client.get("/api/data/facets", params={"facet": "processingLevel"}).json()
        stats = client.get("/api/data/stats").json()
        stats_any = client.get("/api/data/stats", params={"derived": "any"}).json()
        bad = client.get("/api/data", params={"derived": "maybe"})
    assert {r["id"] for r in default["items"]} == {source["id"]} and default["total"] == 1
    assert {r["id"] for r in only["items"]} == derived and only["total"] == 2
    assert {r["id"] for r in both["items"]} == {source["id"], *derived} and both["total"] == 3
    assert facets["processingLevel"] == [{"value": source["processingLevel"], "count": 1}]
    assert stats["count"] == 1 and stats_any["count"] == 3
    assert bad.status_code == 422
    with api_server.client() as anonymous:
        public = anonymous.get("/api/data", params={"withTotal": "true"}).json()
    assert public["total"] == 1


def test_cli_and_client_filter_derived_products(
    api_server: ApiServer, token: str, source: dict
) -> None:
    derived = {str(o["_id"]) for o in _outputs(api_server, source)}
    found = subprocess.run(
        [sys.executable, "-m", "jwstdata", "search", "--derived", "true", "--json"],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stderr
    assert {r["id"] for r in json.loads(found.stdout)["items"]} == derived
    with Client(api_server.url, token=token) as client:
        assert set(client.search()["id"]) == {source["id"]}
        assert set(client.search(derived="any")["id"]) == {source["id"], *derived}


@pytest.fixture
def page(browser, api_server: ApiServer) -> Iterator[object]:
    context = browser.new_context(base_url=api_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/signin")
    page.get_by_label("User name").fill("wren")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    yield page
    context.close()


def test_library_toggle_and_record_page_section(page, api_server: ApiServer, source: dict) -> None:
    from playwright.sync_api import expect

    names = {o["fileName"] for o in _outputs(api_server, source)}
    page.goto("/library")
    results = page.locator(".results")
    expect(results).to_contain_text(source["fileName"])
    for name in names:
        expect(results).not_to_contain_text(name)
    toggle = page.get_by_label("Show derived products")
    expect(toggle).not_to_be_checked()
    toggle.check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**derived=any**")
    for name in names:
        expect(page.locator(".results")).to_contain_text(name)
    expect(page.get_by_label("Show derived products")).to_be_checked()

    page.goto(f"/records/{source['id']}")
    section = page.locator("#derived-products")
    expect(section.get_by_role("heading", name="Derived products")).to_be_visible()
    for name in names:
        expect(section.get_by_role("link", name=name)).to_be_visible()
