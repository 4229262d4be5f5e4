"""Windowed pages return exactly what one plain query returns: same ids, same order, same
cursors, on randomised data with ties, missing sort values and skewed dates."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId
from pymongo import MongoClient, monitoring

from jwstdata.db import RecordRepository
from jwstdata.db.query import encode_cursor
from jwstdata.models import AccessContext
from jwstdata.models.search import SearchQuery, SortField, SortOrder
from tests.factories import make_record

OWNERS = [ObjectId() for _ in range(3)]
START = datetime(2022, 7, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def seeded(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    import uuid

    from jwstdata.config import Settings
    from jwstdata.db import init_database, open_database

    name = f"jwst_test_win_{uuid.uuid4().hex[:8]}"
    settings = Settings(mongodb_uri=mongo_uri, database=name, home=tmp_path_factory.mktemp("w"))
    rng = random.Random(11)
    with open_database(settings) as handle:
        init_database(handle)
        repo = RecordRepository.for_database(handle)
        records = []
        for i in range(260):
            # Bursts of identical upload dates (a bulk import), a long quiet tail, and a
            # few far-off outliers: windows must widen and still cover everything.
            if i < 100:
                uploaded = START + timedelta(seconds=i // 25)
            elif i < 252:
                uploaded = START + timedelta(days=rng.uniform(1, 300))
            else:
                uploaded = START + timedelta(days=rng.choice([-4000, 4000]))
            instrument = rng.choice(["NIRCAM", "MIRI", "NIRSPEC"])
            owner = rng.choice([*OWNERS, None])
            observed = START - timedelta(hours=rng.randint(0, 5000))
            records.append(
                make_record(
                    fileName=f"jw0{rng.randint(1000, 1010)}_{rng.randint(0, 30):02d}_cal.fits",
                    fileSize=rng.choice([None, 10, 20, rng.randint(1, 10**9)]),
                    uploadDate=uploaded,
                    userId=owner,
                    isPublic=owner is None or rng.random() < 0.3,
                    sharedWith=rng.sample(OWNERS, rng.randint(0, 1)),
                    processingLevel=rng.choice(["L1", "L2b", "L3"]),
                    dataType=rng.choice(["image", "spectral"]),
                    tags=rng.sample(["deep", "ero"], rng.randint(0, 2)),
                    imageInfo={
                        "instrument": instrument,
                        "filter": rng.choice(["F090W", "F444W", "F770W"]),
                        "targetName": rng.choice(["NGC-3132", "M16", "Carina"]),
                        **({"observationDate": observed} if rng.random() < 0.8 else {}),
                    },
                    isArchived=rng.random() < 0.05,
                )
            )
        assert not repo.bulk_insert(records).failed
        try:
            yield repo
        finally:
            handle.client.drop_database(name)


CONTEXTS = {
    "anonymous": AccessContext.anonymous(),
    "user": AccessContext.user(OWNERS[0]),
    "admin": AccessContext.admin(),
}
QUERIES: dict[str, dict[str, Any]] = {
    "default": {},
    "instrument+filter": {"instrument": ["NIRCAM"], "filter": ["F444W"]},
    "level": {"processing_level": ["L3"]},
    "levels": {"processing_level": ["L1", "L3"]},
    "tag": {"tags": ["deep"]},
    "target": {"target_name": "ngc"},
    "text": {"text": "_0"},
    "mine": {"user_id": OWNERS[0]},
    "public": {"is_public": True},
    "archived too": {"is_archived": None},
    "observed since": {"observation_date_from": START - timedelta(days=100)},
}


MAX_PAGES = 40  # both walks stop there


def _walk(repo: RecordRepository, query: SearchQuery, ctx: AccessContext, plain: bool) -> list:
    """Every page's ids and cursor, by the windowed path or by one plain find a page."""
    pages = []
    while len(pages) < MAX_PAGES:
        if plain:
            docs = repo.searches.page_plain(query, ctx)
            more = len(docs) > query.limit
            docs = docs[: query.limit]
            cursor = encode_cursor(query, ctx, docs[-1]) if more and docs else None
            ids = [d["_id"] for d in docs]
        else:
            page = repo.search(query, ctx)
            ids, cursor = [r.id for r in page.items], page.next_cursor
        pages.append((ids, cursor))
        if cursor is None:
            break
        query = query.model_copy(update={"cursor": cursor})
    return pages


@pytest.mark.parametrize("ctx_name", list(CONTEXTS))
@pytest.mark.parametrize("search", list(QUERIES))
def test_windowed_pages_equal_plain_queries(
    seeded: RecordRepository, search: str, ctx_name: str
) -> None:
    ctx = CONTEXTS[ctx_name]
    rng = random.Random(f"{search}/{ctx_name}")
    for sort in SortField:
        for order in SortOrder:
            limit = rng.choice([1, 3, 6])  # a few pages each: most take the windowed path
            query = SearchQuery(**QUERIES[search], sort=sort, order=order, limit=limit)
            windowed = _walk(seeded, query, ctx, plain=False)
            assert windowed == _walk(seeded, query, ctx, plain=True), (sort, order, limit)
            if windowed[-1][1] is None:
                assert seeded.count(query, ctx) == sum(len(ids) for ids, _ in windowed)


class _RoundTrips(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.mark.parametrize(
    "filters", [{}, {"instrument": ["NIRCAM"]}, {"processing_level": ["L3"], "tags": ["deep"]}]
)
def test_a_library_page_costs_at_most_three_round_trips(
    seeded: RecordRepository, mongo_uri: str, filters: dict[str, Any]
) -> None:
    """Counters; the page (one window here); the counts: from the counters when
    unfiltered, else one live ``$facet`` aggregation."""
    from jwstdata.db.count_terms import CountBranch
    from jwstdata.models.search import FacetName

    listener = _RoundTrips()
    name = seeded.collection.database.name
    with MongoClient(mongo_uri, event_listeners=[listener], tz_aware=True) as client:
        repo = RecordRepository(client[name]["jwst_data"])
        repo.search(SearchQuery(), AccessContext.anonymous())  # features probed, warm
        for ctx in CONTEXTS.values():
            listener.commands.clear()
            query = SearchQuery(**filters)
            snapshot = repo.searches.snapshot(ctx, query, facets=True)
            repo.search(query, ctx, snapshot=snapshot)
            branches = {f.value: CountBranch(query, ctx, f) for f in FacetName}
            branches["total"] = CountBranch(query, ctx)
            repo.searches.combined(ctx, branches, snapshot)
            assert len(listener.commands) <= 3, listener.commands
