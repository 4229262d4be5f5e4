"""Command-line mistakes: one line on stderr naming the command, exit code 2, no traceback.

No database is needed: a bad option value is rejected before any command runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(args: list[str], home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    # Unreachable on purpose: a usage error must be reported before anything connects.
    env.update(JWSTDATA_HOME=str(home), JWSTDATA_MONGODB_URI="mongodb://127.0.0.1:9/")
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["search", "--level", "L4"], "'L4' is not one of 'L1', 'L2a', 'L2b', 'L3', 'unknown'"),
        (["search", "--limit", "many"], "'--limit'"),
        (["search", "--sort", "size"], "'--sort'"),
        (["search", "--observed-from", "yesterday"], "'--observed-from'"),
        (["search", "--no-such-option"], "no such option: --no-such-option"),
        (["ingest"], "missing argument"),
        (["ingest", "x.fits", "--workers", "none"], "'--workers'"),
        (["serve", "--port", "0"], "'--port'"),
        (["users", "create"], "missing argument"),
        (["db", "nonsense"], "no such command"),
        (["mast", "search", "--radius", "wide"], "'--radius'"),
        (["jobs", "list", "--limit", "x"], "'--limit'"),
        (["worker", "--concurrency", "0"], "'--concurrency'"),
    ],
)
def test_bad_option_value_is_one_usage_line(args: list[str], expected: str, tmp_path: Path) -> None:
    result = _cli(args, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: jwstdata ") and expected in lines[0]
    assert "--help" in lines[0]


def test_help_still_prints(tmp_path: Path) -> None:
    result = _cli(["search", "--help"], tmp_path)
    assert result.returncode == 0 and "--level" in result.stdout


def test_a_driver_error_that_escaped_translation_is_one_line() -> None:
    """The data layer words it (the server's message, never the whole error document)."""
    from pymongo.errors import InvalidOperation, OperationFailure

    from jwstdata.cli.usage import escaped_database_error
    from jwstdata.errors import DatabaseError

    failure = OperationFailure("bad", code=2, details={"errmsg": "bad $where", "op": {"x": 1}})
    translated = escaped_database_error(failure)
    assert isinstance(translated, DatabaseError)
    assert "bad $where" in translated.message and "'op'" not in translated.message
    other = escaped_database_error(InvalidOperation("client closed, full error: {...}"))
    assert other is not None and other.message == "database error: client closed"
    assert escaped_database_error(ValueError("not the database")) is None
