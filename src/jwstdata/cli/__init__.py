"""The ``jwstdata`` command line (Typer). Commands stay thin: services do the work."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from jwstdata.cli import (
    archive,
    backup,
    db,
    db_migrate,
    jobs,
    mast,
    mast_import,  # noqa: F401  (adds import/jobs/refresh to `mast`)
    naming,
    records,
    storage,
    users,
)
from jwstdata.cli.common import err_console, one_line
from jwstdata.cli.imaging import composite, cutout, mosaic
from jwstdata.cli.ingest import ingest
from jwstdata.cli.lineage import lineage
from jwstdata.cli.process import algorithms, process
from jwstdata.cli.search import search
from jwstdata.cli.serve import serve
from jwstdata.cli.usage import ClickException, escaped_database_error, is_help_request, usage_line
from jwstdata.cli.worker import worker
from jwstdata.errors import JwstDataError

app = typer.Typer(
    name="jwstdata",
    help="Catalog, store, import and process JWST data on MongoDB.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(records.app, name="records")
app.command(name="search")(search)
app.command(name="ingest")(ingest)
app.command(name="lineage")(lineage)
app.command(name="serve")(serve)
app.command(name="process")(process)
app.command(name="algorithms")(algorithms)
app.command(name="cutout")(cutout)
app.command(name="composite")(composite)
app.command(name="mosaic")(mosaic)
app.add_typer(naming.app, name="naming")
app.add_typer(users.app, name="users")
app.add_typer(mast.app, name="mast")
app.add_typer(storage.app, name="storage")
app.add_typer(jobs.app, name="jobs")
app.command(name="worker")(worker)
app.add_typer(archive.app, name="archive")
app.command(name="unarchive")(archive.unarchive)
app.add_typer(backup.app, name="backup")
db.app.command(name="migrate")(db_migrate.migrate)


def main() -> None:
    """Entry point: one clear line and a non-zero exit for every expected error."""
    try:
        # Outside standalone mode click returns an Exit's code instead of raising it.
        result = app(standalone_mode=False, prog_name="jwstdata")
        if isinstance(result, int) and result:
            sys.exit(result)
    except JwstDataError as exc:
        err_console.print(f"[red]error:[/red] {escape(one_line(exc.message))}", highlight=False)
        sys.exit(1)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except ClickException as exc:
        if is_help_request(exc):
            exc.show()  # the command's help, as asked for by giving no arguments
        else:
            err_console.print(f"[red]error:[/red] {escape(usage_line(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except Exception as exc:
        # A path that missed the data layer's translation: still one line, never a traceback.
        translated = escaped_database_error(exc)
        if translated is None:
            raise
        message = escape(one_line(translated.message))
        err_console.print(f"[red]error:[/red] {message}", highlight=False)
        sys.exit(1)
