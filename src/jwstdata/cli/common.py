"""Shared CLI plumbing: settings, the database handle, output helpers, error exits."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import typer
from rich.console import Console

from jwstdata.config import Settings, load_settings
from jwstdata.db import DatabaseHandle, open_database
from jwstdata.models.access import AccessContext

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON (as the API returns it).")


def settings() -> Settings:
    return load_settings()


@contextlib.contextmanager
def database(start_embedded: bool = True) -> Iterator[DatabaseHandle]:
    handle = open_database(settings(), start_embedded=start_embedded)
    try:
        yield handle
    finally:
        handle.close()


def cli_context() -> AccessContext:
    """The CLI runs next to the database with its credentials: it acts as an admin."""
    return AccessContext.admin()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    raise typer.Exit(code)
