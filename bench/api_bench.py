"""API benchmark: requests/s and latency under 16 concurrent clients vs the data layer.

    python bench/api_bench.py [--records 100000] [--requests 400] [--clients 16]
        [--uri URI --reuse DATABASE]   # e.g. the database a db_bench.py --reuse run kept

Seeds the records (the same realistic documents as db_bench), starts ``jwstdata serve``
as its own process on loopback, and runs a bounded async httpx load: ``GET /api/data``
with typical filters and ``GET /api/data/{id}``. The same operations through the data
layer directly (16 threads) give the reference; the ratio is API p50 / data-layer p50.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from bson import ObjectId

from _common import database_uri, emit, percentiles
from db_bench import realistic_records
from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository, init_database, open_database
from jwstdata.db.counters import RecordCounters
from jwstdata.db.records import to_stored
from jwstdata.models import AccessContext
from jwstdata.models.search import SearchQuery
from tests.plugins.api_server import start_server, stop_server

QUERIES = [
    {"instrument": "NIRCAM", "filter": "F444W", "limit": 50},
    {"processingLevel": "L3", "dataType": "image", "limit": 50},
    {"targetName": "ngc", "limit": 50},
    {"limit": 50},
]


def _search_query(params: dict) -> SearchQuery:
    return SearchQuery(
        instrument=[params["instrument"]] if "instrument" in params else [],
        filter=[params["filter"]] if "filter" in params else [],
        processing_level=[params["processingLevel"]] if "processingLevel" in params else [],
        data_type=[params["dataType"]] if "dataType" in params else [],
        target_name=params.get("targetName"),
        limit=params["limit"],
    )


async def _load(url: str, paths: list[tuple[str, dict]], clients: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue: asyncio.Queue = asyncio.Queue()
    for item in paths:
        queue.put_nowait(item)

    async def client_loop(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            path, params = queue.get_nowait()
            start = time.perf_counter()
            response = await client.get(path, params=params)
            latencies.append(time.perf_counter() - start)
            response.raise_for_status()

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        wall = time.perf_counter() - start
    return latencies, wall


def _direct(fn, count: int, clients: int) -> tuple[list[float], float]:
    latencies: list[float] = []

    def one(i: int) -> None:
        start = time.perf_counter()
        fn(i)
        latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(one, range(count)))
    return latencies, time.perf_counter() - start


def _library_pages(url: str, count: int) -> dict[str, Any]:
    """The dashboard's library page end to end, one request at a time (anonymous)."""
    out: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        for label, params in (("default", {}), ("instrument NIRCAM", {"instrument": "NIRCAM"})):
            client.get("/library", params=params).raise_for_status()  # warm
            latencies = []
            for _ in range(count):
                start = time.perf_counter()
                client.get("/library", params=params).raise_for_status()
                latencies.append(time.perf_counter() - start)
            out[label] = percentiles(latencies)
    return out


def seed(handle: DatabaseHandle, records: int, kept: bool) -> list[str]:
    """Ids of up to 1,000 public records, seeding ``records`` records first unless a kept
    database already holds them."""
    collection = handle.db["jwst_data"]
    if not (kept and collection.estimated_document_count() >= records):
        docs = [
            to_stored(r.model_copy(update={"id": ObjectId()})) for r in realistic_records(records)
        ]
        init_database(handle)
        for i in range(0, len(docs), 2000):
            collection.insert_many(docs[i : i + 2000], ordered=False)
        RecordCounters(handle.db).recount(collection)  # raw inserts skip them
    return [str(d["_id"]) for d in collection.find({"isPublic": True}, {"_id": 1}).limit(1000)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="GET /api/data/{id} requests")
    parser.add_argument(
        "--search-requests",
        type=int,
        default=48,
        help="searches (bounded: each costs seconds on the embedded server)",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--library-requests", type=int, default=40)
    parser.add_argument("--uri")
    parser.add_argument(
        "--reuse",
        metavar="DATABASE",
        help="use DATABASE if it holds --records records (e.g. one db_bench.py --reuse kept), "
        "else seed it and keep it (needs --uri)",
    )
    args = parser.parse_args()
    if args.reuse and not args.uri:
        parser.error("--reuse needs --uri: a kept database lives on a server that stays up")
    with database_uri(args.uri) as uri, tempfile.TemporaryDirectory() as home:
        name = args.reuse or f"bench_api_{uuid.uuid4().hex[:6]}"
        settings = Settings(mongodb_uri=uri, database=name, home=Path(home))
        handle = open_database(settings)
        public_ids = seed(handle, args.records, kept=bool(args.reuse))
        env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
        env.update(
            JWSTDATA_MONGODB_URI=uri,
            JWSTDATA_DATABASE=name,
            JWSTDATA_HOME=home,
            JWSTDATA_SECRET_KEY=secrets.token_urlsafe(48),
        )
        process, url = start_server(env, Path(home) / "server.log")
        results = {}
        try:
            repo = RecordRepository.for_database(handle)
            anon = AccessContext.anonymous()
            search_paths = [
                ("/api/data", QUERIES[i % len(QUERIES)]) for i in range(args.search_requests)
            ]
            get_paths = [
                (f"/api/data/{public_ids[i % len(public_ids)]}", {}) for i in range(args.requests)
            ]
            for label, paths, direct in (
                (
                    "GET /api/data",
                    search_paths,
                    lambda i: repo.search(_search_query(QUERIES[i % len(QUERIES)]), anon),
                ),
                (
                    "GET /api/data/{id}",
                    get_paths,
                    lambda i: repo.get(ObjectId(public_ids[i % len(public_ids)]), anon),
                ),
            ):
                api_lat, api_wall = asyncio.run(_load(url, paths, args.clients))
                layer_lat, layer_wall = _direct(direct, len(paths), args.clients)
                api, layer = percentiles(api_lat), percentiles(layer_lat)
                results[label] = {
                    "api": {**api, "requests_per_second": round(len(api_lat) / api_wall, 1)},
                    "data_layer": {
                        **layer,
                        "operations_per_second": round(len(layer_lat) / layer_wall, 1),
                    },
                    "p50_ratio_api_to_data_layer": round(api["p50_ms"] / layer["p50_ms"], 3),
                }
            results["GET /library (one client)"] = _library_pages(url, args.library_requests)
        finally:
            stop_server(process)
            if not args.reuse:
                handle.client.drop_database(name)
            handle.close()
    emit(
        "api",
        {
            "records": args.records,
            "clients": args.clients,
            "requests_per_operation": args.requests,
            "operations": results,
            "python_executable": sys.executable,
        },
    )


if __name__ == "__main__":
    main()
