"""A bounded schemathesis run against ``/openapi.json``: bad input is never a 500."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.factories import make_record
from tests.plugins.api_server import ApiServer


def test_schemathesis_finds_no_server_error(api_server: ApiServer, tmp_path: Path) -> None:
    api_server.create_user("fuzzer")
    token = api_server.token("fuzzer")
    for _ in range(5):
        api_server.repo.create(make_record(isPublic=True))
    st = Path(sys.executable).parent / "st"
    result = subprocess.run(
        [
            str(st),
            "run",
            f"{api_server.url}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "10",
            "--seed",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
            # One worker: with two, schemathesis's own case generation sometimes fails
            # in CPython 3.11's ast.parse from two threads ("AST constructor recursion
            # depth mismatch"), a runtime error of the tool, not of the API.
            "--workers",
            "1",
            "--max-time",
            "100",
            "--request-timeout",
            "20",
            "--exclude-path",
            "/api/auth/token",
            "--exclude-path-regex",
            "^/api/mast",
            "-H",
            f"Authorization: Bearer {token}",
            "--warnings",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        cwd=tmp_path,
    )
    tail = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, tail
    assert "not_a_server_error" in result.stdout or "passed" in result.stdout.lower(), tail
