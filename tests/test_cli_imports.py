"""`jwstdata --help` stays quick: the CLI's modules import their services when a command
runs, never at start-up (boto3 alone costs about half a second)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Libraries no command needs to show its help, nor to parse its options.
HEAVY = (
    "boto3",
    "botocore",
    "astropy",
    "numpy",
    "scipy",
    "matplotlib",
    "photutils",
    "PIL",
    "pymongo",
    "httpx",
    "fastapi",
    "pydantic_settings",
)
# Layers below the CLI that a command reaches only when it runs.
LAZY_PACKAGES = ("jwstdata.services", "jwstdata.db", "jwstdata.storage", "jwstdata.mast")


def _imported_by(statement: str) -> list[str]:
    probe = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=120
    )
    return json.loads(out.stdout)


def test_importing_the_cli_imports_no_heavy_library() -> None:
    modules = set(_imported_by("import jwstdata.cli"))
    assert "jwstdata.cli" in modules and "typer" in modules  # the probe really ran
    assert not modules & set(HEAVY)
    assert not [m for m in modules if m.startswith(LAZY_PACKAGES)]


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"], ["storage", "--help"]])
def test_help_runs_without_the_heavy_libraries(args: list[str]) -> None:
    """The whole `jwstdata ... --help` path, as the console script runs it."""
    statement = (
        "from jwstdata.cli import main; sys.argv = ['jwstdata', *"
        + repr(args)
        + "]; exec('try:\\n main()\\nexcept SystemExit:\\n pass')"
    )
    probe = (
        f"import json, sys, io, contextlib; buf = io.StringIO()\n"
        f"with contextlib.redirect_stdout(buf):\n    {statement}\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'out': buf.getvalue()}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=120
    )
    result = json.loads(out.stdout)
    assert "Usage" in result["out"]
    assert not set(result["modules"]) & set(HEAVY)


def test_the_archive_service_imports_no_s3_client() -> None:
    """Archiving on local storage needs no boto3: S3 is asked for only when configured."""
    modules = set(_imported_by("import jwstdata.services.archive"))
    assert "jwstdata.services.archive" in modules
    assert not modules & {"boto3", "botocore", "jwstdata.storage.s3"}
