"""Observation search against the local MAST server: name resolution and cones, RA
wrap-around, filters, public-only, the TTL cache, recorded MAST answers, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from jwstdata.errors import TargetNotResolvedError
from jwstdata.mast import MastClient, MastSearch, ObservationQuery, ObservationRow, TTLCache
from jwstdata.mast.models import mjd_now
from jwstdata.mast.search import FILTERED, FILTERED_POSITION, NAME_LOOKUP, normalize_program
from tests.mast_server import ASTROQUERY_DIR, MastTestServer

NIRCAM_L3 = "jw02733-o001_t001_nircam_clear-f444w"
MIRI_L3 = "jw02733-o002_t001_miri_f1130w"


@pytest.fixture
def search(mast_client: MastClient) -> MastSearch:
    return MastSearch(mast_client, cache_ttl=60)


def sent(server: MastTestServer, service: str) -> list[dict[str, Any]]:
    return [r.request for r in server.requests if r.service == service]


def sky_row(obs_id: str, ra: float, dec: float, **extra: Any) -> dict[str, Any]:
    return {
        "obs_collection": "JWST", "obs_id": obs_id, "obsid": abs(hash(obs_id)) % 10**9,
        "s_ra": ra, "s_dec": dec, "instrument_name": "NIRCAM/IMAGE", "filters": "F200W",
        "calib_level": 3, "proposal_id": "1234", "dataproduct_type": "image",
        "dataRights": "PUBLIC", "t_obs_release": 59900.0, "t_min": 59800.0, "t_max": 59800.1,
        **extra,
    }  # fmt: skip


# --- name resolution and cones -------------------------------------------------------------


def test_target_name_is_resolved_then_searched_as_a_cone(
    mast_server: MastTestServer, search: MastSearch
) -> None:
    rows = search.observations(ObservationQuery(target="NGC 3132", radius=0.05))
    ids = [r.obs_id for r in rows]
    assert NIRCAM_L3 in ids and MIRI_L3 in ids
    assert all(r.obs_collection == "JWST" for r in rows)
    (lookup,) = sent(mast_server, NAME_LOOKUP)
    assert lookup["params"] == {"input": "NGC 3132", "format": "json"}
    (cone,) = sent(mast_server, FILTERED_POSITION)
    ra, dec, radius = (float(x) for x in cone["params"]["position"].split(","))
    assert (ra, dec, radius) == (151.757625, -40.436389, 0.05)  # the first resolver (NED)
    assert {"paramName": "obs_collection", "values": ["JWST"]} in cone["params"]["filters"]


def test_recorded_resolver_answer(search: MastSearch) -> None:
    target = search.resolve("TIC 307210830")  # astroquery's recorded resolver.json
    assert (target.ra, target.dec) == (124.531756290083, -68.3129998725044)
    assert target.resolver == "TIC" and target.canonical_name == "TIC 307210830"


def test_unknown_target_is_a_clear_error(search: MastSearch) -> None:
    with pytest.raises(TargetNotResolvedError, match="could not resolve the target name"):
        search.observations(ObservationQuery(target="Planet Nine"))


@pytest.fixture
def wrap_rows(mast_server: MastTestServer) -> None:
    mast_server.add_observations(
        [
            sky_row("wrap-a", 359.93, 0.0),  # 0.07 deg west of RA 0
            sky_row("wrap-b", 0.05, 0.0),  # 0.05 deg east
            sky_row("wrap-c", 0.14, 0.0),  # beyond 0.1 deg, inside MAST's footprint margin
            sky_row("wrap-far", 180.0, 0.0),
        ]
    )


@pytest.mark.usefixtures("wrap_rows")
def test_cone_across_ra_zero_uses_true_angular_distance(
    mast_server: MastTestServer, search: MastSearch
) -> None:
    rows = search.observations(ObservationQuery(ra=0.0, dec=0.0, radius=0.1))
    assert [r.obs_id for r in rows] == ["wrap-b", "wrap-a"]  # nearest first
    loose = search.observations(ObservationQuery(ra=0.0, dec=0.0, radius=0.1, exact_cone=False))
    assert {r.obs_id for r in loose} == {"wrap-a", "wrap-b", "wrap-c"}


@pytest.mark.usefixtures("wrap_rows")
def test_cone_centred_just_below_360(search: MastSearch) -> None:
    rows = search.observations(ObservationQuery(ra=359.9, dec=0.0, radius=0.2))
    assert [r.obs_id for r in rows] == ["wrap-a", "wrap-b"]  # 0.03 and 0.15 deg away


def test_cone_near_the_pole(mast_server: MastTestServer, search: MastSearch) -> None:
    mast_server.add_observations(
        [
            sky_row("pole-a", 10.0, 89.95),
            sky_row("pole-b", 190.0, 89.95),
            sky_row("pole-c", 100.0, 89.7),
        ]
    )
    rows = search.observations(ObservationQuery(ra=100.0, dec=89.95, radius=0.11))
    assert {r.obs_id for r in rows} == {"pole-a", "pole-b"}  # 0.0707 deg apart, not 90 deg of RA


# --- filters ---------------------------------------------------------------------------------


def test_program_search_with_instrument_filter_and_level(
    mast_server: MastTestServer, search: MastSearch
) -> None:
    rows = search.observations(
        ObservationQuery(programs=["02733"], instruments=["miri"], calib_levels=[3])
    )
    assert [r.obs_id for r in rows] == [MIRI_L3]
    (request,) = sent(mast_server, FILTERED)
    filters = {f["paramName"]: f for f in request["params"]["filters"]}
    assert filters["proposal_id"]["values"] == ["2733"]
    assert filters["instrument_name"]["freeText"] == "MIRI%"
    assert filters["calib_level"]["values"] == ["3"]


def test_filter_and_product_type(search: MastSearch) -> None:
    by_filter = search.observations(ObservationQuery(programs=["2733"], filters=["f444w"]))
    assert {r.instrument for r in by_filter} == {"NIRCAM"} and len(by_filter) == 5
    spectra = search.observations(
        ObservationQuery(target="NGC 3132", radius=0.1, product_types=["spectrum"])
    )
    assert {r.proposal_id for r in spectra} == {"4498"}
    grating = search.observations(ObservationQuery(programs=["4498"], filters=["G395H"]))
    assert len(grating) == 2  # "F290LP;G395H": any ;-token matches


def test_observation_id_exact_and_wildcard(mast_server: MastTestServer, search: MastSearch) -> None:
    (row,) = search.observations(ObservationQuery(obs_ids=[NIRCAM_L3]))
    assert row.obsid == "87602795" and row.calib_level == 3
    rows = search.observations(ObservationQuery(obs_ids=["jw02733001001_02101_0000*"]))
    assert len(rows) == 4 and all(r.calib_level == 2 for r in rows)
    assert sent(mast_server, FILTERED)[-1]["params"]["filters"][1]["freeText"] == (
        "jw02733001001_02101_0000%"
    )


def test_date_range_overlaps_the_observation(search: MastSearch) -> None:
    june = ObservationQuery(
        programs=["2733"], date_from=datetime(2022, 6, 3), date_to=datetime(2022, 6, 4)
    )
    assert len(search.observations(june)) == 8
    later = ObservationQuery(programs=["2733"], date_from=datetime(2023, 1, 1))
    assert search.observations(later) == []


def test_public_only_needs_public_rights_and_a_past_release(
    mast_server: MastTestServer, search: MastSearch
) -> None:
    mast_server.add_observations(
        [
            sky_row(
                "embargoed", 151.7574, -40.4372, t_obs_release=mjd_now() + 30, dataRights="PUBLIC"
            )
        ]
    )
    everything = search.observations(ObservationQuery(target="NGC 3132", radius=0.1))
    public = search.observations(ObservationQuery(target="NGC 3132", radius=0.1, public_only=True))
    assert {r.data_rights for r in everything} == {"PUBLIC", "EXCLUSIVE_ACCESS"}
    assert "embargoed" in {r.obs_id for r in everything}
    assert {r.obs_id for r in public} == {
        r.obs_id for r in everything if r.data_rights == "PUBLIC" and r.obs_id != "embargoed"
    }
    filters = sent(mast_server, FILTERED_POSITION)[-1]["params"]["filters"]
    assert {"paramName": "dataRights", "values": ["PUBLIC"]} in filters
    assert any(f["paramName"] == "t_obs_release" for f in filters)


def test_rows_keep_every_mast_column(search: MastSearch) -> None:
    (row,) = search.observations(ObservationQuery(obs_ids=[NIRCAM_L3]))
    data = row.to_row()
    assert data["dataRights"] == "PUBLIC" and data["jpegURL"].endswith("_i2d.jpg")
    assert data["proposal_type"] == "ERO" and data["target_classification"]  # unknown columns kept
    assert "_selected_" not in data


def test_recorded_cone_answer_verbatim(
    mast_server: MastTestServer, mast_client: MastClient
) -> None:
    recorded = json.loads((ASTROQUERY_DIR / "caom.json").read_text())
    mast_server.script("Mast.Caom.Cone", [recorded])
    rows = mast_client.invoke("Mast.Caom.Cone", {"ra": 23.34, "dec": 60.66, "radius": 0.2})
    assert rows == recorded["data"]
    models = [ObservationRow.model_validate(r) for r in rows]
    assert len(models) == 19 and {m.obs_collection for m in models} == {"HST", "HLA", "GALEX"}
    assert models[0].to_row()["distance"] == recorded["data"][0]["distance"]


def test_recorded_hst_rows_read_through_the_same_models(search: MastSearch) -> None:
    rows = search.observations(
        ObservationQuery(ra=23.11817129395, dec=60.64213575852, radius=0.05, collection="HST")
    )
    first = rows[0]
    assert first.obs_id == "U27XCS01T" and first.obsid == "2003585980"
    assert first.instrument == "WFPC2" and first.proposal_id == "5371"


# --- cache and validation ---------------------------------------------------------------------


def test_answers_are_cached_by_request(
    mast_server: MastTestServer, mast_client: MastClient
) -> None:
    now = [0.0]
    search = MastSearch(mast_client, cache=TTLCache(30, clock=lambda: now[0]))
    query = ObservationQuery(target="NGC 3132", radius=0.05)
    first = search.observations(query)
    assert search.observations(query) == first
    assert (
        len(sent(mast_server, FILTERED_POSITION)) == 1 and len(sent(mast_server, NAME_LOOKUP)) == 1
    )
    search.observations(ObservationQuery(target="ngc 3132", radius=0.06))  # another request
    assert (
        len(sent(mast_server, FILTERED_POSITION)) == 2 and len(sent(mast_server, NAME_LOOKUP)) == 1
    )
    now[0] = 31.0  # expired
    search.observations(query)
    assert len(sent(mast_server, FILTERED_POSITION)) == 3


def test_ttl_cache_evicts_oldest() -> None:
    cache = TTLCache(10, maxsize=2, clock=lambda: 0.0)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    off = TTLCache(0)
    off.put("a", 1)
    assert off.get("a") is None


@pytest.mark.parametrize(
    "options, message",
    [
        ({}, "give a target, coordinates"),
        ({"ra": 10.0}, "give both ra and dec"),
        ({"target": "M 31", "ra": 1.0, "dec": 2.0}, "not both"),
        ({"programs": ["abc"]}, "a program is a number"),
        ({"ra": 360.0, "dec": 0.0}, "less than 360"),
        ({"programs": ["1"], "calib_levels": [7]}, "calibration levels are 0 to 4"),
    ],
)
def test_invalid_queries(options: dict[str, Any], message: str) -> None:
    with pytest.raises(PydanticValidationError, match=message):
        ObservationQuery(**options)


def test_program_numbers_are_normalised() -> None:
    assert [normalize_program(p) for p in ("02733", "2733", "jw02733", 2733)] == ["2733"] * 4


# --- CLI ---------------------------------------------------------------------------------------


def run_cli(server: MastTestServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(
        JWSTDATA_MAST_URL=server.url, JWSTDATA_MAST_RETRIES="1", JWSTDATA_MAST_BACKOFF="0.01",
        JWSTDATA_MAST_POLL_INTERVAL="0.01", JWSTDATA_HOME=str(tmp_path / "home"),
    )  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_cli_search_json(mast_server: MastTestServer, tmp_path: Path) -> None:
    mast_server.faults.executing_polls = 2
    result = run_cli(
        mast_server, tmp_path, "mast", "search", "--target", "NGC 3132", "--radius", "0.05",
        "--instrument", "NIRCAM", "--calib-level", "3", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["count"] == 1
    (row,) = payload["items"]
    assert row["obs_id"] == NIRCAM_L3 and row["obsid"] == "87602795"
    assert row["dataRights"] == "PUBLIC" and row["instrument_name"] == "NIRCAM/IMAGE"


def run_main(
    server: MastTestServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, str, str]:
    """The CLI entry point in this process (same error handling as the console script)."""
    from jwstdata.cli import main

    monkeypatch.setenv("JWSTDATA_MAST_URL", server.url)
    monkeypatch.setenv("JWSTDATA_MAST_RETRIES", "1")
    monkeypatch.setenv("JWSTDATA_MAST_BACKOFF", "0.01")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "argv", ["jwstdata", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_search_table_and_errors(
    mast_server: MastTestServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(mast_server, monkeypatch, capsys, "mast", "search", "--program",
                              "2733", "--table")  # fmt: skip
    assert code == 0, err
    assert MIRI_L3 in out and NIRCAM_L3 in out and "8 rows" in out
    code, out, err = run_main(mast_server, monkeypatch, capsys, "mast", "search")
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines() == [
        "error: invalid input: query: Value error, give a target, coordinates, an observation "
        "id or a program"
    ]
    code, out, err = run_main(mast_server, monkeypatch, capsys, "mast", "search", "--target",
                              "Planet Nine")  # fmt: skip
    assert code == 1
    assert err.strip() == "error: MAST could not resolve the target name 'Planet Nine'"
    mast_server.faults.fail_statuses = [503] * 5
    code, out, err = run_main(mast_server, monkeypatch, capsys, "mast", "search", "--program", "1")
    assert code == 1
    assert err.strip() == ("error: MAST query Mast.Caom.Filtered page 1: HTTP 503 after 2 attempts")


def test_cli_offline_is_one_line_naming_the_host(tmp_path: Path) -> None:
    """A host that does not resolve (as when offline): said at once, not retried 5 times."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(JWSTDATA_HOME=str(tmp_path), JWSTDATA_MAST_URL="https://mast.invalid")
    result = subprocess.run(
        [sys.executable, "-m", "jwstdata", "mast", "search", "--program", "2733"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: MAST query Mast.Caom.Filtered page 1: mast.invalid is unreachable: its name "
        "does not resolve (offline, or a DNS failure); check the network connection and "
        "JWSTDATA_MAST_URL"
    ]
