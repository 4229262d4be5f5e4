"""CLI start-up benchmark: wall time of ``jwstdata --help`` (and a subcommand's help).

    python bench/cli_bench.py [--repeat 10]

Each run is a fresh process, as a user typing the command gets. Also reports the CPU time
of the child processes and which heavy libraries the CLI's import pulled in (none should:
the commands import their services when they run). Target: p50 under 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import emit, percentiles

TARGET_SECONDS = 0.5
HEAVY = ("boto3", "botocore", "astropy", "numpy", "pymongo", "httpx", "fastapi", "scipy")
COMMANDS = {"help": ["--help"], "search_help": ["search", "--help"]}


def _jwstdata() -> list[str]:
    script = Path(sys.executable).with_name("jwstdata")
    return [str(script)] if script.exists() else [sys.executable, "-m", "jwstdata"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], repeat: int) -> dict[str, object]:
    walls, cpus = [], []
    env = {**os.environ, "COLUMNS": "100"}
    for _ in range(repeat):
        before = _children_cpu()
        start = time.perf_counter()
        subprocess.run(_jwstdata() + args, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - before)
    wall = percentiles(walls)
    return {
        "wall": wall,
        "cpu": percentiles(cpus),
        "under_target": wall["p50_ms"] < TARGET_SECONDS * 1000,
    }


def _heavy_imports() -> list[str]:
    probe = (
        "import json, sys, jwstdata.cli; "
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    result: dict[str, object] = {"target_ms": TARGET_SECONDS * 1000, "repeat": args.repeat}
    for name, argv in COMMANDS.items():
        result[name] = _run(argv, args.repeat)
    result["heavy_modules_imported"] = _heavy_imports()
    emit("cli", result)


if __name__ == "__main__":
    main()
