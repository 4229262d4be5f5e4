"""``jwstdata jobs``: list, show, submit, cancel and resume background jobs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from bson import ObjectId
from rich.table import Column, Table

from jwstdata.cli.common import (
    JSON_OPTION,
    cli_context,
    console,
    id_column,
    open_root,
    print_json,
    resolve_owner,
)
from jwstdata.errors import NotFoundError, ValidationError
from jwstdata.models import parse_object_id
from jwstdata.models.job import Job, JobState

if TYPE_CHECKING:
    from jwstdata.db.jobs import JobRepository
    from jwstdata.root import Root


app = typer.Typer(help="Background jobs: processing runs and MAST imports.", no_args_is_help=True)


def parse_job_id(text: str) -> ObjectId:
    oid = parse_object_id(text)
    if oid is None:
        raise NotFoundError(f"job {text} not found (ids are 24 hexadecimal characters)")
    return oid


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``k=v`` pairs; a value that reads as JSON (3, 1.5, true, [1]) is taken as such."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"--param {pair!r}: expected key=value")
        try:
            params[key.strip()] = json.loads(text)
        except ValueError:
            params[key.strip()] = text
    return params


def _repo(root: Root) -> JobRepository:
    root.jobs.ensure_indexes()
    return root.jobs


@app.command(name="list")
def list_jobs(
    state: JobState | None = typer.Option(None, "--state", help="Only jobs in this state."),
    kind: str | None = typer.Option(None, "--kind", help="Only jobs of this kind."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000),
    cursor: str | None = typer.Option(None, "--cursor", help="The next page (from --json)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List jobs, newest first."""
    with open_root() as root:
        page = _repo(root).list(cli_context(), state=state, kind=kind, limit=limit, cursor=cursor)
    if as_json:
        print_json({"items": [j.to_json() for j in page.items], "nextCursor": page.next_cursor})
        return
    table = Table(
        id_column(),
        "kind",
        "state",
        "progress",
        "attempts",
        "priority",
        Column("created", no_wrap=True),
    )
    for job in page.items:
        table.add_row(
            str(job.id),
            job.kind,
            _state(job),
            _progress(job),
            f"{job.attempts}/{job.max_attempts}",
            str(job.priority),
            _when(job.created_at),
        )
    console.print(table)
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}", highlight=False)


@app.command()
def show(job_id: str, as_json: bool = JSON_OPTION) -> None:
    """Show one job with its progress and log tail."""
    with open_root() as root:
        job = _repo(root).get(parse_job_id(job_id), cli_context())
    if as_json:
        print_json(job.to_json())
        return
    data = job.to_json()
    lines = data.pop("logTail")
    data["state"] = _state(job)
    for key, value in data.items():
        if value not in (None, [], {}):
            console.print(f"[bold]{key}[/bold]: {value}", highlight=False)
    if lines:
        console.print("[bold]log[/bold]:")
        for line in lines:
            console.print(f"  {line}", highlight=False, markup=False)


@app.command()
def submit(
    kind: str = typer.Argument(..., help="The job kind, e.g. sleep."),
    param: list[str] = typer.Option([], "--param", "-p", help="key=value (repeatable)."),
    priority: int = typer.Option(0, "--priority", help="Higher runs first."),
    max_attempts: int = typer.Option(3, "--max-attempts", min=1, max=100),
    record: str | None = typer.Option(None, "--record", help="The record the job is about."),
    owner: str | None = typer.Option(None, "--owner", help="Owning user (default: system)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Queue a job for the workers."""
    from jwstdata.services.jobs import load_handlers

    load_handlers().get(kind)  # an unknown kind is a one-line error, not a job nobody runs
    params = parse_params(param)
    record_id = parse_object_id(record) if record else None
    if record and record_id is None:
        raise NotFoundError(f"record {record} not found (ids are 24 hexadecimal characters)")
    with open_root() as root:
        job = _repo(root).enqueue(
            kind,
            params,
            user_id=resolve_owner(root, owner),
            record_id=record_id,
            priority=priority,
            max_attempts=max_attempts,
        )
    if as_json:
        print_json(job.to_json())
    else:
        console.print(f"queued job {job.id} ({kind})", highlight=False)


@app.command()
def cancel(job_id: str) -> None:
    """Cancel a job: a queued one at once, a running one at its next heartbeat."""
    with open_root() as root:
        job = _repo(root).request_cancel(parse_job_id(job_id), cli_context())
    console.print(f"job {job.id}: {_state(job)}", highlight=False)


@app.command()
def resume(job_id: str) -> None:
    """Queue a failed or cancelled job again (it carries on from its progress)."""
    with open_root() as root:
        job = _repo(root).resume(parse_job_id(job_id), cli_context())
    console.print(f"job {job.id}: queued again", highlight=False)


def _state(job: Job) -> str:
    if job.state is JobState.running and job.cancel_requested:
        return "running (cancel requested)"
    return job.state.value


def _progress(job: Job) -> str:
    done, total = job.progress.get("done"), job.progress.get("total")
    if done is not None and total:
        return f"{done}/{total}"
    return str(job.progress.get("message", ""))


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")
