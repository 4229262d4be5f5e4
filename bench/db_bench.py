"""Data-layer benchmark: bulk insert vs raw ``insert_many``, every query shape, facets.

    python bench/db_bench.py [--records 100000] [--uri mongodb://...] [--repeat 40]

Targets at 100,000 records on the embedded server: every page, lookup and lineage query
p95 < 50 ms; default facets and counts p95 < 50 ms; a filtered facet view p95 < 300 ms;
cone searches (positional, ``ra``/``dec``/``radius``) p95 < 100 ms.

Without ``--uri`` it starts its own embedded SecantusDB. Both inserts go into collections
with the same declared indexes; the ratio is data layer / raw pymongo (target <= 1.3).

Seeding 100,000 records takes most of the run on SecantusDB (each record adds ~40 keys to
the multikey text and sky indexes), so ``--uri URI --reuse NAME`` seeds database NAME on
the first run and keeps it; later runs measure the queries on it without inserting again
(``--no-raw`` skips the raw baseline on the first).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from bson import ObjectId

from _common import database_uri, emit, percentiles, timed
from jwstdata.config import Settings
from jwstdata.db import RecordRepository, init_database, open_database
from jwstdata.db.count_terms import CountBranch
from jwstdata.db.records import to_stored
from jwstdata.models import AccessContext, JwstDataModel
from jwstdata.models.search import SearchQuery
from jwstdata.services.facets import count_facets

INSTRUMENTS = {
    "NIRCAM": ["F090W", "F150W", "F200W", "F277W", "F356W", "F444W"],
    "MIRI": ["F560W", "F770W", "F1000W", "F1500W"],
    "NIRSPEC": ["CLEAR", "F290LP"],
    "NIRISS": ["F150W", "CLEAR"],
}
SUFFIX = {
    "L1": ("uncal", "raw"),
    "L2a": ("rate", "sensor"),
    "L2b": ("cal", "image"),
    "L3": ("i2d", "image"),
}
TARGETS = [
    "NGC-3132",
    "NGC-3324",
    "M16",
    "CARINA",
    "STEPHANS-QUINTET",
    "SMACS-0723",
    "CAS-A",
    "WR-140",
]
# Where each target is (ICRS degrees): footprints cluster on a few fields, as real ones do.
FIELDS = {
    "NGC-3132": (151.7573, -40.4368),
    "NGC-3324": (159.2792, -58.6233),
    "M16": (274.7000, -13.8067),
    "CARINA": (161.2650, -59.6844),
    "STEPHANS-QUINTET": (339.0142, 33.9758),
    "SMACS-0723": (110.8340, -73.4540),
    "CAS-A": (350.8500, 58.8150),
    "WR-140": (305.1667, 43.8533),
}
DETECTOR = 2.2 / 60  # a NIRCam module is ~2.2 arcmin across
FIELD_HALF = 0.5  # degrees


def sky_metadata(rng: random.Random, target: str) -> dict[str, Any]:
    """``s_region`` of a detector-sized square somewhere in a 1-degree field around the
    target (9 in 10), or only TARG_RA/TARG_DEC (1 in 10). At 100,000 records that is
    12,500 files per square degree: ~3.5 per square arcminute, a crowded deep field."""
    ra0, dec0 = FIELDS[target]
    ra = ra0 + rng.uniform(-FIELD_HALF, FIELD_HALF) / math.cos(math.radians(dec0))
    dec = dec0 + rng.uniform(-FIELD_HALF, FIELD_HALF)
    if rng.random() < 0.1:
        return {"targ_ra": ra % 360, "targ_dec": dec}
    half_ra, half_dec = DETECTOR / 2 / math.cos(math.radians(dec)), DETECTOR / 2
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    region = " ".join(
        f"{(ra + a * half_ra) % 360:.7f} {dec + d * half_dec:.7f}" for a, d in corners
    )
    return {"s_region": f"POLYGON ICRS {region}"}


def realistic_records(n: int, seed: int = 1) -> list[JwstDataModel]:
    rng = random.Random(seed)
    users = [ObjectId() for _ in range(20)]
    start = datetime(2022, 7, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        instrument = rng.choice(list(INSTRUMENTS))
        level = rng.choice(list(SUFFIX))
        suffix, data_type = SUFFIX[level]
        program = rng.randint(1000, 4999)
        obs = rng.randint(1, 30)
        name = f"jw{program:05d}{obs:03d}001_02101_{i % 99999:05d}_nrca{1 + i % 4}_{suffix}.fits"
        public = rng.random() < 0.6
        target = rng.choice(TARGETS)
        out.append(
            JwstDataModel.model_validate(
                {
                    "fileName": name,
                    "filePath": f"mast/jw{program:05d}-o{obs:03d}/{name}",
                    "fileSize": rng.randint(10_000_000, 2_000_000_000),
                    "fileFormat": "fits",
                    "dataType": data_type,
                    "processingStatus": rng.choice(["pending", "completed", "completed", "failed"]),
                    "uploadDate": start + timedelta(seconds=i * 30),
                    "tags": rng.sample(
                        ["deep", "calibrated", "review", "ero", "survey"], rng.randint(0, 2)
                    ),
                    "processingLevel": level,
                    "observationBaseId": f"jw{program:05d}-o{obs:03d}_t001_{instrument.lower()}",
                    "exposureId": f"jw{program:05d}{obs:03d}001_02101_{i % 99999:05d}",
                    "userId": None if public else rng.choice(users),
                    "isPublic": public,
                    "isViewable": data_type == "image",
                    "metadata": {
                        "mast_obs_id": f"jw{program:05d}-o{obs:03d}",
                        "source": "MAST",
                        "mast_calib_level": 2,
                        **sky_metadata(rng, target),
                    },
                    "imageInfo": {
                        "targetName": target,
                        "instrument": instrument,
                        "filter": rng.choice(INSTRUMENTS[instrument]),
                        "exposureTime": round(rng.uniform(100, 3000), 1),
                        "observationDate": start + timedelta(hours=i % 20000),
                        "proposalId": str(program),
                        "calibrationLevel": 1 if level == "L1" else 3 if level == "L3" else 2,
                        "wavelengthRange": "INFRARED",
                        "width": 2048,
                        "height": 2048,
                    },
                }
            )
        )
    return out


class Known(NamedTuple):
    """What the query shapes need to know of one seeded record."""

    id: ObjectId
    user_id: ObjectId | None
    is_public: bool
    observation_base_id: str | None


def known_of(records: list[JwstDataModel], ids: list[ObjectId]) -> list[Known]:
    return [
        Known(i, r.user_id, r.is_public, r.observation_base_id)
        for i, r in zip(ids, records, strict=True)
    ]


def known_in(repo: RecordRepository) -> list[Known]:
    """The seeded records of a kept database, in insertion (upload) order."""
    fields = {"userId": 1, "isPublic": 1, "observationBaseId": 1, "uploadDate": 1}
    docs = sorted(repo.collection.find({}, fields), key=lambda d: d["uploadDate"])
    return [
        Known(d["_id"], d.get("userId"), bool(d.get("isPublic")), d.get("observationBaseId"))
        for d in docs
    ]


def library_counts(repo: RecordRepository, query: SearchQuery, ctx: AccessContext) -> Any:
    """A library page's counts as the page asks them: its snapshot (read with the page),
    then the total and every facet (each without its own filter) in one request."""
    snapshot = repo.searches.snapshot(ctx, query, facets=True)
    also = {"total": CountBranch(query, ctx)}
    return count_facets(repo, query, ctx, also=also, snapshot=snapshot)


def measure(repo: RecordRepository, records: list[Known], repeat: int) -> dict[str, Any]:
    """p50/p95 of each query shape the product offers, each timed in isolation."""
    # As the API does at start-up (src/jwstdata/app.py): what is loaded by now, the seeded
    # records included, leaves the cyclic collector, whose full passes over it would
    # otherwise be charged to whichever query happens to trigger one.
    gc.collect()
    gc.freeze()
    rng = random.Random(3)
    user = next(r.user_id for r in records if r.user_id is not None)
    ctx_user, ctx_anon = AccessContext.user(user), AccessContext.anonymous()
    searches = {
        "anonymous default page": (SearchQuery(), ctx_anon),
        "user: NIRCAM F444W": (SearchQuery(instrument=["NIRCAM"], filter=["F444W"]), ctx_user),
        "user: target prefix 'ngc'": (SearchQuery(target_name="ngc"), ctx_user),
        "anonymous: q 'NGC 3132' (two words)": (SearchQuery(text="NGC 3132"), ctx_anon),
        "user: q 'f150w'": (SearchQuery(text="f150w"), ctx_user),
        "user: q 'smacs0723 nircam'": (SearchQuery(text="smacs0723 nircam"), ctx_user),
        "user: detector NRCA1": (SearchQuery(detector=["NRCA1"]), ctx_user),
        "anonymous: L3 images by observation date": (
            SearchQuery(processing_level=["L3"], data_type=["image"], sort="observationDate"),
            ctx_anon,
        ),
        "observation lineage": (
            SearchQuery(observation_base_id=records[7].observation_base_id, limit=200),
            ctx_user,
        ),
    }
    timings: dict[str, Any] = {
        name: percentiles(timed(lambda q=q, c=c: repo.search(q, c), repeat))
        for name, (q, c) in searches.items()
    }
    deep = SearchQuery()
    for _ in range(20):  # page 21 of the default listing: the cursor path
        deep = deep.model_copy(update={"cursor": repo.search(deep, ctx_anon).next_cursor})
    timings["anonymous default page 21 (cursor)"] = percentiles(
        timed(lambda: repo.search(deep, ctx_anon), repeat)
    )
    # Records the user may read (public ones).
    visible = [r.id for r in records if r.is_public]
    by_id = iter(rng.sample(visible, repeat))
    timings["record by id"] = percentiles(timed(lambda: repo.get(next(by_id), ctx_user), repeat))
    timings["facets (anonymous, default: counters)"] = percentiles(
        timed(lambda: library_counts(repo, SearchQuery(), ctx_anon), repeat)
    )
    timings["facets (user, instrument MIRI selected: live)"] = percentiles(
        timed(lambda: library_counts(repo, SearchQuery(instrument=["MIRI"]), ctx_user), repeat)
    )
    timings["count (user, default: counters)"] = percentiles(
        timed(lambda: repo.count(SearchQuery(), ctx_user), repeat)
    )
    timings["count (user, instrument MIRI: live)"] = percentiles(
        timed(lambda: repo.count(SearchQuery(instrument=["MIRI"]), ctx_user), repeat)
    )
    timings.update(measure_cones(repo, ctx_user, ctx_anon, repeat))
    return timings


def measure_cones(
    repo: RecordRepository, ctx_user: AccessContext, ctx_anon: AccessContext, repeat: int
) -> dict[str, Any]:
    """Cone searches (target p95 < 100 ms at 100k records): a page each, and one total."""
    rng = random.Random(5)

    def around(radius: float, **filters: Any) -> list[SearchQuery]:
        queries = []
        for _ in range(repeat):
            ra, dec = FIELDS[rng.choice(TARGETS)]
            queries.append(
                SearchQuery(
                    ra=ra + rng.uniform(-0.3, 0.3) / math.cos(math.radians(dec)),
                    dec=dec + rng.uniform(-0.3, 0.3),
                    radius=radius,
                    **filters,
                )
            )
        return queries

    shapes = {
        "cone 1 arcmin (anonymous)": (around(1 / 60), ctx_anon, False),
        "cone 5 arcmin (user)": (around(5 / 60), ctx_user, False),
        "cone 5 arcmin + NIRCAM, with total (user)": (
            around(5 / 60, instrument=["NIRCAM"]),
            ctx_user,
            True,
        ),
        "point: files covering it (anonymous)": (around(0.0), ctx_anon, False),
        "cone 0.5 deg: a whole field (anonymous)": (around(0.5), ctx_anon, False),
    }
    timings: dict[str, Any] = {}
    for name, (queries, ctx, total) in shapes.items():
        todo = iter(queries)
        timings[name] = percentiles(
            timed(lambda t=todo, c=ctx, w=total: repo.search(next(t), c, with_total=w), repeat)
        )
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--uri")
    parser.add_argument(
        "--reuse", metavar="DATABASE", help="seed DATABASE once and keep it (needs --uri)"
    )
    parser.add_argument("--no-raw", action="store_true", help="skip the raw insert baseline")
    args = parser.parse_args()
    if args.reuse and not args.uri:
        parser.error("--reuse needs --uri: a kept database lives on a server that stays up")

    with database_uri(args.uri) as uri:
        base = Settings(mongodb_uri=uri)
        layer_db = args.reuse or f"bench_layer_{uuid.uuid4().hex[:6]}"
        layer = open_database(base, database=layer_db)
        repo = RecordRepository.for_database(layer)
        try:
            kept = bool(args.reuse) and repo.collection.estimated_document_count() >= args.records
            inserts = None
            if kept:
                known = known_in(repo)
            else:
                records = realistic_records(args.records)
                init_database(layer)
                inserts, ids = seed(base, repo, records, args.batch, raw=not args.no_raw)
                known = known_of(records, ids)
            timings = measure(repo, known, args.repeat)
            server = layer.client.admin.command("buildInfo")
        finally:
            if not args.reuse:
                with contextlib.suppress(Exception):  # results matter more than clean-up
                    layer.client.drop_database(layer_db)
            layer.close()

    emit(
        "db",
        {
            "server": (server.get("secantusVersion") and f"SecantusDB {server['secantusVersion']}")
            or f"MongoDB-compatible {server.get('version')}",
            "records": len(known),
            "database": {"name": layer_db, "kept": bool(args.reuse), "seeded_now": not kept},
            "bulk_insert": inserts,
            "queries": timings,
        },
    )


def seed(
    base: Settings, repo: RecordRepository, records: list[JwstDataModel], batch: int, raw: bool
) -> tuple[dict[str, Any], list[ObjectId]]:
    """Insert ``records`` through the data layer, timed, and (``raw``) the same documents
    with plain ``insert_many`` into a scratch database with the same indexes."""
    raw_seconds = None
    if raw:
        raw_db = f"bench_raw_{uuid.uuid4().hex[:6]}"
        handle = open_database(base, database=raw_db)
        try:
            init_database(handle)
            # The very documents the data layer would write, prepared up front.
            documents = [to_stored(r.model_copy(update={"id": ObjectId()})) for r in records]
            t0 = time.perf_counter()
            for i in range(0, len(documents), batch):
                handle.db["jwst_data"].insert_many(documents[i : i + batch], ordered=False)
            raw_seconds = time.perf_counter() - t0
        finally:
            with contextlib.suppress(Exception):
                handle.client.drop_database(raw_db)
            handle.close()
    t0 = time.perf_counter()
    failed = 0
    inserted: list[ObjectId] = []
    for i in range(0, len(records), batch):
        report = repo.bulk_insert(records[i : i + batch])
        failed += len(report.failed)
        inserted += report.inserted_ids
    layer_seconds = time.perf_counter() - t0
    return {
        "raw_insert_many_seconds": raw_seconds and round(raw_seconds, 2),
        "data_layer_seconds": round(layer_seconds, 2),
        "ratio": raw_seconds and round(layer_seconds / raw_seconds, 3),
        "target_ratio": 1.3,
        "records_per_second_data_layer": round(len(records) / layer_seconds),
        "failed": failed,
    }, inserted


if __name__ == "__main__":
    main()
