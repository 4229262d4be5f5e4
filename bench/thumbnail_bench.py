"""Thumbnail throughput: jobs/s of ``preview`` jobs for N small images with 1 and 2 workers.

    python bench/thumbnail_bench.py [--images 1000]

Ingests N small FITS images (no automatic previews), queues one ``preview`` job per record
and times real ``jwstdata worker`` processes draining the queue, first with one worker and
then (on a fresh queue) with two.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import database_uri, emit
from jwstdata.config import Settings
from jwstdata.db import RecordRepository, init_database, open_database
from jwstdata.db.jobs import JobRepository
from jwstdata.models import AccessContext
from jwstdata.models.search import SearchQuery
from jwstdata.services.ingest import IngestOptions, IngestService
from jwstdata.services.processing_jobs import KIND
from jwstdata.storage import LocalStorage
from tests import fitsfactory as ff


def drain(env: dict[str, str], jobs: JobRepository, workers: int, count: int) -> float:
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "jwstdata", "worker", "--kinds", KIND, "--poll-interval", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        while True:
            done = jobs.collection.count_documents(
                {"kind": KIND, "state": {"$in": ["completed", "failed"]}}
            )
            if done >= count:
                return time.perf_counter() - start
            time.sleep(0.25)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database_uri() as uri:
        home = Path(tmp)
        template = ff.write_product(home / "t.fits", "i2d", shape=(64, 64), extras=False)
        data = home / "data"
        data.mkdir()
        for n in range(args.images):
            shutil.copyfile(
                template,
                data / f"jw02733-o{n // 100 + 1:03d}_t{n % 100 + 1:03d}_nircam_f444w_i2d.fits",
            )
        results = {}
        for workers in (1, 2):
            name = f"bench_thumbs_{uuid.uuid4().hex[:6]}"
            settings = Settings(mongodb_uri=uri, database=name, home=home / name)
            with open_database(settings) as handle:
                init_database(handle)
                repo = RecordRepository.for_database(handle)
                IngestService(repo, LocalStorage(settings.local_storage_root)).ingest(
                    [data], IngestOptions(public=True)
                )
                jobs = JobRepository.for_database(handle)
                jobs.ensure_indexes()
                for record in repo.iterate(SearchQuery(limit=500), AccessContext.admin()):
                    jobs.enqueue(
                        KIND,
                        {"algorithm": "preview", "parameters": {}},
                        user_id=None,
                        record_id=record.id,
                    )
                env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
                env.update(
                    JWSTDATA_MONGODB_URI=uri, JWSTDATA_DATABASE=name, JWSTDATA_HOME=str(home / name)
                )
                seconds = drain(env, jobs, workers, args.images)
                results[f"{workers}_worker{'s' if workers > 1 else ''}"] = {
                    "seconds": round(seconds, 2),
                    "jobs_per_second": round(args.images / seconds, 2),
                }
                handle.client.drop_database(name)
    emit("thumbnails", {"images": args.images, "image_shape": [64, 64], **results})


if __name__ == "__main__":
    main()
