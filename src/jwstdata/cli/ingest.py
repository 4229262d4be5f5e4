"""``jwstdata ingest``: register local FITS (and related) files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from jwstdata.cli.common import console, open_root, print_json, resolve_owner


def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or directories."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Walk directories."),
    in_place: bool = typer.Option(
        False, "--in-place", help="Register files already under the local storage root (no copy)."
    ),
    owner: str | None = typer.Option(
        None, "--owner", help="User name (or id) that owns the records."
    ),
    public: bool = typer.Option(False, "--public", help="Make the records public."),
    tags: str = typer.Option("", "--tags", help="Comma-separated tags."),
    workers: int = typer.Option(0, "--workers", help="Worker processes (default: all cores)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Ingest files: parse names and headers, store, write records, link lineage."""
    from jwstdata.inflate import InflateLimits
    from jwstdata.services.ingest import IngestOptions
    from jwstdata.services.processing_jobs import queue_auto_previews

    with open_root() as root:
        cfg = root.settings
        options = IngestOptions(
            recursive=recursive,
            in_place=in_place,
            owner_id=resolve_owner(root, owner),
            public=public,
            tags=[t.strip() for t in tags.split(",") if t.strip()],
            inflate=InflateLimits.of(cfg),
        )
        if workers > 0:
            options.workers = workers
        service = root.ingest
        if as_json or not console.is_terminal:
            report = service.ingest(paths, options)
        else:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as bar:
                task = bar.add_task("ingesting", total=None)
                report = service.ingest(
                    paths,
                    options,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        if cfg.auto_preview and report.record_ids:
            root.jobs.ensure_indexes()
            queue_auto_previews(root.jobs, root.records, report.record_ids)
    if as_json:
        print_json(report.to_json())
    else:
        console.print(
            f"ingested {report.ingested}, updated {report.updated}, failed {len(report.failed)}"
        )
        for failure in report.failed[:20]:
            console.print(f"  [red]{failure['path']}[/red]: {failure['error']}", highlight=False)
    if report.failed and not (report.ingested or report.updated):
        raise typer.Exit(1)
