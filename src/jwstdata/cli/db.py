"""``jwstdata db``: start/stop the embedded server, initialise and inspect the database."""

from __future__ import annotations

import typer
from rich.table import Table

from jwstdata.cli.common import JSON_OPTION, console, open_root, print_json, settings
from jwstdata.errors import DatabaseUnavailableError
from jwstdata.redact import redact_uri

app = typer.Typer(help="Database server, indexes and status.", no_args_is_help=True)


@app.command()
def start(as_json: bool = JSON_OPTION) -> None:
    """Start the embedded database (reused if already running)."""
    from jwstdata.db.embedded import EmbeddedServer

    cfg = settings()
    if not cfg.embedded:
        message = "a MongoDB URI is configured; there is no embedded server to start"
        print_json({"embedded": False, "message": message}) if as_json else console.print(message)
        return
    with open_root(announce=False) as root:
        root.handle  # noqa: B018 - opening launches the server and initialises a new one
    state = EmbeddedServer(cfg).running()
    if state is None:
        raise DatabaseUnavailableError("the embedded database stopped right after it started")
    if as_json:
        print_json({"running": True, "embedded": True, "uri": state.uri, "pid": state.pid})
    else:
        console.print(f"embedded database running at {state.uri} (pid {state.pid})")


@app.command()
def stop() -> None:
    """Stop the embedded database."""
    from jwstdata.db.embedded import EmbeddedServer

    cfg = settings()
    if not cfg.embedded:
        console.print("a MongoDB URI is configured; there is no embedded server to stop")
        return
    stopped = EmbeddedServer(cfg).stop()
    console.print("embedded database stopped" if stopped else "embedded database was not running")


@app.command()
def status(as_json: bool = JSON_OPTION) -> None:
    """Is the database reachable? Which server, which database, how many records."""
    from jwstdata.db.embedded import EmbeddedServer
    from jwstdata.db.migrations import pending_migrations
    from jwstdata.db.server_status import estimated_records, server_version

    cfg = settings()
    info: dict = {"embedded": cfg.embedded, "database": cfg.database}
    if cfg.embedded:
        state = EmbeddedServer(cfg).running()
        info.update(running=state is not None, uri=state.uri if state else None)
        if state:
            info["pid"] = state.pid
    else:
        info["uri"] = redact_uri(cfg.resolved_uri)
        info["running"] = False
    if info["running"] or not cfg.embedded:
        try:
            with open_root(start_embedded=False) as root:
                handle = root.handle
                info["running"] = True
                info["server"] = server_version(handle)
                info["records"] = estimated_records(handle)
                info["pendingMigrations"] = [m.to_json() for m in pending_migrations(handle)]
        except DatabaseUnavailableError as exc:
            info["running"] = False
            info["error"] = exc.message
    if as_json:
        print_json(info)
        return
    state_text = "[green]running[/green]" if info["running"] else "[red]not running[/red]"
    kind = "embedded" if cfg.embedded else "configured"
    console.print(
        f"{kind} database {state_text} at {info.get('uri') or '-'}; database {cfg.database}"
    )
    if "records" in info:
        console.print(f"{info['records']} records; server {info.get('server')}")
    if info.get("pendingMigrations"):
        pending = info["pendingMigrations"]
        console.print(f"{len(pending)} migration(s) pending: run `jwstdata db migrate`")
    if "error" in info:
        console.print(info["error"])
    if not info["running"]:
        raise typer.Exit(1)


@app.command()
def init(as_json: bool = JSON_OPTION) -> None:
    """Create collections, the validator and every declared index (idempotent)."""
    with open_root() as root:
        report = root.initialise()
    if as_json:
        print_json(report.as_dict())
        return
    console.print(
        f"indexes: {len(report.indexes_created)} created, {len(report.indexes_existing)} present"
        + (f", {len(report.indexes_failed)} failed" if report.indexes_failed else "")
    )
    for name, outcome in report.validators.items():
        console.print(f"validator on {name}: {outcome}")
    for failure in report.indexes_failed:
        console.print(f"[yellow]index {failure['index']} not created:[/yellow] {failure['error']}")


@app.command()
def recount(as_json: bool = JSON_OPTION) -> None:
    """Rebuild the facet and total counters from the records.

    Writes keep the counters current; run this after changing records outside jwstdata,
    or after a crash between a record write and its counter update. Counts read while it
    runs are aggregated live.
    """
    from jwstdata.db.server_status import recount_records

    with open_root() as root, console.status("counting records..."):
        report = recount_records(root.handle)
    if as_json:
        print_json(report)
        return
    console.print(f"{report['records']} records counted into {report['counters']} counters")


@app.command()
def indexes(as_json: bool = JSON_OPTION) -> None:
    """List the declared indexes, the query each serves, and whether it exists."""
    from jwstdata.db import list_indexes

    with open_root() as root:
        rows = list_indexes(root.handle)
    if as_json:
        print_json(rows)
        return
    table = Table("collection", "name", "keys", "unique", "present", "serves")
    for row in rows:
        keys = ", ".join(f"{k}:{v}" for k, v in row["keys"].items())
        table.add_row(
            row["collection"],
            row["name"],
            keys,
            str(row["unique"]),
            str(row["present"]),
            row["serves"],
        )
    console.print(table)
