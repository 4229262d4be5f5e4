"""``jwstdata process`` and ``jwstdata algorithms``: run standard processing on records."""

from __future__ import annotations

import typer
from rich.table import Table

from jwstdata.cli.common import cli_context, console, open_root, print_json
from jwstdata.cli.jobs import parse_params
from jwstdata.cli.records import parse_record_id

INTERACTIVE_PRIORITY = 100


def process(
    record_id: str = typer.Argument(...),
    algorithm: str = typer.Option(..., "--algorithm", "-a", help="See `jwstdata algorithms`."),
    param: list[str] = typer.Option([], "--param", "-p", help="key=value (repeat)."),
    wait: bool = typer.Option(False, "--wait", help="Run it now in this process and wait."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Queue (or, with --wait, run) an algorithm on a record."""
    from jwstdata.services.processing_jobs import KIND, enqueue_processing

    ctx = cli_context()
    with open_root() as root:
        jobs, records = root.jobs, root.records
        jobs.ensure_indexes()
        record = records.get(parse_record_id(record_id), ctx)
        job = enqueue_processing(
            jobs,
            record,
            algorithm,
            parse_params(param),
            user_id=record.user_id,
            priority=INTERACTIVE_PRIORITY if wait else 0,
            records=records,
        )
        if wait:
            root.worker(kinds=[KIND]).run_once()
            job = jobs.get(job.id, ctx)
    if as_json:
        print_json(job.to_json())
        return
    console.print(
        f"job {job.id} ({algorithm} on {record.file_name}): {job.state.value}", highlight=False
    )
    if job.error:
        console.print(f"[red]{job.error}[/red]", highlight=False)
    for key, value in (job.result or {}).get("results", {}).items():
        console.print(f"  {key}: {value}", highlight=False)
    if wait and job.state.value != "completed":
        raise typer.Exit(1)


def algorithms(as_json: bool = typer.Option(False, "--json")) -> None:
    """Available algorithms: names, versions, inputs, outputs and parameter schemas."""
    from jwstdata.processing.registry import list_algorithms

    listed = list_algorithms()
    if as_json:
        print_json(listed)
        return
    table = Table("name", "version", "summary")
    for entry in listed:
        table.add_row(entry["name"], entry["version"], entry.get("summary", ""))
    console.print(table)
