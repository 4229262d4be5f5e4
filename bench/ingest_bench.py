"""Ingest benchmark: files/s end to end vs a bare ``astropy.io.fits.getheader`` loop.

    python bench/ingest_bench.py [--files 10000] [--uri mongodb://...]

Generates small JWST FITS files (copies of factory-made products under distinct MAST
names), then times (1) the baseline: ``getheader(path, 0)`` and ``getheader(path, "SCI")``
for every file in one process, (2) ``IngestService.ingest`` with one worker and (3) with
every core: names and headers parsed, sha256 computed while copying into local storage,
records bulk-written to the database and lineage linked. Target: end to end within 1.5x
of the baseline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import uuid
import warnings
from pathlib import Path

from astropy.io import fits

from _common import database_uri, emit
from jwstdata.config import Settings
from jwstdata.db import RecordRepository, init_database, open_database
from jwstdata.services.ingest import IngestOptions, IngestService
from jwstdata.storage import LocalStorage
from tests import fitsfactory as ff

PRODUCTS = ("uncal", "rate", "cal")


def make_files(folder: Path, count: int) -> list[Path]:
    templates = {}
    for product in PRODUCTS:
        shape = (1, 2, 16, 16) if product == "uncal" else (16, 16)
        templates[product] = ff.write_product(
            folder / f"template_{product}.fits", product, shape=shape
        )
    files = []
    for n in range(count):
        product = PRODUCTS[n % 3]
        exposure = n // 12 + 1
        detector = f"nrca{n // 3 % 4 + 1}"
        ids = ff.Ids(observation=f"{exposure // 500 + 1:03d}", exposure=f"{exposure % 99999:05d}")
        path = folder / "data" / ff.exposure_name(product, ids=ids, detector=detector)
        path.parent.mkdir(exist_ok=True)
        shutil.copyfile(templates[product], path)
        files.append(path)
    return files


def bare_header_loop(files: list[Path]) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            fits.getheader(path, 0)
            fits.getheader(path, "SCI")
    return time.perf_counter() - start


def timed_ingest(uri: str, folder: Path, store: Path, workers: int) -> tuple[float, int]:
    name = f"bench_ingest_{uuid.uuid4().hex[:6]}"
    with open_database(Settings(mongodb_uri=uri), database=name) as handle:
        init_database(handle)
        try:
            service = IngestService(RecordRepository.for_database(handle), LocalStorage(store))
            start = time.perf_counter()
            report = service.ingest([folder], IngestOptions(workers=workers, public=True))
            elapsed = time.perf_counter() - start
            assert not report.failed, report.failed[:3]
            return elapsed, report.ingested
        finally:
            handle.client.drop_database(name)
            shutil.rmtree(store, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--uri")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jwstdata-ingest-bench-") as tmp:
        tmp_path = Path(tmp)
        files = make_files(tmp_path, args.files)
        data = tmp_path / "data"
        baseline = bare_header_loop(files)
        bytes_per_file = files[0].stat().st_size
        with database_uri(args.uri) as uri:
            serial, count = timed_ingest(uri, data, tmp_path / "store1", workers=1)
            cores = os.cpu_count() or 1
            parallel, _ = timed_ingest(uri, data, tmp_path / "store2", workers=cores)
    emit(
        "ingest",
        {
            "files": count,
            "bytes_per_file": bytes_per_file,
            "bare_getheader_seconds": round(baseline, 2),
            "bare_getheader_files_per_second": round(count / baseline),
            "ingest_1_worker_seconds": round(serial, 2),
            f"ingest_{cores}_workers_seconds": round(parallel, 2),
            "ingest_files_per_second": round(count / parallel),
            "ratio_to_bare_header_loop": round(parallel / baseline, 3),
            "target_ratio": 1.5,
            "parallel_speedup": round(serial / parallel, 2),
        },
    )


if __name__ == "__main__":
    main()
