"""Lineage on a synthetic program: 2 observations x 4 detectors x 3 levels + stage-3 products.

Files are ingested in shuffled order, in several runs; links must come out the same as an
ordered ingest, and match what the pipeline does.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from jwstdata.db import RecordRepository
from jwstdata.models import AccessContext
from jwstdata.services.ingest import IngestOptions, IngestService
from jwstdata.services.lineage_queries import LineageQueries
from jwstdata.storage import LocalStorage
from tests import fitsfactory as ff

ADMIN = AccessContext.admin()
DETECTORS = ["nrca1", "nrca2", "nrca3", "nrca4"]
OBSERVATIONS = ["001", "002"]


def _base(obs: str) -> str:
    return f"jw02733-o{obs}_t001_nircam"


def _product(obs: str) -> str:
    return f"{_base(obs)}_clear-f444w"


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("program")
    files = []
    for obs in OBSERVATIONS:
        ids = ff.Ids(observation=obs)
        for detector in DETECTORS:
            for level in ("uncal", "rate", "cal"):
                files.append(
                    ff.write_product(
                        folder / ff.exposure_name(level, ids=ids, detector=detector),
                        level,
                        ids=ids,
                        detector=detector.upper(),
                        filter="F444W",
                        pupil="CLEAR",
                        extras=False,
                        shape=(1, 2, 8, 8) if level == "uncal" else (8, 8),
                    )
                )
        files.append(
            ff.write_product(
                folder / f"{_product(obs)}_i2d.fits",
                "i2d",
                stage3=True,
                ids=ids,
                extras=False,
                shape=(16, 16),
            )
        )
        files.append(
            ff.write_product(
                folder / f"{_product(obs)}_segm.fits",
                "i2d",
                stage3=True,
                ids=ids,
                extras=False,
                shape=(16, 16),
            )
        )
        cat = folder / f"{_product(obs)}_cat.ecsv"
        cat.write_text("# %ECSV 1.0\n# ---\n# datatype:\n# - {name: id, datatype: int64}\nid\n1\n")
        files.append(cat)
    # Observation 1 has its association; observation 2 is linked by the fallback rule.
    members = [
        {
            "expname": ff.exposure_name("cal", ids=ff.Ids(observation="001"), detector=d),
            "exptype": "science",
        }
        for d in DETECTORS
    ]
    asn = folder / "jw02733-o001_20220713t004107_image3_00001_asn.json"
    asn.write_text(
        json.dumps(
            {
                "asn_type": "image3",
                "asn_id": "o001",
                "products": [{"name": _product("001"), "members": members}],
            }
        )
    )
    files.append(asn)
    return files


def _links(repo: RecordRepository) -> dict[str, tuple]:
    """Links expressed by file names, so two databases can be compared."""
    docs = list(repo.collection.find({}))
    names = {d["_id"]: d["fileName"] for d in docs}
    return {
        d["fileName"]: (
            names.get(d.get("parentId")),
            tuple(sorted(names[i] for i in d.get("derivedFrom", []))),
            d.get("observationBaseId"),
        )
        for d in docs
    }


def _ingest_shuffled(repo: RecordRepository, files: list[Path], tmp_path: Path, seed: int) -> None:
    service = IngestService(repo, LocalStorage(tmp_path / f"store{seed}"))
    shuffled = files[:]
    random.Random(seed).shuffle(shuffled)
    for start in range(0, len(shuffled), 11):  # several runs: linking is incremental
        report = service.ingest(shuffled[start : start + 11], IngestOptions(public=True))
        assert report.failed == []


@pytest.fixture
def linked(repo: RecordRepository, program: list[Path], tmp_path: Path) -> dict[str, tuple]:
    _ingest_shuffled(repo, program, tmp_path, seed=3)
    return _links(repo)


def test_exposure_chain_is_uncal_rate_cal_per_detector(linked: dict[str, tuple]) -> None:
    for obs in OBSERVATIONS:
        ids = ff.Ids(observation=obs)
        for detector in DETECTORS:
            uncal, rate, cal = (
                ff.exposure_name(s, ids=ids, detector=detector) for s in ("uncal", "rate", "cal")
            )
            assert linked[uncal][:2] == (None, ())
            assert linked[rate][:2] == (uncal, (uncal,))
            assert linked[cal][:2] == (rate, (rate,))


def test_stage3_products_derive_from_the_cal_files_of_their_observation(
    linked: dict[str, tuple],
) -> None:
    for obs in OBSERVATIONS:
        cals = tuple(
            sorted(
                ff.exposure_name("cal", ids=ff.Ids(observation=obs), detector=d) for d in DETECTORS
            )
        )
        i2d, cat, segm = (f"{_product(obs)}_{s}" for s in ("i2d.fits", "cat.ecsv", "segm.fits"))
        assert linked[i2d] == (None, cals, _base(obs))
        assert linked[cat] == (i2d, cals, _base(obs))
        assert linked[segm] == (i2d, cals, _base(obs))


def test_exposure_files_take_the_base_id_of_the_product_they_feed(linked: dict[str, tuple]) -> None:
    for obs in OBSERVATIONS:
        for detector in DETECTORS:
            for level in ("uncal", "rate", "cal"):
                name = ff.exposure_name(level, ids=ff.Ids(observation=obs), detector=detector)
                assert linked[name][2] == _base(obs)


def test_detectors_are_siblings_never_parents(linked: dict[str, tuple]) -> None:
    for name, (parent, _derived, _base_id) in linked.items():
        if parent and "_nrca" in name and "_nrca" in parent:
            assert parent.split("_")[3] == name.split("_")[3]


def test_links_do_not_depend_on_ingest_order(
    repo: RecordRepository,
    linked: dict[str, tuple],
    program: list[Path],
    tmp_path: Path,
    db_handle,
    settings,
) -> None:
    other = RecordRepository(db_handle.client[settings.database + "_b"]["jwst_data"])
    try:
        from jwstdata.db import init_database
        from jwstdata.db.connection import DatabaseHandle

        init_database(DatabaseHandle(db_handle.client, other.collection.database, "", False))
        _ingest_shuffled(other, list(reversed(program)), tmp_path, seed=11)
        assert _links(other) == linked
    finally:
        db_handle.client.drop_database(settings.database + "_b")


def test_reingest_keeps_the_links(
    repo: RecordRepository, linked: dict[str, tuple], program, tmp_path
) -> None:
    _ingest_shuffled(repo, program, tmp_path, seed=3)
    assert _links(repo) == linked


def test_observation_view_and_walks(repo: RecordRepository, linked: dict[str, tuple]) -> None:
    queries = LineageQueries(repo)
    view = queries.observation(_base("001"), ADMIN)
    counts = {level: len(records) for level, records in view["levels"].items()}
    assert counts == {"L1": 4, "L2a": 4, "L2b": 4, "L3": 3, "unknown": 1}  # + the asn
    assert (
        len(view["edges"]) == 4 + 4 + 3 * 4 + 2
    )  # rate<-uncal, cal<-rate, L3<-cals, cat/segm<-i2d
    cat = next(r for r in view["levels"]["L3"] if r.file_name.endswith("_cat.ecsv"))
    ancestors = {r.file_name for r in queries.ancestors(cat.id, ADMIN)}
    assert f"{_product('001')}_i2d.fits" in ancestors
    assert ff.exposure_name("uncal", ids=ff.Ids(observation="001"), detector="nrca3") in ancestors
    assert len(ancestors) == 1 + 12
    uncal = next(r for r in view["levels"]["L1"] if "_nrca2_" in r.file_name)
    descendants = {r.file_name for r in queries.descendants(uncal.id, ADMIN)}
    assert descendants == {
        ff.exposure_name("rate", ids=ff.Ids(observation="001"), detector="nrca2"),
        ff.exposure_name("cal", ids=ff.Ids(observation="001"), detector="nrca2"),
        *(f"{_product('001')}_{s}" for s in ("i2d.fits", "cat.ecsv", "segm.fits")),
    }


def test_walks_never_reveal_hidden_records(
    repo: RecordRepository, linked: dict[str, tuple]
) -> None:
    queries = LineageQueries(repo)
    repo.collection.update_many({"processingLevel": "L2a"}, {"$set": {"isPublic": False}})
    view = queries.observation(_base("001"), AccessContext.anonymous())
    assert view["levels"]["L2a"] == []
    assert all("rate" not in str(edge) for edge in view["edges"])
    cal = next(r for r in view["levels"]["L2b"])
    assert {
        r.processing_level.value for r in queries.ancestors(cal.id, AccessContext.anonymous())
    } == set()


def test_cli_lineage_json(cli_env: dict, repo: RecordRepository, linked: dict[str, tuple]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jwstdata", "lineage", _base("002"), "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["observationBaseId"] == _base("002")
    assert set(data["levels"]) == {"L1", "L2a", "L2b", "L3", "unknown"}
    assert len(data["levels"]["L1"]) == 4 and all(
        isinstance(e, list) and len(e) == 2 for e in data["edges"]
    )
    some = data["levels"]["L2b"][0]["id"]
    walk = subprocess.run(
        [sys.executable, "-m", "jwstdata", "lineage", "--of", some, "--ancestors", "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert walk.returncode == 0, walk.stderr
    assert len(json.loads(walk.stdout)["records"]) == 2


def test_lookups_longer_than_one_slice_find_everything_once(repo: RecordRepository) -> None:
    """The linker's lookups run in slices of IN_SLICE values: every record is found, and a
    product fed by sources in two slices is found once."""
    from jwstdata.db.hints import IN_SLICE
    from jwstdata.db.lineage_store import LineageStore
    from tests.factories import make_record

    sources = [
        make_record(fileName=f"jw02733001001_02101_{i:05d}_nrca1_cal.fits") for i in range(250)
    ]
    ids = repo.bulk_insert(sources).inserted_ids
    assert len(ids) > 2 * IN_SLICE
    both = [ids[0], ids[-1]]  # in the first and the last slice
    product = make_record(fileName="jw02733-o001_t001_nircam_clear-f090w_i2d.fits")
    product = product.model_copy(update={"derived_from": both})
    (product_id,) = repo.bulk_insert([product]).inserted_ids
    store = LineageStore.for_records(repo)

    assert {d["_id"] for d in store.by_ids(list(ids))} == set(ids)
    names = [s.file_name for s in sources]
    assert len(store.by_names(None, names)) == len(names)
    fed = store.products_fed_by(None, list(ids))
    assert [d["_id"] for d in fed] == [product_id]
    assert set(fed[0]["derivedFrom"]) == set(both)
