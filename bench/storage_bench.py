"""Storage throughput: each provider against the bare baseline, printed as JSON.

Writes then reads ``--size-gib`` of random data in ``--file-mib`` files:

* local: ``LocalStorage.write_path`` / ``open_read`` vs ``shutil.copyfile``;
* s3: ``S3Storage.write_path`` / ``open_read`` vs boto3's ``upload_file`` /
  ``download_file`` (default transfer settings), both against the same moto server,
  which this script starts on a free 127.0.0.1 port and stops at the end.

``ratio`` is provider seconds / baseline seconds (target <= 1.2), each the median of
``--repeat`` runs. The providers compute sha256 while streaming and the local one fsyncs
for durability, which ``copyfile`` does not: ``baseline_fsync_s`` (copyfile + fsync) and
``sha256_only_s`` (hashing the sources alone) show what that extra work costs here.

    python bench/storage_bench.py --size-gib 1 --file-mib 64
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3

from jwstdata.storage import LocalStorage, S3Storage

MIB = 1024 * 1024
TARGET_RATIO = 1.2
REGION = "us-east-1"


def timed(action: Callable[[], object], repeat: int, reset: Callable[[], object]) -> float:
    """Median seconds of ``action`` over ``repeat`` runs, each after ``reset`` and a sync."""
    runs = []
    for _ in range(repeat):
        reset()
        os.sync()  # start without another phase's dirty pages to flush
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def phase(total_mib: float, baseline_s: float, provider_s: float, **extra: float) -> dict[str, Any]:
    result: dict[str, Any] = {
        "baseline_s": round(baseline_s, 3),
        "provider_s": round(provider_s, 3),
        "baseline_mib_s": round(total_mib / baseline_s, 1),
        "provider_mib_s": round(total_mib / provider_s, 1),
        "ratio": round(provider_s / baseline_s, 3),
    }
    result.update({name: round(value, 3) for name, value in extra.items()})
    return result


def make_sources(directory: Path, count: int, file_mib: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    sources = []
    for index in range(count):
        path = directory / f"jw{index:05d}_uncal.fits"
        with open(path, "wb") as out:
            for _ in range(file_mib):
                out.write(os.urandom(MIB))
        sources.append(path)
    return sources


def copy_stream(storage: LocalStorage | S3Storage, key: str, target: Path) -> None:
    buffer = memoryview(bytearray(8 * MIB))  # reused, as an efficient consumer would
    with storage.open_read(key) as stream, open(target, "wb") as out:
        while got := stream.readinto(buffer):
            out.write(buffer[:got])


def fresh(directory: Path) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def bench_local(work: Path, sources: list[Path], total_mib: float, repeat: int) -> dict[str, Any]:
    baseline_dir, out_dir = work / "baseline", work / "out"
    storage = LocalStorage(fresh(work / "store"))
    keys = [f"bench/{s.name}" for s in sources]

    def copy_all(fsync: bool) -> None:
        for src in sources:
            shutil.copyfile(src, baseline_dir / src.name)
            if fsync:
                with open(baseline_dir / src.name, "rb") as done:
                    os.fsync(done.fileno())

    def hash_all() -> None:
        for src in sources:
            with open(src, "rb") as data:
                hashlib.file_digest(data, "sha256")

    def nothing() -> None:
        pass

    write_base = timed(lambda: copy_all(False), repeat, lambda: fresh(baseline_dir))
    write_base_fsync = timed(lambda: copy_all(True), repeat, lambda: fresh(baseline_dir))
    sha256_only = timed(hash_all, repeat, nothing)
    write_prov = timed(
        lambda: [storage.write_path(k, s) for k, s in zip(keys, sources, strict=True)],
        repeat,
        lambda: storage.delete_prefix("bench"),
    )
    read_base = timed(
        lambda: [shutil.copyfile(baseline_dir / s.name, out_dir / s.name) for s in sources],
        repeat,
        lambda: fresh(out_dir),
    )
    read_prov = timed(
        lambda: [
            copy_stream(storage, k, out_dir / s.name) for k, s in zip(keys, sources, strict=True)
        ],
        repeat,
        lambda: fresh(out_dir),
    )
    assert all((out_dir / s.name).stat().st_size == s.stat().st_size for s in sources)
    extra = {
        "baseline_fsync_s": write_base_fsync,
        "sha256_only_s": sha256_only,
        # the same work done bare: copy + fsync, plus hashing the sources separately
        "ratio_vs_fsync_plus_sha256": write_prov / (write_base_fsync + sha256_only),
    }
    return {
        "write": phase(total_mib, write_base, write_prov, **extra),
        "read": phase(total_mib, read_base, read_prov),
    }


@contextlib.contextmanager
def moto_server(log_path: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    executable = Path(sys.executable).parent / "moto_server"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
        )
        endpoint = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(endpoint, timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"moto_server did not start; see {log_path}") from None
                    time.sleep(0.05)
            yield endpoint
        finally:
            process.terminate()
            process.wait(timeout=10)


def bench_s3(
    work: Path, sources: list[Path], total_mib: float, repeat: int, part_mib: int, concurrency: int
) -> dict[str, Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ[name] = value  # this process only talks to its own moto server
    out_dir = work / "s3-out"
    keys = [f"bench/{s.name}" for s in sources]
    with moto_server(work / "moto.log") as endpoint:
        client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
        client.create_bucket(Bucket="bench")
        storage = S3Storage(
            "bench",
            prefix="provider",
            endpoint_url=endpoint,
            region=REGION,
            path_style=True,
            part_size=part_mib * MIB,
            concurrency=concurrency,
        )
        baseline = S3Storage(
            "bench", prefix="baseline", endpoint_url=endpoint, region=REGION, path_style=True
        )

        def upload_all() -> None:
            for key, src in zip(keys, sources, strict=True):
                client.upload_file(str(src), "bench", f"baseline/{key}")

        def download_all() -> None:
            for key, src in zip(keys, sources, strict=True):
                client.download_file("bench", f"baseline/{key}", str(out_dir / src.name))

        write_base = timed(upload_all, repeat, lambda: baseline.delete_prefix("bench"))
        write_prov = timed(
            lambda: [storage.write_path(k, s) for k, s in zip(keys, sources, strict=True)],
            repeat,
            lambda: storage.delete_prefix("bench"),
        )
        read_base = timed(download_all, repeat, lambda: fresh(out_dir))
        read_prov = timed(
            lambda: [
                copy_stream(storage, k, out_dir / s.name)
                for k, s in zip(keys, sources, strict=True)
            ],
            repeat,
            lambda: fresh(out_dir),
        )
        assert all((out_dir / s.name).stat().st_size == s.stat().st_size for s in sources)
        return {
            "part_mib": part_mib,
            "concurrency": concurrency,
            "write": phase(total_mib, write_base, write_prov),
            "read": phase(total_mib, read_base, read_prov),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--file-mib", type=int, default=64)
    parser.add_argument("--providers", default="local,s3", help="comma-separated: local,s3")
    parser.add_argument("--part-mib", type=int, default=64, help="S3 part size (MiB)")
    parser.add_argument("--concurrency", type=int, default=4, help="S3 parts in flight")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp folder")
    args = parser.parse_args(argv)

    count = max(1, round(args.size_gib * 1024 / args.file_mib))
    total_mib = count * args.file_mib
    providers = {p.strip() for p in args.providers.split(",") if p.strip()}
    work = Path(tempfile.mkdtemp(prefix="jwst-bench-", dir=args.workdir))
    try:
        sources = make_sources(work / "sources", count, args.file_mib)
        report: dict[str, Any] = {
            "files": count,
            "file_mib": args.file_mib,
            "total_mib": total_mib,
            "repeat": args.repeat,
            "target_ratio": TARGET_RATIO,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        }
        if "local" in providers:
            report["local"] = bench_local(work, sources, total_mib, args.repeat)
        if "s3" in providers:
            report["s3"] = bench_s3(
                work, sources, total_mib, args.repeat, args.part_mib, args.concurrency
            )
        ratios = [
            report[p][op]["ratio"]
            for p in ("local", "s3")
            if p in report
            for op in ("write", "read")
        ]
        report["within_target"] = all(ratio <= TARGET_RATIO for ratio in ratios)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
