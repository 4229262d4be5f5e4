"""``jwstdata cutout``: imaging products made from records, stored as derived records."""

from __future__ import annotations

import typer

from jwstdata.cli.common import cli_context, console, database, print_json, settings
from jwstdata.cli.records import parse_record_id
from jwstdata.db import RecordRepository
from jwstdata.db.jobs import JobRepository
from jwstdata.models.job import Job
from jwstdata.processing.cutout import SizeUnit
from jwstdata.services.jobs.worker import Worker
from jwstdata.services.processing_jobs import KIND as PROCESS_KIND
from jwstdata.services.processing_jobs import enqueue_processing

INTERACTIVE_PRIORITY = 100


def report(job: Job, label: str, *, wait: bool, as_json: bool) -> None:
    """Print a job's outcome (or its queued state); exit 1 when a waited-for job failed."""
    if as_json:
        print_json(job.to_json())
    else:
        console.print(f"job {job.id} ({label}): {job.state.value}", highlight=False)
        if job.error:
            console.print(f"[red]{job.error}[/red]", highlight=False)
        result = job.result or {}
        if result.get("outputFilePath"):
            console.print(f"  output: {result['outputFilePath']}", highlight=False)
        for key, value in (result.get("results") or {}).items():
            console.print(f"  {key}: {value}", highlight=False)
    if wait and job.state.value != "completed":
        raise typer.Exit(1)


def cutout(
    record_id: str = typer.Argument(..., help="The record to cut from."),
    ra: float = typer.Option(..., "--ra", min=0, max=360, help="Centre RA, degrees."),
    dec: float = typer.Option(..., "--dec", min=-90, max=90, help="Centre Dec, degrees."),
    size: float = typer.Option(..., "--size", min=0, help="Side of the square, in --unit."),
    height: float | None = typer.Option(None, "--height", min=0, help="Default: --size."),
    unit: SizeUnit = typer.Option(SizeUnit.arcsec, "--unit"),
    wait: bool = typer.Option(False, "--wait", help="Run it now in this process and wait."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Cut a rectangle around RA/Dec out of a record; the cutout becomes a derived record."""
    cfg = settings()
    ctx = cli_context()
    params = {"ra": ra, "dec": dec, "size": size, "unit": unit.value}
    if height is not None:
        params["height"] = height
    with database() as handle:
        jobs = JobRepository.for_database(handle)
        jobs.ensure_indexes()
        record = RecordRepository.for_database(handle).get(parse_record_id(record_id), ctx)
        job = enqueue_processing(
            jobs,
            record,
            "cutout",
            params,
            user_id=record.user_id,
            priority=INTERACTIVE_PRIORITY if wait else 0,
        )
        if wait:
            Worker(cfg, kinds=[PROCESS_KIND], handle=handle).run_once()
            job = jobs.get(job.id, ctx)
    report(job, f"cutout of {record.file_name}", wait=wait, as_json=as_json)
