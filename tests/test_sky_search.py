"""Positional search end to end: footprints written by every path, cone searches through
the repository, the real API server (access scoping, pages, totals, facets), the CLI and
the Python client; explain() shows the cells index; migration 6 fills old records."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

import pytest
from astropy import units as u
from bson import ObjectId
from pymongo import MongoClient

from jwstdata.client import Client
from jwstdata.db import DatabaseHandle, RecordRepository
from jwstdata.db.features import server_features
from jwstdata.db.migrations import pending_migrations, run_migrations
from jwstdata.db.sky import overlaps
from jwstdata.errors import ValidationError
from jwstdata.models import AccessContext, JwstDataModel
from jwstdata.models.search import FacetName, SearchQuery
from jwstdata.sky import Cone
from jwstdata.sky.cells import FIELD
from tests.factories import make_record
from tests.plugins.api_server import ApiServer
from tests.test_indexes import NO_PLAN_STAGES, _assert_indexed, _Commands, _explain
from tests.test_mast_import import NIRCAM as NIRCAM_OBS
from tests.test_mast_import import _run

ADMIN = AccessContext.admin()
SEAM = "POLYGON ICRS 359.99 -0.01 0.01 -0.01 0.01 0.01 359.99 0.01"
POLE = "POLYGON ICRS 0 89.9 90 89.9 180 89.9 270 89.9"
NGC = (151.757291667, -40.436805556)  # 10h07m01.75s -40d26m12.5s
FIELD_CENTRE = (53.16, -27.78)


def _wcs(ra: float, dec: float) -> dict[str, Any]:
    """A TAN WCS of a 100x80-pixel image at (ra, dec), 0.1"/pixel."""
    return {
        "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRPIX1": 50.5, "CRPIX2": 40.5,
        "CRVAL1": ra, "CRVAL2": dec, "CDELT1": -0.1 / 3600, "CDELT2": 0.1 / 3600,
        "CUNIT1": "deg", "CUNIT2": "deg",
    }  # fmt: skip


def _sky_records(owner: ObjectId, friend: ObjectId) -> dict[str, JwstDataModel]:
    records = {
        "seam": make_record(isPublic=True, metadata={"s_region": SEAM}),
        "seam-private": make_record(userId=owner, metadata={"targ_ra": 359.998, "targ_dec": 0.001}),
        "seam-shared": make_record(
            userId=owner, sharedWith=[friend], metadata={"mast_s_region": "CIRCLE 0.004 0 0.001"}
        ),
        "pole": make_record(isPublic=True, metadata={"s_region": POLE}),
        "ngc": make_record(
            isPublic=True,
            imageInfo={
                "instrument": "NIRCAM",
                "filter": "F090W",
                "wcs": _wcs(*NGC),
                "width": 100,
                "height": 80,
            },
        ),
        "far": make_record(isPublic=True, metadata={"targ_ra": 200.0, "targ_dec": 30.0}),
        "nowhere": make_record(isPublic=True),
    }
    rng = random.Random(7)
    for i in range(30):
        ra = FIELD_CENTRE[0] + rng.uniform(-0.04, 0.04)
        dec = FIELD_CENTRE[1] + rng.uniform(-0.04, 0.04)
        records[f"field-{i}"] = make_record(
            isPublic=True,
            metadata={"targ_ra": ra, "targ_dec": dec},
            imageInfo={"instrument": "MIRI" if i % 2 else "NIRCAM", "targetName": "HUDF"},
        )
    return records


@pytest.fixture(scope="module")
def world(api_server: ApiServer) -> dict[str, Any]:
    users = {name: api_server.create_user(name) for name in ("owner", "friend", "other")}
    records = {
        name: api_server.repo.create(record)
        for name, record in _sky_records(users["owner"].id, users["friend"].id).items()
    }
    tokens = {name: api_server.token(name) for name in users}
    return {"server": api_server, "records": records, "tokens": tokens, "users": users}


def _names(world: dict[str, Any], ids: list[str]) -> set[str]:
    by_id = {str(r.id): name for name, r in world["records"].items()}
    return {by_id.get(i, i) for i in ids}


def _api(world: dict[str, Any], caller: str | None, **params: Any) -> Any:
    token = world["tokens"][caller] if caller else None
    with world["server"].client(token) as client:
        return client.get("/api/data", params=params)


# --- footprints on write ----------------------------------------------------------------------
def test_every_record_gets_its_footprint_and_cells(world: dict[str, Any]) -> None:
    records = world["records"]
    assert records["seam"].sky.source.value == "s_region"
    assert records["seam-shared"].sky.source.value == "s_region"
    assert records["ngc"].sky.source.value == "wcs" and len(records["ngc"].sky.footprint) == 4
    assert records["far"].sky.source.value == "target" and records["far"].sky.footprint == []
    assert records["nowhere"].sky is None
    stored = world["server"].repo.collection.find_one({"_id": records["ngc"].id})
    assert stored["sky"]["ra"] == pytest.approx(NGC[0], abs=1e-6) and stored[FIELD]
    assert world["server"].repo.collection.find_one({"_id": records["nowhere"].id})[FIELD] == []


def test_an_edit_that_changes_the_metadata_moves_the_footprint(repo: RecordRepository) -> None:
    record = repo.create(make_record(metadata={"targ_ra": 10.0, "targ_dec": 20.0}))
    moved = repo.update(record.object_id, {"metadata": {"s_region": SEAM}}, ADMIN)
    assert moved.sky is not None and moved.sky.source.value == "s_region"
    found = repo.search(SearchQuery(ra=0.0, dec=0.0, radius=0.001), ADMIN).items
    assert [r.id for r in found] == [record.id]
    assert repo.search(SearchQuery(ra=10.0, dec=20.0, radius=0.01), ADMIN).items == []


# --- the API --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (None, {"seam"}),
        ("owner", {"seam", "seam-private", "seam-shared"}),
        ("friend", {"seam", "seam-shared"}),
        ("other", {"seam"}),
    ],
)
def test_a_cone_over_ra_zero_sees_only_what_the_caller_may(
    world: dict[str, Any], caller: str | None, expected: set[str]
) -> None:
    for ra in (0.0, 359.999, 360.0):  # the same cone, written three ways
        response = _api(world, caller, ra=ra, dec=0.0, radius=0.01, withTotal="true")
        assert response.status_code == 200, response.text
        body = response.json()
        assert _names(world, [r["id"] for r in body["items"]]) == expected
        assert body["total"] == len(expected)


def test_files_covering_a_point(world: dict[str, Any]) -> None:
    body = _api(world, "owner", ra=0.005, dec=0.0, radius=0).json()
    assert _names(world, [r["id"] for r in body["items"]]) == {"seam", "seam-shared"}
    body = _api(world, None, ra=250.0, dec=89.95).json()  # radius omitted: a point
    assert _names(world, [r["id"] for r in body["items"]]) == {"pole"}
    item = body["items"][0]
    assert item["sky"]["source"] == "s_region" and len(item["sky"]["footprint"]) == 4


def test_cone_pages_totals_and_facets_combine_with_filters(world: dict[str, Any]) -> None:
    field = {f"field-{i}" for i in range(30)}
    seen: list[str] = []
    params: dict[str, Any] = {"ra": FIELD_CENTRE[0], "dec": FIELD_CENTRE[1], "radius": 0.1}
    cursor = None
    pages = 0
    while True:
        body = _api(world, None, **params, limit=7, **({"cursor": cursor} if cursor else {}))
        body = body.json()
        assert len(body["items"]) == 7 or body["nextCursor"] is None
        seen += [r["id"] for r in body["items"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert pages == 5 and len(seen) == len(set(seen)) == 30
    assert _names(world, seen) == field
    miri = _api(world, None, **params, instrument="MIRI", withTotal="true").json()
    assert miri["total"] == 15 and len(miri["items"]) == 15
    assert {r["imageInfo"]["instrument"] for r in miri["items"]} == {"MIRI"}
    with world["server"].client() as client:
        facets = client.get("/api/data/facets", params={**params, "facet": "instrument"}).json()
    assert {row["value"]: row["count"] for row in facets["instrument"]} == {
        "MIRI": 15,
        "NIRCAM": 15,
    }
    with world["server"].client() as client:
        stats = client.get("/api/data/stats", params=params).json()
    assert stats["count"] == 30
    # a smaller cone holds fewer, and a cursor of one cone is refused by another
    small = _api(world, None, **{**params, "radius": 0.02}, withTotal="true").json()
    assert 0 < small["total"] < 30
    first = _api(world, None, **params, limit=7).json()
    other = _api(world, None, **{**params, "radius": 0.2}, cursor=first["nextCursor"])
    assert other.status_code == 422


def test_bad_positions_are_validation_errors(world: dict[str, Any]) -> None:
    for params in (
        {"ra": 10, "dec": 95},
        {"radius": 1},
        {"ra": 10},
        {"ra": 1, "dec": 2, "radius": -1},
    ):
        response = _api(world, None, **params)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "validation_error"


def test_cone_results_match_a_brute_force_scan(world: dict[str, Any]) -> None:
    repo = world["server"].repo
    everything = list(repo.iterate(SearchQuery(limit=1000), ADMIN))
    rng = random.Random(3)
    centres = [(0.0, 0.0), (359.995, 0.005), (45.0, 89.92), NGC, FIELD_CENTRE, (200.0, 30.0)]
    for _ in range(25):
        ra, dec = rng.choice(centres)
        cone = Cone(
            (ra + rng.uniform(-0.05, 0.05)) % 360,
            max(-90, min(90, dec + rng.uniform(-0.05, 0.05))),
            rng.choice([0.0, 0.001, 0.01, 0.05, 0.2]),
        )
        expected = {
            r.id for r in everything if r.sky and overlaps(cone, r.sky.model_dump(by_alias=True))
        }
        query = SearchQuery(ra=cone.ra, dec=cone.dec, radius=cone.radius, limit=1000)
        assert {r.id for r in repo.search(query, ADMIN).items} == expected, cone


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort", ["uploadDate", "fileName", "observationDate", "fileSize"])
def test_cone_pages_follow_the_servers_order(world: dict[str, Any], sort: str, order: str) -> None:
    """A cone's page is cut from its matches in the search's order after the cursor: the
    pages together are exactly what one sorted query on the server returns."""
    repo = world["server"].repo
    query = SearchQuery(
        ra=FIELD_CENTRE[0], dec=FIELD_CENTRE[1], radius=0.1, limit=2, sort=sort, order=order
    )
    resolved = repo.cones.resolve(query, ADMIN)
    assert len(resolved.cone_ids) == 30
    plain = repo.searches.page_plain(resolved.model_copy(update={"limit": 100}), ADMIN)
    seen = []
    while True:
        page = repo.search(query, ADMIN, with_total=True)
        assert page.total == 30 and (len(page.items) == 2 or page.next_cursor is None)
        seen += [r.id for r in page.items]
        if page.next_cursor is None:
            break
        query = query.model_copy(update={"cursor": page.next_cursor})
    assert seen == [d["_id"] for d in plain]


# --- CLI and client ---------------------------------------------------------------------------
def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", *args], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_cli_search_takes_sexagesimal_positions_and_radii_with_units(
    world: dict[str, Any],
) -> None:
    env = world["server"].env
    ngc = str(world["records"]["ngc"].id)
    for ra, dec, radius in (
        ("10h07m01.75s", "-40d26m12.5s", "0.5arcmin"),
        ("10:07:01.75", "-40:26:12.5", "30arcsec"),
        ("151.757291667", "-40.436805556", "0.01deg"),
    ):
        result = _cli(["search", "--ra", ra, "--dec", dec, "--radius", radius, "--json"], env)
        assert result.returncode == 0, result.stderr
        items = json.loads(result.stdout)["items"]
        assert [r["id"] for r in items] == [ngc]
        assert items[0]["sky"]["ra"] == pytest.approx(NGC[0], abs=1e-6)
    wide = {**env, "COLUMNS": "200"}
    table = _cli(["search", "--ra", "10:07:01.75", "--dec=-40:26:12.5"], wide)
    assert table.returncode == 0, table.stderr
    assert "151.75729" in table.stdout and "-40.43681" in table.stdout
    bad = _cli(["search", "--ra", "10:07:01.75", "--dec=-40:26:12.5", "--radius", "5kg"], env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "not a radius: '5kg'" in bad.stderr
    no_dec = _cli(["search", "--ra", "10:07:01.75"], env)
    assert no_dec.returncode != 0 and "Traceback" not in no_dec.stderr
    assert "ra and dec" in no_dec.stderr


def test_client_search_by_position_gives_ra_dec_columns_in_degrees(
    world: dict[str, Any],
) -> None:
    server = world["server"]
    with Client(server.url, token=world["tokens"]["owner"]) as jw:
        table = jw.search(ra="10:07:01.75", dec="-40:26:12.5", radius="30arcsec")
        assert list(table["id"]) == [str(world["records"]["ngc"].id)]
        assert table["ra"].unit == u.deg and table["ra"][0] == pytest.approx(NGC[0], abs=1e-6)
        assert table["dec"][0] == pytest.approx(NGC[1], abs=1e-6)
        assert len(table.meta["records"][0]["sky"]["footprint"]) == 4
        seam = jw.search(ra=0 * u.deg, dec=0.0, radius=36 * u.arcsec)
        assert _names(world, list(seam["id"])) == {"seam", "seam-private", "seam-shared"}
        with pytest.raises(ValidationError, match="declination"):
            jw.search(ra=1.0, dec="-95d")
        everything = jw.search(max_records=100)
        assert everything["ra"].mask.any() and not everything["ra"].mask.all()


# --- speed: the cells index serves the cone --------------------------------------------------
def test_a_cone_search_starts_on_the_cells_index(world: dict[str, Any], mongo_uri: str) -> None:
    repo = world["server"].repo
    listener = _Commands()
    db_name = repo.collection.database.name
    query = SearchQuery(ra=FIELD_CENTRE[0], dec=FIELD_CENTRE[1], radius=0.05, limit=5)
    with MongoClient(mongo_uri, event_listeners=[listener], tz_aware=True) as client:
        scoped = RecordRepository(client[db_name]["jwst_data"])
        page = scoped.search(query, AccessContext.anonymous(), with_total=True)
        scoped.facets(query, AccessContext.anonymous(), [FacetName.instrument])
        assert page.items and page.total
        if not server_features(client[db_name]).explain_plan_stages:
            pytest.skip(NO_PLAN_STAGES)
        cone = [c for c in listener.sent if "_skyCells" in json.dumps(c, default=str)]
        assert cone, "the cone's candidates are read through _skyCells"
        for command in listener.sent:
            _assert_indexed(_explain(client[db_name], command))
        explained = json.dumps(_explain(client[db_name], cone[0]), default=str)
        assert '"sky"' in explained or "_skyCells" in explained


# --- migration 6 -------------------------------------------------------------------------------
def test_migration_fills_footprints_of_old_records(
    db_handle: DatabaseHandle, repo: RecordRepository
) -> None:
    def old(**fields: Any) -> dict[str, Any]:
        doc = repo.collection.database.client  # noqa: F841  (keeps the line short below)
        document = make_record(**fields).to_document()
        document.pop("sky", None)
        document["schemaVersion"] = 1
        return document

    docs = [
        old(metadata={"s_region": SEAM}),
        old(imageInfo={"wcs": _wcs(*NGC), "width": 100, "height": 80}),
        old(metadata={"mast_s_ra": 200.0, "mast_s_dec": 30.0}),
        old(),
    ]
    repo.collection.insert_many(docs)
    repo.counters.recount(repo.collection)
    assert repo.search(SearchQuery(ra=0.0, dec=0.0, radius=0.01), ADMIN).items == []
    assert {m.name: m.documents for m in pending_migrations(db_handle)}["sky-footprints"] == 4

    run_migrations(db_handle)
    assert pending_migrations(db_handle) == []
    stored = {d["_id"]: d for d in repo.collection.find({}, hint="_id_")}
    sources = [(stored[d["_id"]]["sky"] or {}).get("source") for d in docs]
    assert sources == ["s_region", "wcs", "target", None]
    assert all(stored[d["_id"]]["schemaVersion"] == 2 for d in docs)
    assert stored[docs[3]["_id"]][FIELD] == []
    for (ra, dec), doc in (((0.0, 0.0), docs[0]), (NGC, docs[1]), ((200.0, 30.0), docs[2])):
        found = repo.search(SearchQuery(ra=ra, dec=dec, radius=0.001), ADMIN).items
        assert [r.id for r in found] == [doc["_id"]]
    assert run_migrations(db_handle).changed == 0


# --- MAST import and refresh --------------------------------------------------------------
@pytest.fixture
def import_settings(settings: Any, mast_server: Any) -> Any:
    return settings.model_copy(
        update={"mast_url": mast_server.url, "mast_retries": 2, "mast_backoff": 0.01}
    )


def test_mast_import_and_refresh_keep_footprints(
    import_settings: Any,
    db_handle: DatabaseHandle,
    repo: RecordRepository,
    mast_server: Any,
) -> None:
    from jwstdata.mast import open_mast
    from jwstdata.services.mast.refresh import refresh_metadata

    job = _run(import_settings, db_handle, {"obsIds": [NIRCAM_OBS]})
    assert job.state.value == "completed", (job.error, job.log_tail[-5:])
    records = list(repo.iterate(SearchQuery(limit=500), ADMIN))
    fits_records = [r for r in records if r.file_name.endswith(".fits")]
    others = [r for r in records if not r.file_name.endswith(".fits")]
    assert fits_records and others
    # FITS files: the header's S_REGION; previews, catalogues, associations: MAST's s_region
    assert all(r.sky is not None and r.sky.source.value == "s_region" for r in records)
    found = repo.search(SearchQuery(ra=151.7574, dec=-40.4372, radius=0.01, limit=500), ADMIN)
    assert {r.id for r in found.items} == {r.id for r in records}

    # MAST moves the observation's region: refresh moves the records that rely on it.
    moved = "POLYGON ICRS 10.0 20.0 10.04 20.0 10.04 20.04 10.0 20.04"
    for row in mast_server.observations:
        if row.get("obs_id") == NIRCAM_OBS:
            row["s_region"] = moved
    with open_mast(import_settings) as mast:
        report = refresh_metadata(mast, repo, [NIRCAM_OBS])
    assert report["recordsUpdated"] == len(records)
    there = repo.search(SearchQuery(ra=10.02, dec=20.02, radius=0.001, limit=500), ADMIN)
    assert {r.id for r in there.items} == {r.id for r in others}
    here = repo.search(SearchQuery(ra=151.7574, dec=-40.4372, radius=0.01, limit=500), ADMIN)
    assert {r.id for r in here.items} == {r.id for r in fits_records}


# --- ingest ---------------------------------------------------------------------------------
def test_ingest_records_footprints_from_headers(repo: RecordRepository, tmp_path: Any) -> None:
    from jwstdata.services.ingest import IngestOptions, IngestService
    from jwstdata.storage import LocalStorage
    from tests import fitsfactory as ff

    folder = tmp_path / "incoming"
    folder.mkdir()
    ff.write_product(folder, "cal", ra=83.82, dec=-5.39, extras=False)  # S_REGION
    ff.write_product(
        folder / "jw02733001001_02101_00002_nrcb1_i2d.fits", "i2d", ra=83.9, dec=-5.3,
        extras=False, sci={"S_REGION": None},
    )  # fmt: skip
    report = IngestService(repo, LocalStorage(tmp_path / "store")).ingest([folder], IngestOptions())
    assert report.failed == [] and report.ingested == 2
    records = {r.file_name: r for r in repo.get_many(report.record_ids, ADMIN)}
    cal = records[ff.exposure_name("cal")]
    i2d = records["jw02733001001_02101_00002_nrcb1_i2d.fits"]
    assert cal.sky.source.value == "s_region" and i2d.sky.source.value == "wcs"
    for record, (ra, dec) in ((cal, (83.82, -5.39)), (i2d, (83.9, -5.3))):
        found = repo.search(SearchQuery(ra=ra, dec=dec), ADMIN).items
        assert [r.id for r in found] == [record.id]
