"""``jwstdata cutout``, ``composite`` and ``mosaic``: imaging products made from records,
stored as derived records (run as jobs; ``--wait`` runs the job in this process)."""

from __future__ import annotations

import typer

from jwstdata.cli.common import cli_context, console, open_root, print_json
from jwstdata.cli.records import parse_record_id
from jwstdata.models.enums import Combine, Interval, SizeUnit, Stretch
from jwstdata.models.job import Job

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
    from jwstdata.services.processing_jobs import KIND as PROCESS_KIND
    from jwstdata.services.processing_jobs import enqueue_processing

    ctx = cli_context()
    params = {"ra": ra, "dec": dec, "size": size, "unit": unit.value}
    if height is not None:
        params["height"] = height
    with open_root() as root:
        jobs = root.jobs
        jobs.ensure_indexes()
        record = root.records.get(parse_record_id(record_id), ctx)
        job = enqueue_processing(
            jobs,
            record,
            "cutout",
            params,
            user_id=record.user_id,
            priority=INTERACTIVE_PRIORITY if wait else 0,
        )
        if wait:
            root.worker(kinds=[PROCESS_KIND]).run_once()
            job = jobs.get(job.id, ctx)
    report(job, f"cutout of {record.file_name}", wait=wait, as_json=as_json)


def _product(kind: str, record_ids: list[str], parameters: dict, wait: bool, as_json: bool) -> None:
    from jwstdata.services.imaging_jobs import enqueue_product

    ctx = cli_context()
    with open_root() as root:
        jobs = root.jobs
        jobs.ensure_indexes()
        job = enqueue_product(
            jobs,
            root.records,
            ctx,
            kind,
            record_ids,
            parameters,
            priority=INTERACTIVE_PRIORITY if wait else 0,
        )
        if wait:
            root.worker(kinds=[kind]).run_once()
            job = jobs.get(job.id, ctx)
    report(job, f"{kind} of {len(record_ids)} records", wait=wait, as_json=as_json)
    if not as_json:
        for output in (job.result or {}).get("outputs", []):
            console.print(f"  record {output['id']}: {output['role']}", highlight=False)


def composite(
    record_ids: list[str] = typer.Argument(..., help="2 to 6 records, bluest filter first."),
    color: list[str] = typer.Option(
        [], "--color", help="#rrggbb per record, in order (default blue, green, red, ...)."
    ),
    stretch: Stretch = typer.Option(Stretch.asinh, "--stretch"),
    interval: Interval = typer.Option(Interval.percentile, "--interval"),
    resolution: float | None = typer.Option(
        None, "--resolution", min=0, help="Arcsec per output pixel (default: the finest)."
    ),
    wait: bool = typer.Option(False, "--wait", help="Run it now in this process and wait."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Colour composite of 2-6 records: reprojected onto one grid, PNG and FITS cube."""
    if color and len(color) != len(record_ids):
        raise typer.BadParameter(f"give one --color per record ({len(record_ids)})")
    colors = color or [None] * len(record_ids)
    channels = [{"color": c, "stretch": stretch.value, "interval": interval.value} for c in colors]
    parameters: dict = {"channels": channels}
    if resolution:
        parameters["resolution"] = resolution
    _product("composite", record_ids, parameters, wait, as_json)


def mosaic(
    record_ids: list[str] = typer.Argument(..., help="2 or more overlapping records, one filter."),
    combine: Combine = typer.Option(Combine.mean, "--combine"),
    resolution: float | None = typer.Option(None, "--resolution", min=0, help="Arcsec/pixel."),
    wait: bool = typer.Option(False, "--wait", help="Run it now in this process and wait."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Mosaic of overlapping records of one filter: a FITS image and a preview."""
    parameters: dict = {"combine": combine.value}
    if resolution:
        parameters["resolution"] = resolution
    _product("mosaic", record_ids, parameters, wait, as_json)
