"""Shared CLI plumbing: settings, the composition root, output helpers, error exits."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import typer
from bson import ObjectId
from rich.console import Console
from rich.table import Column

from jwstdata.errors import NotFoundError
from jwstdata.models import parse_object_id
from jwstdata.models.access import AccessContext

if TYPE_CHECKING:
    from jwstdata.config import Settings
    from jwstdata.db import DatabaseHandle
    from jwstdata.root import Root


console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON (as the API returns it).")


def settings() -> Settings:
    from jwstdata.config import load_settings  # pydantic-settings: only when a command runs

    return load_settings()


@contextlib.contextmanager
def open_root(
    *, start_embedded: bool = True, database: str | None = None, announce: bool = True
) -> Iterator[Root]:
    """The command's parts, from the root the API and the worker use too; each is built
    when the command first touches it (the database is opened then), closed at the end."""
    from jwstdata.root import Root

    cfg = settings()
    on_open = _announce_launch(cfg) if announce else None
    with Root(cfg, start_embedded=start_embedded, database=database, on_open=on_open) as root:
        yield root


def _announce_launch(cfg: Settings) -> Callable[[DatabaseHandle], None]:
    def announce(handle: DatabaseHandle) -> None:
        if handle.launched:
            # It outlives this command on purpose (the next one reuses it): say so, once.
            err_console.print(
                f"started the embedded database (data in {cfg.db_dir}); it keeps running for "
                "the next commands: `jwstdata db stop` stops it",
                highlight=False,
            )

    return announce


def cli_context() -> AccessContext:
    """The CLI runs next to the database with its credentials: it acts as an admin."""
    return AccessContext.admin()


def resolve_owner(root: Root, owner: str | None) -> ObjectId | None:
    """A user name (any case) or user id to the user's id; None stays None."""
    if owner is None:
        return None
    user = root.users.find_by_username(owner)
    oid = parse_object_id(owner)
    if user is None and oid is not None:
        user = root.users.find(oid)
    if user is None:
        raise NotFoundError(f"unknown user {owner!r} (create it with `jwstdata users create`)")
    return user.id


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def id_column(header: str = "id") -> Column:
    """A table column for identifiers: never cut short or wrapped, so it can be copied whole
    into the next command, however narrow the terminal (the other columns give way)."""
    return Column(header, no_wrap=True, overflow="ignore")


def one_line(text: str) -> str:
    """Whitespace runs (newlines included) as single spaces: an error stays on one line."""
    return " ".join(text.split())


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    raise typer.Exit(code)
