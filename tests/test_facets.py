"""Facets for program, target, detector, exposure type and tags: counts and filters.

Unfiltered views come from the counters, filtered ones from a live aggregation; both must
say the same. Against the real database, the API server, the CLI and the client.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from bson import ObjectId

from jwstdata.client import Client
from jwstdata.db import RecordRepository
from jwstdata.models import AccessContext
from jwstdata.models.search import FacetName, SearchQuery
from tests.factories import make_record
from tests.plugins.api_server import ApiServer

ADMIN = AccessContext.admin()
ANON = AccessContext.anonymous()
OWNER = ObjectId()
NEW_FACETS = ("program", "target", "detector", "exposureType", "tags")


def _rows(facet_rows: list[dict[str, Any]]) -> dict[Any, int]:
    return {row["value"]: row["count"] for row in facet_rows}


def _seed(repo: RecordRepository) -> None:
    """Six public records and one private: programs, spellings, detectors, EXP_TYPEs, tags."""
    rows = [
        # program, target, file-name detector, header detector, EXP_TYPE, tags
        ("2733", "NGC 3132", "nrca1", None, "NRC_IMAGE", ["ero", "deep"]),
        ("2733", "ngc 3132", "nrca1", "NRCA1", "NRC_IMAGE", ["ero"]),
        ("2733", "NGC 3132", "nrcb1", None, "NRC_IMAGE", []),
        ("1324", "M16", "mirimage", None, "MIR_IMAGE", ["deep"]),
        ("1324", "M16", "mirimage", None, None, ["review"]),
        (None, "M16", "nrs1", "NRS1", "NRS_FIXEDSLIT", []),
    ]
    for i, (program, target, name_detector, detector, exp_type, tags) in enumerate(rows):
        name = f"jw0{program or '9999'}001001_02101_{i:05d}_{name_detector}_cal.fits"
        metadata = {k: v for k, v in (("detector", detector), ("exp_type", exp_type)) if v}
        repo.create(
            make_record(
                fileName=name,
                filePath=f"ingest/{name}",
                isPublic=True,
                tags=tags,
                metadata=metadata,
                imageInfo={"targetName": target, "proposalId": program, "instrument": "NIRCAM"},
            )
        )
    repo.create(
        make_record(
            userId=OWNER,
            tags=["secret"],
            metadata={"detector": "NRCALONG", "exp_type": "NRC_CORON"},
            imageInfo={"targetName": "Hidden", "proposalId": "9999"},
        )
    )


EXPECTED_PUBLIC = {
    "program": {"2733": 3, "1324": 2, None: 1},
    "target": {"ngc 3132": 3, "m16": 3},  # one value however the name is capitalised
    "detector": {"NRCA1": 2, "NRCB1": 1, "MIRIMAGE": 2, "NRS1": 1},
    "exposureType": {"NRC_IMAGE": 3, "MIR_IMAGE": 1, "NRS_FIXEDSLIT": 1, None: 1},
    "tags": {"ero": 2, "deep": 2, "review": 1},
}


@pytest.fixture
def seeded(repo: RecordRepository) -> RecordRepository:
    _seed(repo)
    return repo


def test_unfiltered_facets_come_from_the_counters(seeded: RecordRepository) -> None:
    facets = seeded.facets(SearchQuery(), ANON)
    assert {name: _rows(facets[name]) for name in NEW_FACETS} == EXPECTED_PUBLIC
    admin = seeded.facets(SearchQuery(), ADMIN)
    assert _rows(admin["detector"])["NRCALONG"] == 1 and _rows(admin["tags"])["secret"] == 1
    mine = seeded.facets(SearchQuery(user_id=OWNER), AccessContext.user(OWNER))
    assert _rows(mine["exposureType"]) == {"NRC_CORON": 1}


def test_filtered_facets_are_aggregated_live_and_agree(seeded: RecordRepository) -> None:
    nircam = SearchQuery(text="nircam")  # every record: forces the live path
    live = seeded.facets(nircam, ANON)
    assert {name: _rows(live[name]) for name in NEW_FACETS} == EXPECTED_PUBLIC
    one = seeded.facets(SearchQuery(program=["2733"]), ANON)
    assert _rows(one["detector"]) == {"NRCA1": 2, "NRCB1": 1}
    assert _rows(one["tags"]) == {"ero": 2, "deep": 1}
    assert _rows(one["target"]) == {"ngc 3132": 3}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"program": ["2733"]}, 3),
        ({"program": ["02733"]}, 3),  # as headers and file names write it
        ({"program": ["2733", "1324"]}, 5),
        ({"target": ["NGC 3132"]}, 3),
        ({"target": ["ngc 3132", "M16"]}, 6),
        ({"detector": ["nrca1"]}, 2),
        ({"detector": ["MIRIMAGE", "NRS1"]}, 3),
        ({"exposure_type": ["NRC_IMAGE"]}, 3),
        ({"exposure_type": ["nrc_image"], "detector": ["NRCB1"]}, 1),
        ({"tags": ["deep"]}, 2),
        ({"detector": ["NRCALONG"]}, 0),  # private: not for anonymous callers
    ],
)
def test_each_facet_value_filters(
    seeded: RecordRepository, filters: dict[str, Any], expected: int
) -> None:
    query = SearchQuery(**filters)
    assert seeded.count(query, ANON) == expected  # counters where one facet is filtered
    assert len(list(seeded.iterate(query.model_copy(update={"limit": 2}), ANON))) == expected


def test_counters_follow_edits_and_deletes(seeded: RecordRepository) -> None:
    record = next(seeded.iterate(SearchQuery(detector=["NRCB1"]), ANON))
    seeded.update(
        record.object_id, {"metadata": {"detector": "NRCB2", "exp_type": "NRC_TSIMAGE"}}, ADMIN
    )
    facets = seeded.facets(SearchQuery(), ANON)
    assert "NRCB1" not in _rows(facets["detector"]) and _rows(facets["detector"])["NRCB2"] == 1
    assert _rows(facets["exposureType"])["NRC_TSIMAGE"] == 1
    seeded.delete(record.object_id, ADMIN)
    assert "NRCB2" not in _rows(seeded.facets(SearchQuery(), ANON)["detector"])


def test_db_recount_rebuilds_the_new_facets(seeded: RecordRepository, cli_env: dict) -> None:
    before = seeded.facets(SearchQuery(), ADMIN)
    seeded.counters.collection.delete_many({})
    out = subprocess.run(
        [sys.executable, "-m", "jwstdata", "db", "recount", "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert seeded.counters.read(["public"]).present
    assert seeded.facets(SearchQuery(), ADMIN) == before
    search = subprocess.run(
        [
            *(sys.executable, "-m", "jwstdata", "search", "--detector", "nrca1"),
            *("--program", "2733", "--exposure-type", "NRC_IMAGE", "--json"),
        ],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert search.returncode == 0, search.stderr
    assert len(json.loads(search.stdout)["items"]) == 2


def test_api_client_and_library_page_show_the_facets(api_server: ApiServer) -> None:
    _seed(api_server.repo)
    with api_server.client() as http:
        response = http.get("/api/data/facets")
        assert response.status_code == 200, response.text
        body = response.json()
        assert {f.value for f in FacetName} <= set(body)
        assert {name: _rows(body[name]) for name in NEW_FACETS} == EXPECTED_PUBLIC
        only = http.get("/api/data/facets", params={"facet": ["detector"], "program": "1324"})
        assert only.json() == {"detector": [{"value": "MIRIMAGE", "count": 2}]}
        items = http.get("/api/data", params={"detector": "NRCA1", "exposureType": "NRC_IMAGE"})
        assert len(items.json()["items"]) == 2
        bad = http.get("/api/data/facets", params={"facet": "colour"})
        assert bad.status_code == 422 and "error" in bad.json()
        page = http.get("/library", params={"detector": "MIRIMAGE"})
        assert page.status_code == 200
        for legend in ("Program", "Target", "Detector", "Exposure type", "Tags"):
            assert f"<legend>{legend}</legend>" in page.text
        assert 'name="detector" value="MIRIMAGE" checked' in page.text
        assert 'name="tag" value="review"' in page.text
    api_server.create_user("facets")
    with Client.login(api_server.url, "facets", "correct horse battery") as jw:
        counts = jw.facets("program", "tags", q="M16")
        assert _rows(counts["program"]) == {"1324": 2, None: 1}
        assert _rows(counts["tags"]) == {"deep": 1, "review": 1}
        assert len(jw.search(exposureType="MIR_IMAGE")) == 1
