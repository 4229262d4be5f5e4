"""The facet and total counters equal a fresh aggregation after any sequence of writes."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest
from bson import ObjectId

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository
from jwstdata.db.counter_snapshot import TOTAL, cells_for
from jwstdata.db.counters import COUNTED, TAGS
from jwstdata.db.search_plan import choose_driver
from jwstdata.models import AccessContext, JwstDataModel
from jwstdata.models.search import FacetName, SearchQuery
from jwstdata.services.archive import ArchiveService
from jwstdata.services.record_writer import RecordWriter
from jwstdata.services.records import RecordService
from jwstdata.storage import LocalStorage
from tests.factories import make_record, random_access

OWNERS = [ObjectId() for _ in range(3)]
INSTRUMENTS = {"NIRCAM": ["F090W", "F444W"], "MIRI": ["F770W"], "NIRSPEC": [None]}


def _random_record(rng: random.Random, **fields: Any) -> JwstDataModel:
    instrument = rng.choice(list(INSTRUMENTS))
    info = {
        "targetName": rng.choice(["NGC-3132", "M16"]),
        "instrument": instrument,
        "filter": rng.choice(INSTRUMENTS[instrument]),
        "proposalId": rng.choice(["2733", "1324", None]),
    }
    # Detector from the headers or, without one, the file name (nrca1); EXP_TYPE if known.
    metadata = {
        "exp_type": rng.choice(["NRC_IMAGE", "MIR_IMAGE", None]),
        **({"detector": rng.choice(["NRCB1", "MIRIMAGE"])} if rng.random() < 0.5 else {}),
    }
    return make_record(
        imageInfo=info,
        **random_access(rng, OWNERS),
        tags=rng.sample(["deep", "ero", "review"], rng.randint(0, 2)),
        fileSize=rng.choice([None, 100, 2500]),
        metadata=metadata,
        **fields,
    )


def _fresh(repo: RecordRepository, query: SearchQuery, ctx: AccessContext) -> dict[str, Any]:
    """What a plain scan of the collection says, computed here from the raw documents."""
    shown = {"isArchived": False, "isDerived": {"$ne": True}}
    visible = list(repo.collection.find({"$and": [ctx.read_filter(), shown]}))
    if query.user_id is not None:
        visible = [d for d in visible if d.get("userId") == query.user_id]
    if query.is_public is not None:
        visible = [d for d in visible if d.get("isPublic") is query.is_public]
    out: dict[str, Any] = {
        TOTAL: len(visible),
        "bytes": sum(d.get("fileSize") or 0 for d in visible),
    }
    for facet, path in COUNTED.items():
        counts: Counter = Counter()
        for doc in visible:
            value: Any = doc
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            for v in value or [] if facet == TAGS else [value]:
                counts[v] += 1
        out[facet] = dict(counts)
    return out


def _counted(repo: RecordRepository, query: SearchQuery, ctx: AccessContext) -> dict[str, Any]:
    cells = cells_for(query, ctx)
    assert cells is not None
    snapshot = repo.counters.read(cells, heavy=True)
    assert snapshot.present
    counts = snapshot.sum(cells)
    out: dict[str, Any] = {TOTAL: counts.total, "bytes": counts.total_bytes}
    for facet in COUNTED:
        out[facet] = {row["value"]: row["count"] for row in counts.facet(facet, limit=10_000)}
    return out


def _scopes() -> list[tuple[SearchQuery, AccessContext]]:
    base = SearchQuery()
    scopes = [(base, AccessContext.anonymous()), (base, AccessContext.admin())]
    for owner in OWNERS:
        user = AccessContext.user(owner)
        scopes += [
            (base, user),
            (base.model_copy(update={"user_id": owner}), user),
            (base.model_copy(update={"is_public": True}), user),
            (base.model_copy(update={"is_public": False}), user),
        ]
    return scopes


def _assert_counters_match(repo: RecordRepository) -> None:
    for query, ctx in _scopes():
        assert _counted(repo, query, ctx) == _fresh(repo, query, ctx), (query, ctx)


def test_counters_follow_a_random_sequence_of_writes(
    repo: RecordRepository, settings: Settings
) -> None:
    rng = random.Random(20261202)
    storage = LocalStorage(settings.local_storage_root)
    records = RecordService(repo, storage)
    writer = RecordWriter(repo, storage)
    archive = ArchiveService(repo, storage, settings)
    admin = AccessContext.admin()
    ids: list[ObjectId] = []

    def pick() -> ObjectId:
        return rng.choice(ids)

    def create() -> None:
        derived = rng.random() < 0.2  # processing outputs: never counted
        ids.append(repo.create(_random_record(rng, isDerived=derived)).object_id)

    def bulk() -> None:
        ids.extend(
            repo.bulk_insert([_random_record(rng) for _ in range(rng.randint(1, 5))]).inserted_ids
        )

    def edit() -> None:
        changes = rng.choice(
            [
                {"isPublic": rng.random() < 0.5},
                {"tags": rng.sample(["deep", "ero", "review", "new"], 2)},
                {"processingLevel": rng.choice(["L2a", "L3"]), "dataType": "sensor"},
                {"imageInfo": {"instrument": "NIRISS", "filter": "F150W"}},
            ]
        )
        repo.update(pick(), changes, admin)

    def share() -> None:
        record = repo.get(pick(), admin)
        others = [o for o in OWNERS if o != record.user_id]
        repo.update(record.object_id, {"sharedWith": rng.sample(others, rng.randint(0, 2))}, admin)

    def status() -> None:
        repo.set_fields(pick(), {"processingStatus": rng.choice(["processing", "failed"])})

    def reingest() -> None:
        record = repo.get(pick(), admin)
        again = _random_record(rng).model_copy(
            update={"file_path": record.file_path, "user_id": record.user_id}
        )
        writer.upsert([again], owner=record.user_id, remove_files_on_failure=False)

    def archive_flip() -> None:
        record = repo.get(pick(), admin)
        if record.file_path and not record.is_archived:
            written = storage.write_stream(record.file_path, io.BytesIO(record.file_name.encode()))
            changes = {"checksum": written.sha256, "fileSize": written.size}
            repo.update(record.object_id, changes, admin)  # archiving verifies the file
            archive.archive_record(record.object_id, admin)
        elif record.is_archived:
            archive.unarchive_record(record.object_id, admin)

    def delete() -> None:
        records.delete(ids.pop(rng.randrange(len(ids))), admin)

    for _ in range(10):
        create()
    actions = [create, bulk, edit, share, status, reingest, archive_flip, delete]
    for _ in range(120):
        rng.choice(actions)()
    _assert_counters_match(repo)

    maintained = sorted(
        repo.counters.collection.find({"n": {"$ne": 0}}, {"_id": 1, "n": 1, "bytes": 1}), key=str
    )
    report = repo.counters.recount(repo.collection)
    assert report["records"] == len(ids)
    rebuilt = sorted(
        repo.counters.collection.find({"n": {"$ne": 0}}, {"_id": 1, "n": 1, "bytes": 1}), key=str
    )
    assert rebuilt == maintained
    _assert_counters_match(repo)


def test_facets_and_stats_from_counters_equal_the_live_aggregation(repo: RecordRepository) -> None:
    rng = random.Random(5)
    repo.bulk_insert([_random_record(rng) for _ in range(60)])
    for query, ctx in _scopes():
        counted = repo.facets(query, ctx)
        driver = choose_driver(query, ctx, repo.counters.read([]), for_page=False)
        live = repo.searches._live(driver, {f.value: _branch(query, ctx, f) for f in FacetName})
        assert counted == live
        stats = repo.stats(query, ctx)
        live_stats = repo.stats(query.model_copy(update={"text": "fits"}), ctx)  # forces live
        assert stats == live_stats


def _branch(query: SearchQuery, ctx: AccessContext, facet: FacetName) -> Any:
    from jwstdata.db.count_terms import CountBranch

    return CountBranch(query, ctx, facet)


def test_db_recount_rebuilds_the_counters(repo: RecordRepository, cli_env: dict) -> None:
    rng = random.Random(9)
    repo.bulk_insert([_random_record(rng) for _ in range(20)])
    repo.counters.collection.delete_many({})
    assert not repo.counters.read(["public"]).present  # incomplete counters are never used
    assert repo.count(SearchQuery(), AccessContext.anonymous()) == repo.collection.count_documents(
        {"isPublic": True, "isArchived": False}
    )
    out = subprocess.run(
        [sys.executable, "-m", "jwstdata", "db", "recount", "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert '"records": 20' in out.stdout
    _assert_counters_match(repo)


@pytest.mark.parametrize("fields", [["sharedWith"], ["imageInfo.filter"], ["tags"]])
def test_writes_that_touch_counted_fields_are_detected(fields: list[str]) -> None:
    from jwstdata.db.counters import touches_counters

    assert touches_counters(fields)
    assert touches_counters(["imageInfo"])
    assert not touches_counters(["parentId", "observationBaseId", "processingResults"])


def test_large_filtered_facet_views_are_estimated_and_say_so(
    repo: RecordRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past LIVE_EXACT_LIMIT records, facet counts come from the most recent records,
    scaled, and every row says ``approximate``; totals stay exact."""
    from jwstdata.db import record_search

    rng = random.Random(12)
    repo.bulk_insert(
        [
            _random_record(rng, uploadDate=make_record().upload_date.replace(year=2023, month=m))
            for m in range(1, 13)
            for _ in range(10)
        ]
    )
    admin = AccessContext.admin()
    query = SearchQuery(instrument=["NIRCAM"])
    exact = repo.facets(query, admin)
    assert all("approximate" not in row for rows in exact.values() for row in rows)
    monkeypatch.setattr(record_search, "LIVE_EXACT_LIMIT", 30)
    estimated = repo.facets(query, admin)
    rows = [row for facet in estimated.values() for row in facet]
    assert rows and all(row["approximate"] for row in rows)
    exact_level = {r["value"]: r["count"] for r in exact["processingLevel"]}
    estimated_level = {r["value"]: r["count"] for r in estimated["processingLevel"]}
    assert set(estimated_level) <= set(exact_level)
    assert abs(sum(estimated_level.values()) - sum(exact_level.values())) <= 0.6 * sum(
        exact_level.values()
    )
    assert repo.count(query, admin) == repo.collection.count_documents(
        {"imageInfo.instrument": "NIRCAM", "isArchived": False}
    )


def test_programme_counters_are_one_document_per_cell(
    repo: RecordRepository, db_handle: DatabaseHandle
) -> None:
    """Awkward programme values survive the field-name encoding; the old one-document-per-
    programme layout still adds up, and ``db migrate`` (8) rewrites it per cell."""
    from jwstdata.db.indexes import COUNTS_HEAVY
    from jwstdata.db.migrations import run_migrations

    values = ["2733", "a.b", "$x", "50%", None, "é ü"]
    repo.bulk_insert(
        [make_record(isPublic=True, imageInfo={"proposalId": v}, fileSize=10) for v in values]
    )
    heavy = repo.collection.database[COUNTS_HEAVY]
    public = heavy.find_one({"_id": "public|program"})
    assert public is not None and len(public["n"]) == len(values)
    expected = {v: 1 for v in values}
    assert _counted(repo, SearchQuery(), AccessContext.anonymous())["program"] == expected

    # The layout before migration 8: one document per (cell, programme), beside the new ones.
    old = {"cell": "public", "facet": "program", "value": "1324", "n": 2, "bytes": 20}
    heavy.insert_one({"_id": 'public|program|"1324"', **old})
    got = _counted(repo, SearchQuery(), AccessContext.anonymous())
    assert got["program"] == expected | {"1324": 2}

    report = run_migrations(db_handle)
    assert {"number": 8, "name": "programme-counters-per-cell", "changed": 1} in report.applied
    assert heavy.count_documents({"value": {"$exists": True}}) == 0
    # Rebuilt from the records: the hand-made counter had no records behind it.
    _assert_counters_match(repo)
    assert heavy.count_documents({"cell": "public"}) == 1
