"""Text search the way names are written: ``q`` ignores case, spaces, hyphens, underscores.

Against the real database (SecantusDB over TCP), the real API server, the CLI and the client.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from pymongo import MongoClient, monitoring

from jwstdata.client import Client
from jwstdata.db import RecordRepository
from jwstdata.db.features import server_features
from jwstdata.db.text_terms import query_words, record_terms, value_terms
from jwstdata.models import AccessContext
from jwstdata.models.search import SearchQuery
from jwstdata.services.ingest import IngestOptions, IngestService
from jwstdata.storage.local import LocalStorage
from tests import fitsfactory as ff
from tests.factories import make_record
from tests.plugins.api_server import ApiServer

ADMIN = AccessContext.admin()
ANON = AccessContext.anonymous()


# --- the normalised form --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "query"),
    [
        ("NGC 3132", "ngc3132"),
        ("NGC 3132", "NGC-3132"),
        ("NGC 3132", "NGC 3132"),
        ("NGC3132", "NGC 3132"),
        ("NGC-3132", "ngc 3132"),
        ("ngc_3132", "Ngc3132"),
        ("M-16", "M16"),
        ("M16", "M-16"),
        ("M16", "m 16"),
        ("Eagle Nebula (M16)", "eagle nebula"),
        ("F090W", "f090w"),
        ("CLEAR;F090W", "F090W"),
    ],
)
def test_a_name_matches_however_it_is_written(written: str, query: str) -> None:
    terms = set(value_terms(written))
    assert set(query_words(query)) <= terms


@pytest.mark.parametrize(
    ("written", "query"),
    [("NGC 3132", "ngc 313"), ("M16", "m1"), ("NGC 3132", "ngc3133"), ("F090W", "f090")],
)
def test_other_names_do_not_match(written: str, query: str) -> None:
    assert not set(query_words(query)) <= set(value_terms(written))


def test_a_record_is_searchable_by_target_title_file_name_filter_and_instrument() -> None:
    terms = record_terms(
        {
            "fileName": "jw02733-o001_t001_nircam_clear-f090w_i2d.fits",
            "description": "first look",
            "imageInfo": {
                "targetName": "NGC-3132",
                "observationTitle": "Southern Ring Nebula",
                "filter": "F090W",
                "instrument": "NIRCAM",
            },
            "metadata": {"targname": "NGC 3132"},
        }
    )
    for word in ("ngc3132", "southernring", "jw02733", "clearf090w", "i2d", "nircam", "first"):
        assert word in terms
    whole = "jw02733o001t001nircamclearf090wi2d"
    assert whole in terms and whole + "fits" in terms  # a pasted file name finds its file


# --- searches on the real database ------------------------------------------------------------
TARGETS = ["NGC 3132", "NGC-3132", "ngc3132", "NGC3132", "M-16", "M16", "Eagle Nebula (M16)"]


@pytest.fixture
def seeded(repo: RecordRepository) -> dict[str, Any]:
    """The issue's shapes: 19 F090W files of which only some say so in the filter field."""
    ids: dict[str, list[ObjectId]] = {"f090w": [], "ngc": [], "m16": []}
    for target in TARGETS:
        record = repo.create(
            make_record(
                isPublic=True,
                imageInfo={"targetName": target, "filter": "F444W", "instrument": "NIRCAM"},
            )
        )
        ids["ngc" if "3132" in target else "m16"].append(record.object_id)
    for i in range(19):
        filters = "F090W" if i % 4 == 0 else ("CLEAR;F090W" if i % 4 == 1 else None)
        name = (
            f"jw02733-o001_t001_nircam_clear-f090w_{['i2d', 'segm'][i % 2]}.fits"
            if filters is None
            else f"jw02733001001_02101_{i:05d}_nrcb1_cal.fits"
        )
        record = repo.create(
            make_record(
                isPublic=True,
                fileName=name,
                filePath=f"ingest/f090w/{i}/{name}",
                imageInfo={"targetName": "Other", "filter": filters, "instrument": "NIRCAM"},
            )
        )
        ids["f090w"].append(record.object_id)
    repo.create(make_record(isPublic=False, userId=ObjectId(), imageInfo={"filter": "F090W"}))
    return ids


def _all_pages(repo: RecordRepository, query: SearchQuery, ctx: AccessContext) -> list[ObjectId]:
    return [r.object_id for r in repo.iterate(query, ctx)]


@pytest.mark.parametrize("q", ["NGC 3132", "ngc3132", "NGC-3132", "ngc_3132", " ngc   3132 "])
def test_ngc_3132_finds_every_spelling(repo: RecordRepository, seeded: dict, q: str) -> None:
    found = _all_pages(repo, SearchQuery(text=q, limit=2), ANON)
    assert sorted(found) == sorted(seeded["ngc"])
    assert repo.count(SearchQuery(text=q), ANON) == 4


@pytest.mark.parametrize("q", ["M16", "M-16", "m16", "m 16"])
def test_m16_matches_m_16(repo: RecordRepository, seeded: dict, q: str) -> None:
    assert sorted(_all_pages(repo, SearchQuery(text=q), ANON)) == sorted(seeded["m16"])


def test_f090w_finds_every_f090w_record_page_by_page(repo: RecordRepository, seeded: dict) -> None:
    query = SearchQuery(text="f090w", limit=4)
    found = _all_pages(repo, query, ANON)
    assert len(found) == len(set(found)) == 19
    assert set(found) == set(seeded["f090w"])
    assert repo.count(SearchQuery(text="F090W"), ANON) == 19
    assert repo.count(SearchQuery(text="F090W"), ADMIN) == 20  # the private one, for an admin
    # Pages in order (newest first), the same as one plain find.
    plain = repo.searches.page_plain(SearchQuery(text="f090w", limit=100), ANON)
    assert found == [d["_id"] for d in plain][:19]


def test_several_words_must_all_match(repo: RecordRepository, seeded: dict) -> None:
    assert repo.count(SearchQuery(text="f090w nrcb1"), ANON) == 10  # the exposure-named ones
    assert repo.count(SearchQuery(text="NGC 3132 nircam"), ANON) == 4
    assert repo.count(SearchQuery(text="ngc3132 f090w"), ANON) == 0
    combined = SearchQuery(text="f090w", processing_level=["L2b"], filter=["F090W"])
    assert repo.count(combined, ANON) == 5


def test_punctuation_alone_is_no_filter(repo: RecordRepository, seeded: dict) -> None:
    assert repo.count(SearchQuery(text=" - _ "), ANON) == repo.count(SearchQuery(), ANON)


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "aggregate":
            self.sent.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _index_names(plan: Any) -> list[str]:
    found: list[str] = []
    if isinstance(plan, dict):
        if plan.get("stage") == "COLLSCAN":
            found.append("COLLSCAN")
        if plan.get("stage") == "IXSCAN":
            found.append(str(plan.get("indexName")))
        for value in plan.values():
            found += _index_names(value)
    elif isinstance(plan, list):
        for value in plan:
            found += _index_names(value)
    return found


@pytest.mark.parametrize("q", ["f090w", "NGC 3132"])
def test_the_text_query_seeks_on_the_terms_index_unhinted(
    repo: RecordRepository, seeded: dict, mongo_uri: str, q: str
) -> None:
    # Other public records, so the text is the selective part of the search (on a handful of
    # records the planner rightly reads them all along the access index instead).
    filler = [
        make_record(isPublic=True, imageInfo={"targetName": "Carina", "filter": "F444W"})
        for _ in range(200)
    ]
    assert not repo.bulk_insert(filler).failed
    listener = _Commands()
    db_name = repo.collection.database.name
    with MongoClient(mongo_uri, event_listeners=[listener], tz_aware=True) as client:
        watched = RecordRepository(client[db_name]["jwst_data"])
        watched.search(SearchQuery(text=q, limit=3), ANON, with_total=True)
        db = client[db_name]
        features = server_features(db)
        if not features.explain_plan_stages:
            pytest.skip("the server's explain has no plan stages")
        assert listener.sent
        for command in listener.sent:
            assert features.hint_efficient or "hint" not in command
            body = {"aggregate": command["aggregate"], "pipeline": command["pipeline"]}
            if "hint" in command:
                body["hint"] = command["hint"]
            explained = db.command({"explain": {**body, "cursor": {}}})
            used = _index_names(explained.get("queryPlanner", explained))
            assert "COLLSCAN" not in used and "text_terms" in used, used


# --- every write path keeps the terms -----------------------------------------------------------
def test_edits_and_bulk_inserts_keep_the_terms(repo: RecordRepository) -> None:
    record = repo.create(make_record(isPublic=True, imageInfo={"targetName": "NGC 3132"}))
    assert repo.count(SearchQuery(text="ngc3132"), ANON) == 1
    repo.update(record.object_id, {"imageInfo": {"targetName": "Carina Nebula"}}, ADMIN)
    assert repo.count(SearchQuery(text="ngc3132"), ANON) == 0
    assert repo.count(SearchQuery(text="carina-nebula"), ANON) == 1
    repo.update(record.object_id, {"description": "Cosmic Cliffs"}, ADMIN)
    assert repo.count(SearchQuery(text="cosmiccliffs"), ANON) == 1
    report = repo.bulk_insert([make_record(isPublic=True, imageInfo={"targetName": "WR 140"})])
    assert not report.failed
    assert repo.count(SearchQuery(text="wr140"), ANON) == 1


def test_ingested_files_are_found_by_targname_and_targprop(
    repo: RecordRepository, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    ff.write_product(folder, "cal", filter="F090W")  # TARGPROP NGC3132, TARGNAME "NGC 3132"
    service = IngestService(repo, LocalStorage(tmp_path / "store"))
    report = service.ingest([folder], IngestOptions(workers=1))
    assert report.ingested == 1
    for q in ("NGC 3132", "ngc3132", "F090W", "nircam"):
        assert repo.count(SearchQuery(text=q), ADMIN) == 1, q


# --- API, CLI, client, web ----------------------------------------------------------------------
def test_api_q_cli_and_client_use_the_same_search(api_server: ApiServer, tmp_path: Any) -> None:
    repo = api_server.repo
    for target in ("NGC 3132", "NGC-3132", "M16"):
        repo.create(make_record(isPublic=True, imageInfo={"targetName": target}))
    with api_server.client() as http:
        for q, n in (("NGC 3132", 2), ("ngc3132", 2), ("NGC-3132", 2), ("m-16", 1)):
            response = http.get("/api/data", params={"q": q, "total": "true"})
            assert response.status_code == 200, response.text
            body = response.json()
            assert len(body["items"]) == n, (q, body)
        page = http.get("/library", params={"q": "ngc 3132"})
        assert page.status_code == 200
        assert page.text.count("NGC-3132") + page.text.count("NGC 3132") >= 1
    result = subprocess.run(
        [sys.executable, "-m", "jwstdata", "search", "-q", "ngc-3132", "--json"],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["items"]) == 2
    api_server.create_user("texter")
    with Client.login(api_server.url, "texter", "correct horse battery") as jw:
        table = jw.search(q="NGC 3132")
        assert len(table) == 2
        assert set(table["targetName"]) == {"NGC 3132", "NGC-3132"}


def test_a_mast_refresh_keeps_the_terms(
    repo: RecordRepository, settings: Any, mast_server: Any
) -> None:
    from jwstdata.keys import safe_file_name
    from jwstdata.mast import open_mast
    from jwstdata.services.mast.refresh import refresh_metadata

    obs_id = "jw02733-o001_t001_nircam_clear-f444w"
    name = f"{obs_id}_i2d.fits"
    record = repo.create(
        make_record(
            isPublic=True,
            fileName=name,
            filePath=f"mast/{safe_file_name(obs_id)}/{name}",
            imageInfo={"targetName": "Placeholder Target"},
        )
    )
    assert repo.count(SearchQuery(text="placeholder"), ANON) == 1
    with open_mast(settings.model_copy(update={"mast_url": mast_server.url})) as mast:
        assert refresh_metadata(mast, repo, [obs_id])["recordsUpdated"] == 1
    target = repo.get(record.object_id, ANON).image_info.target_name
    assert target and target != "Placeholder Target"
    assert repo.count(SearchQuery(text="placeholder"), ANON) == 0
    assert repo.count(SearchQuery(text=target.replace("-", " ")), ANON) == 1
    facets = repo.facets(SearchQuery(), ANON)  # counters moved with the new target name
    assert {r["value"] for r in facets["target"]} == {target.casefold()}
