"""Every search the data layer offers runs on an index: proven with ``explain()``.

On a server whose ``explain`` has no plan stages (FerretDB v1 on SQLite, which filters in
FerretDB after a table scan and ignores ``hint``), index use cannot be shown: the tests
then check that every hint the code sends is accepted and changes no result, and skip.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from pymongo import MongoClient, monitoring

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository, init_database, open_database, search_plan
from jwstdata.db.features import server_features
from jwstdata.db.indexes import INDEXES, RECORD_INDEXES
from jwstdata.db.search_plan import SORT_INDEX
from jwstdata.models import AccessContext
from jwstdata.models.search import SearchQuery, SortField
from tests.factories import make_record

SEARCH_PLAN = Path(search_plan.__file__)
USER = ObjectId()
CONTEXTS = {
    "anonymous": AccessContext.anonymous(),
    "user": AccessContext.user(USER),
    "admin": AccessContext.admin(),
}
DAY = datetime(2023, 1, 1, tzinfo=UTC)
SEARCHES: dict[str, dict[str, Any]] = {
    "default": {},
    "dataType": {"data_type": ["image"]},
    "dataTypes": {"data_type": ["image", "spectral"]},
    "status": {"processing_status": ["completed"]},
    "level": {"processing_level": ["L3"]},
    "tags all": {"tags": ["a", "b"]},
    "tags any": {"tags": ["a", "b"], "tag_mode": "any"},
    "observation": {"observation_base_id": "jw02733-o001_t001_nircam"},
    "exposure": {"exposure_id": "jw02733001001_02101_00001"},
    "parent": {"parent_id": ObjectId()},
    "instrument": {"instrument": ["NIRCAM"]},
    "instrument+filter": {"instrument": ["NIRCAM"], "filter": ["F090W"]},
    "filter": {"filter": ["F444W"]},
    "target prefix": {"target_name": "ngc"},
    "proposal": {"proposal_id": "2733"},
    "observed range": {"observation_date_from": DAY},
    "uploaded range": {"upload_date_from": DAY, "upload_date_to": datetime(2030, 1, 1, tzinfo=UTC)},
    "format": {"file_format": ["fits"]},
    "public": {"is_public": True},
    "owner": {"user_id": USER},
    "archived": {"is_archived": True},
    "all archived states": {"is_archived": None},
    "derived only": {"is_derived": True},
    "derived and not": {"is_derived": None},
    "text": {"text": "nrca1"},
    "text+level": {"text": "cal", "processing_level": ["L2b"]},
    "text words": {"text": "NGC 3132 f090w"},
    "text joined": {"text": "ngc3132"},
    "program": {"program": ["2733"]},
    "programs": {"program": ["2733", "1234"]},
    "target": {"target": ["NGC-3132"]},
    "detector": {"detector": ["NRCA1"]},
    "exposure type": {"exposure_type": ["NRC_IMAGE"]},
    **{f"sort {s.value}": {"sort": s} for s in SortField},
    **{f"sort {s.value} asc": {"sort": s, "order": "asc"} for s in SortField},
}


def _stages(plan: Any) -> list[str]:
    found: list[str] = []
    if isinstance(plan, dict):
        if "stage" in plan:
            found.append(plan["stage"])
        for value in plan.values():
            found += _stages(value)
    elif isinstance(plan, list):
        for value in plan:
            found += _stages(value)
    return found


NO_PLAN_STAGES = (
    "server's explain has no plan stages (explain_plan_stages=False): index use cannot be shown"
)


def _assert_indexed(explained: dict) -> None:
    stages = _stages(explained.get("queryPlanner", explained))
    assert "COLLSCAN" not in stages, stages
    assert "IXSCAN" in stages or "IDHACK" in stages, stages


@pytest.fixture(scope="module")
def seeded(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordRepository]:
    """One seeded database for the whole module (explain does not change data)."""
    name = f"jwst_test_ix_{uuid.uuid4().hex[:8]}"
    settings = Settings(mongodb_uri=mongo_uri, database=name, home=tmp_path_factory.mktemp("ix"))
    with open_database(settings) as handle:
        init_database(handle)
        repo = RecordRepository.for_database(handle)
        records = [
            make_record(
                userId=USER if i % 3 == 0 else None,
                isPublic=i % 2 == 0,
                tags=["a", "b"][: i % 3],
                isDerived=i % 7 == 0,
                metadata={"exp_type": "NRC_IMAGE" if i % 4 else "NRC_TSIMAGE"},
            )
            for i in range(300)
        ]
        assert not repo.bulk_insert(records).failed
        try:
            yield repo
        finally:
            handle.client.drop_database(name)


class _Commands(monitoring.CommandListener):
    """Every command a client sends, to explain exactly what the data layer ran."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("find", "aggregate"):
            self.sent.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _explain(db: Any, command: dict[str, Any]) -> dict[str, Any]:
    kept = {"find", "aggregate", "filter", "sort", "limit", "pipeline", "hint", "projection"}
    body = {k: v for k, v in command.items() if k in kept}
    if "aggregate" in body:
        body["cursor"] = {}
    return db.command({"explain": body})


# Counts that have no index-served clause to start from: "archived or not".
SCANNED_COUNTS = {"all archived states"}


@pytest.mark.parametrize("ctx_name", list(CONTEXTS))
@pytest.mark.parametrize("search", list(SEARCHES))
def test_search_page_count_and_facets_use_an_index_unhinted(
    seeded: RecordRepository, mongo_uri: str, search: str, ctx_name: str
) -> None:
    """Capture what a page, its next page, a count and the facets send; explain each."""
    ctx, query = CONTEXTS[ctx_name], SearchQuery(**SEARCHES[search], limit=20)
    listener = _Commands()
    db_name = seeded.collection.database.name
    with MongoClient(mongo_uri, event_listeners=[listener], tz_aware=True) as client:
        repo = RecordRepository(client[db_name]["jwst_data"])
        page = repo.search(query, ctx)
        if page.next_cursor:
            repo.search(query.model_copy(update={"cursor": page.next_cursor}), ctx)
        paging = list(listener.sent)
        repo.count(query, ctx)
        repo.facets(query, ctx)
        counting = listener.sent[len(paging) :]
        features = server_features(client[db_name])
        if not features.explain_plan_stages:
            pytest.skip(NO_PLAN_STAGES)
        assert features.hint_efficient or not any("hint" in c for c in listener.sent)
        for command in paging:
            _assert_indexed(_explain(client[db_name], command))
        for command in counting:
            if search in SCANNED_COUNTS and command.get("aggregate") == "jwst_data":
                continue
            _assert_indexed(_explain(client[db_name], command))


def test_lookup_by_id_and_owner_path_use_an_index(seeded: RecordRepository) -> None:
    from jwstdata.db.record_lookups import by_id_pipeline

    some = seeded.collection.find_one()
    if not server_features(seeded.collection.database).explain_plan_stages:
        for ctx in CONTEXTS.values():
            found = list(seeded.collection.aggregate(by_id_pipeline([some["_id"]], ctx)))
            assert found in ([some], [])  # located by _id, then scoped by access
        pytest.skip(NO_PLAN_STAGES)
    for ctx in CONTEXTS.values():
        explained = seeded.collection.database.command(
            {
                "explain": {
                    "aggregate": seeded.collection.name,
                    "pipeline": by_id_pipeline([some["_id"]], ctx),
                    "cursor": {},
                }
            }
        )
        _assert_indexed(explained)
    _assert_indexed(
        seeded.collection.find({"userId": some["userId"], "filePath": some["filePath"]}).explain()
    )


def test_every_hinted_index_is_declared() -> None:
    declared = {spec.name for spec in RECORD_INDEXES}
    assert set(re.findall(r'Driver\(\s*"(\w+)"', SEARCH_PLAN.read_text())) <= declared
    assert set(SORT_INDEX.values()) <= declared
    assert "public_recent" in declared


def test_init_is_idempotent(db_handle: DatabaseHandle) -> None:
    again = init_database(db_handle)
    assert again.indexes_created == [] and again.indexes_failed == []
    assert len(again.indexes_existing) == sum(len(specs) for specs in INDEXES.values())
    names = {ix["name"] for ix in db_handle.db["jwst_data"].list_indexes()}
    assert {spec.name for spec in RECORD_INDEXES} <= names


def test_db_indexes_json_lists_every_index(cli_env: dict, db_handle: DatabaseHandle) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "jwstdata", "db", "indexes", "--json"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = json.loads(out.stdout)
    assert {(r["collection"], r["name"]) for r in rows} == {
        (collection, spec.name) for collection, specs in INDEXES.items() for spec in specs
    }
    assert all(r["present"] and r["serves"] for r in rows)


def test_a_runs_product_observations_are_found_on_an_index(seeded: RecordRepository) -> None:
    """The lineage page's look-up of a run's products (``jw02733-o001_*``) seeks the index."""
    from jwstdata.db.hints import index_hint

    flt = {"observationBaseId": {"$gte": "jw02733-o001_", "$lt": "jw02733-o001`"}}
    for ctx in CONTEXTS.values():
        access = ctx.read_filter()
        pipeline = [{"$match": flt}, *([{"$match": access}] if access else [])]
        pipeline += [{"$sort": {"_id": 1}}, {"$limit": 200}]
        hint = index_hint(seeded.collection, "observation")
        command = {"aggregate": seeded.collection.name, "pipeline": pipeline}
        if hint:
            command["hint"] = hint
        found = list(seeded.collection.aggregate(pipeline, **({"hint": hint} if hint else {})))
        assert all(d["observationBaseId"].startswith("jw02733-o001_") for d in found)
        if not server_features(seeded.collection.database).explain_plan_stages:
            continue
        _assert_indexed(_explain(seeded.collection.database, command))
