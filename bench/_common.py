"""Helpers shared by the benchmarks: servers, timing, JSON output."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:  # benchmarks reuse the tests' FITS factory
    sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def database_uri(uri: str | None = None) -> Iterator[str]:
    """The given URI, or a fresh embedded SecantusDB in a temporary home (stopped after)."""
    if uri:
        yield uri
        return
    from jwstdata.config import Settings
    from jwstdata.db.embedded import EmbeddedServer

    with tempfile.TemporaryDirectory(prefix="jwstdata-bench-") as home:
        server = EmbeddedServer(Settings(home=Path(home)))
        state = server.start()
        # A bench stopped by SIGTERM (kill, a timeout) still stops its server: without this
        # the default handler ends Python at once and the server runs on, busy, orphaned.
        previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            yield state.uri
        finally:
            server.stop()
            signal.signal(signal.SIGTERM, previous)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "p50_ms": round(pick(0.50) * 1000, 2),
        "p95_ms": round(pick(0.95) * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "n": len(ordered),
    }


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def emit(name: str, result: dict[str, Any]) -> None:
    """Print the JSON result and keep a copy in bench/results/."""
    payload = {
        "benchmark": name,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        **result,
    }
    text = json.dumps(payload, indent=2, default=str)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(text + "\n")
