"""Live facet counts folded from one grouping pass equal the server's own per-facet answer.

``jwstdata.db.live_counts`` groups the records of a base search once, by their combination
of facet values, and evaluates each branch's facet filters itself. The reference here is
what the server says for each branch alone: ``$match`` on the branch's whole filter,
``$unwind`` for tags, ``$group``, ``$sort`` by count then value, ``$limit``; or ``$count``.
Random records (missing and null values, tag lists, owners, sharing) and random searches
(several facet filters at once, values nobody has, both tag modes, a target prefix).
"""

from __future__ import annotations

import random
from typing import Any

from bson import ObjectId

from jwstdata.db import RecordRepository
from jwstdata.db.count_terms import CountBranch
from jwstdata.db.live_counts import FACET_LIMIT
from jwstdata.db.query import build_filter
from jwstdata.models import AccessContext, JwstDataModel
from jwstdata.models.search import (
    FACET_FIELDS,
    FACET_FILTERS,
    LIST_FACETS,
    FacetName,
    SearchQuery,
    TagMode,
)
from tests.factories import make_record, random_access

OWNERS = [ObjectId() for _ in range(3)]
CHOICES: dict[str, list[Any]] = {
    "instrument": ["NIRCAM", "MIRI", "NIRSPEC", None],
    "filter": ["F090W", "F444W", "F770W", None],
    "program": ["2733", "1324", "4000", None],
    "target": ["NGC 3132", "ngc 3132", "M16", "SMACS-0723", None],
    "exp_type": ["NRC_IMAGE", "MIR_IMAGE", None],
    "detector": ["NRCA1", "NRCB1", "MIRIMAGE", None],
    "tags": ["deep", "ero", "review", "calib"],
}
# What a random search may ask, per facet (values nobody holds included).
WANTED: dict[FacetName, list[Any]] = {
    FacetName.instrument: ["NIRCAM", "MIRI", "FGS"],
    FacetName.filter: ["F090W", "F444W", "F770W"],
    FacetName.program: ["2733", "1324", "9999"],
    FacetName.target: ["NGC 3132", "M16", "SMACS-0723"],
    FacetName.exposure_type: ["NRC_IMAGE", "MIR_IMAGE"],
    FacetName.detector: ["NRCA1", "MIRIMAGE", "NRS1"],
    FacetName.data_type: ["image", "spectral", "raw"],
    FacetName.processing_level: ["L1", "L2b", "L3"],
    FacetName.processing_status: ["pending", "completed", "failed"],
    FacetName.tags: ["deep", "ero", "review", "nobody"],
}


def _record(rng: random.Random) -> JwstDataModel:
    def pick(name: str) -> Any:
        return rng.choice(CHOICES[name])

    info = {
        k: v
        for k, v in (
            ("instrument", pick("instrument")),
            ("filter", pick("filter")),
            ("proposalId", pick("program")),
            ("targetName", pick("target")),
        )
        if v is not None or rng.random() < 0.5  # missing, or an explicit null
    }
    metadata = {
        k: v for k, v in (("exp_type", pick("exp_type")), ("detector", pick("detector"))) if v
    }
    return make_record(
        imageInfo=info,
        **random_access(rng, OWNERS),
        tags=rng.sample(CHOICES["tags"], rng.randint(0, 3)),
        metadata=metadata,
    )


def _search(rng: random.Random) -> SearchQuery:
    update: dict[str, Any] = {}
    for facet in rng.sample(list(WANTED), rng.randint(0, 3)):
        update[FACET_FILTERS[facet]] = rng.sample(WANTED[facet], rng.randint(1, 2))
    if rng.random() < 0.5:
        update["tag_mode"] = TagMode.all
    if rng.random() < 0.2:
        update["target_name"] = "ngc"
    return SearchQuery(**update)


def _server_answer(repo: RecordRepository, branch: CountBranch) -> Any:
    match = {"$match": build_filter(branch.query, branch.ctx)}
    if branch.facet is None:
        rows = list(repo.collection.aggregate([match, {"$count": "n"}]))
        return rows[0]["n"] if rows else 0
    path = FACET_FIELDS[branch.facet]
    unwind = [{"$unwind": f"${path}"}] if branch.facet in LIST_FACETS else []
    pipeline = [
        match,
        *unwind,
        {"$group": {"_id": f"${path}", "count": {"$sum": 1}}},
        {"$sort": {"count": -1, "_id": 1}},
        {"$limit": FACET_LIMIT},
    ]
    return [{"value": r["_id"], "count": r["count"]} for r in repo.collection.aggregate(pipeline)]


def test_one_pass_equals_the_per_facet_aggregation(repo: RecordRepository) -> None:
    rng = random.Random(12)
    repo.bulk_insert([_record(rng) for _ in range(150)])
    contexts = [
        AccessContext.anonymous(),
        AccessContext.admin(),
        *(AccessContext.user(o) for o in OWNERS),
    ]
    compared = 0
    for _ in range(40):
        query, ctx = _search(rng), rng.choice(contexts)
        branches = {f.value: CountBranch(query.without_facet(f), ctx, f) for f in FacetName}
        branches["total"] = CountBranch(query, ctx)
        # A branch under another base search (no filters at all), as a sampled count adds.
        branches["_visible"] = CountBranch(SearchQuery(), ctx)
        got = repo.searches.combined(ctx, branches)
        expected = {name: _server_answer(repo, branch) for name, branch in branches.items()}
        assert got == expected, query
        compared += sum(1 for v in expected.values() if v)
    assert compared > 200  # the searches matched records, not only empty answers


def test_values_and_order_follow_the_server(repo: RecordRepository) -> None:
    """Ties by value, nulls first, tags per element (empty lists and missing ones dropped),
    and the one-facet-filter answers, on a hand-made set."""
    rows = [
        ({"instrument": "MIRI"}, ["deep"]),
        ({"instrument": "MIRI"}, []),
        ({"instrument": "NIRCAM"}, ["deep", "ero"]),
        ({"instrument": "NIRCAM"}, ["ero"]),
        ({}, ["ero"]),
        ({"instrument": None}, []),
    ]
    repo.bulk_insert([make_record(imageInfo=info, tags=tags, isPublic=True) for info, tags in rows])
    ctx = AccessContext.anonymous()
    query = SearchQuery(tags=["ero"])
    branches = {
        "instrument": CountBranch(query, ctx, FacetName.instrument),
        "tags": CountBranch(query.without_facet(FacetName.tags), ctx, FacetName.tags),
        "total": CountBranch(query, ctx),
    }
    got = repo.searches.combined(ctx, branches)
    assert got["instrument"] == [
        {"value": "NIRCAM", "count": 2},
        {"value": None, "count": 1},
    ]
    assert got["tags"] == [{"value": "ero", "count": 3}, {"value": "deep", "count": 2}]
    assert got["total"] == 3
