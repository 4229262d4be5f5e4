"""``jwstdata mast import|jobs|refresh``: bring MAST observations into the catalog."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from jwstdata.cli.common import cli_context, console, open_root, print_json, resolve_owner
from jwstdata.cli.jobs import parse_job_id
from jwstdata.cli.mast import app
from jwstdata.models import ProcessingLevel
from jwstdata.models.job import Job

if TYPE_CHECKING:
    from jwstdata.db.jobs import JobRepository
    from jwstdata.root import Root


INTERACTIVE_PRIORITY = 100  # the CLI's own job goes ahead of queued background imports


def _levels(text: str) -> tuple[ProcessingLevel, ...]:
    return tuple(ProcessingLevel(v.strip()) for v in text.split(",") if v.strip())


@app.command("import")
def import_(
    obs_ids: list[str] = typer.Argument(
        ..., help="MAST obs_id values, e.g. jw02733-o001_t001_nircam_clear-f090w"
    ),
    levels: str = typer.Option("", "--levels", help="Comma-separated, e.g. L2b,L3"),
    min_recommended: bool = typer.Option(False, "--min-recommended"),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be fetched."),
    background: bool = typer.Option(False, "--background", help="Queue for a worker and return."),
    resume: str | None = typer.Option(None, "--resume", help="Resume this job id instead."),
    owner: str | None = typer.Option(None, "--owner", help="Owner of exclusive-access files."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import observations: download, store, record and link their products."""
    from jwstdata.services.mast.importer import KIND, ImportRequest, plan

    request = ImportRequest(
        obs_ids=tuple(obs_ids), levels=_levels(levels), min_recommended=min_recommended
    )
    if dry_run:
        with open_root() as root:
            files = plan(root.mast, request)
        rows = [
            {
                "fileName": f.name,
                "dataURI": f.product.data_uri,
                "size": f.product.size,
                "obsId": f.observation.obs_id,
                "key": f.key,
            }
            for f in files
        ]
        if as_json:
            print_json(
                {"files": rows, "count": len(rows), "bytes": sum(r["size"] or 0 for r in rows)}
            )
        else:
            for row in rows:
                console.print(f"{row['size'] or 0:>12}  {row['key']}", highlight=False)
            console.print(f"{len(rows)} files, {sum(r['size'] or 0 for r in rows)} bytes")
        return
    with open_root() as root:
        jobs = root.jobs
        jobs.ensure_indexes()
        if resume:
            job = jobs.resume(parse_job_id(resume), cli_context())
        else:
            job = jobs.enqueue(
                KIND,
                request.to_params(),
                user_id=resolve_owner(root, owner),
                record_id=None,
                priority=INTERACTIVE_PRIORITY,
            )
        if background:
            print_json(job.to_json()) if as_json else console.print(f"queued import job {job.id}")
            return
        finished = _run_with_progress(root, job, quiet=as_json)
    if as_json:
        print_json(finished.to_json())
    else:
        result = finished.result or {}
        console.print(
            f"job {finished.id} {finished.state.value}: {result.get('imported', 0)} files imported"
            + (f", {len(result.get('failed', []))} failed" if result.get("failed") else "")
        )
        for failure in result.get("failed", [])[:20]:
            console.print(f"  [red]{failure['name']}[/red]: {failure['error']}", highlight=False)
        if finished.error:
            console.print(f"[red]{finished.error}[/red]", highlight=False)
    if finished.state.value != "completed":
        raise typer.Exit(1)


def _run_with_progress(root: Root, job: Job, *, quiet: bool) -> Job:
    from jwstdata.services.mast.importer import KIND

    jobs: JobRepository = root.jobs
    worker = root.worker(concurrency=1, kinds=[KIND], lease_seconds=30, poll_interval=0.5)
    thread = threading.Thread(target=worker.run_once, daemon=True)
    thread.start()
    ctx = cli_context()
    if quiet or not console.is_terminal:
        thread.join()
        return jobs.get(job.id, ctx)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("importing", total=None)
        while thread.is_alive():
            current = jobs.get(job.id, ctx)
            p = current.progress
            bar.update(
                task,
                completed=p.get("bytesDone", 0),
                total=p.get("bytesTotal") or None,
                description=f"{p.get('filesDone', 0)}/{p.get('filesTotal', '?')} files",
            )
            time.sleep(0.5)
        thread.join()
    return jobs.get(job.id, ctx)


@app.command("jobs")
def import_jobs(
    as_json: bool = typer.Option(False, "--json"), limit: int = typer.Option(20, "--limit")
) -> None:
    """Recent MAST import jobs."""
    from jwstdata.services.mast.importer import KIND

    with open_root() as root:
        page = root.jobs.list(cli_context(), kind=KIND, limit=limit)
    if as_json:
        print_json([j.to_json() for j in page.items])
        return
    for job in page.items:
        p = job.progress
        files = f"{p.get('filesDone', 0)}/{p.get('filesTotal', '?')} files"
        console.print(
            f"{job.id} {job.state.value:10} {files} {' '.join(job.params.get('obsIds', []))}",
            highlight=False,
        )


@app.command("refresh")
def refresh(
    obs_ids: list[str] = typer.Argument(...), as_json: bool = typer.Option(False, "--json")
) -> None:
    """Re-query MAST and update the mast_* metadata of imported records (no download)."""
    from jwstdata.services.mast.refresh import refresh_metadata

    with open_root() as root:
        report = refresh_metadata(root.mast, root.records, list(obs_ids))
    print_json(report) if as_json else console.print(
        f"{report['recordsUpdated']} records of {report['observations']} observations updated"
    )
