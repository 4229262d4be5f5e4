"""Run every benchmark in bench/ (each prints JSON and writes bench/results/NAME.json)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*_bench.py"))
    failures = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        failures += subprocess.run([sys.executable, str(script)], cwd=HERE).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
