"""``jwstdata archive`` and ``jwstdata unarchive``: move records (and files) to the archive."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from jwstdata.cli.common import JSON_OPTION, cli_context, console, open_root, print_json
from jwstdata.cli.records import parse_record_id
from jwstdata.errors import ValidationError
from jwstdata.models.enums import ProcessingLevel

if TYPE_CHECKING:
    from jwstdata.services.archive import ArchiveReport, MoveOutcome


app = typer.Typer(
    help="Archive records: they leave default searches and their files move to the archive "
    "prefix. Without a subcommand, archives every record matching the options.",
    invoke_without_command=True,
)
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdwy])\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_UNITS["y"] = 365 * _UNITS["d"]
SHOWN = 10


def parse_age(text: str) -> timedelta:
    """``365d``, ``12w``, ``1y`` or ``36h`` as a duration."""
    match = _AGE.match(text)
    if not match:
        raise ValidationError(
            f"invalid age {text!r}: use a number and a unit, e.g. 365d, 12w, 1y or 36h"
        )
    return float(match[1]) * _UNITS[match[2]]


def _print_report(report: ArchiveReport) -> None:
    verb = "would archive" if report.dry_run else "archived"
    count = report.matched if report.dry_run else report.archived
    console.print(
        f"{verb} {count} of {report.matched} matching record(s) "
        f"({report.bytes_matched / 1e9:.2f} GB in files)",
        highlight=False,
    )
    if report.dry_run:
        for item in report.sample[:SHOWN]:
            console.print(
                f"  {item['id']}  {item['filePath'] or item['fileName']}", highlight=False
            )
        return
    console.print(
        f"files moved {report.files_moved} ({report.bytes_moved / 1e9:.2f} GB), reused copies "
        f"{report.reused_copies}, interrupted moves finished {report.resumed}, "
        f"{report.seconds:.1f}s"
        + (f", storage class {report.storage_class}" if report.storage_class else ""),
        highlight=False,
    )
    for failure in report.failed[:SHOWN]:
        console.print(f"  [red]{failure['id']}[/red]: {failure['error']}", highlight=False)
    if report.failed_count:
        console.print(f"{report.failed_count} failed; run the same command again to retry them")


@app.callback()
def archive(
    ctx: typer.Context,
    older_than: str = typer.Option(
        "365d", "--older-than", help="Records uploaded longer ago than this (365d, 12w, 1y)."
    ),
    level: ProcessingLevel | None = typer.Option(None, "--level", help="Only this level."),
    observation: str | None = typer.Option(
        None, "--observation", help="Only this observationBaseId."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only report what would be archived."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Archive every record matching the options (resumable: run it again to continue)."""
    from jwstdata.services.archive import ArchiveCriteria

    if ctx.invoked_subcommand is not None:
        return
    criteria = ArchiveCriteria(
        older_than=parse_age(older_than), level=level, observation=observation
    )
    with open_root() as root:
        service = root.archive
        if as_json or dry_run or not console.is_terminal:
            report = service.run(criteria, dry_run=dry_run)
        else:
            with Progress(
                "archiving", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                console=console, transient=True,
            ) as bar:  # fmt: skip
                task = bar.add_task("archiving", total=None)
                report = service.run(
                    criteria,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
    if as_json:
        print_json(report.to_json())
    else:
        _print_report(report)
    if report.failed_count:
        raise typer.Exit(1)


def _print_outcome(outcome: MoveOutcome, as_json: bool) -> None:
    if as_json:
        print_json({**outcome.to_json(), "record": outcome.record.to_json()})
        return
    moved = f", file now at {outcome.record.file_path}" if outcome.moved else ""
    console.print(f"record {outcome.record.id}: {outcome.status}{moved}", highlight=False)


@app.command("record")
def archive_record(record_id: str, as_json: bool = JSON_OPTION) -> None:
    """Archive one record (its file moves to the archive prefix, verified by checksum)."""
    oid = parse_record_id(record_id)
    with open_root() as root:
        outcome = root.archive.archive_record(oid, cli_context())
    _print_outcome(outcome, as_json)


def unarchive(record_id: str, as_json: bool = JSON_OPTION) -> None:
    """Bring one record back from the archive (its file returns to its original key)."""
    oid = parse_record_id(record_id)
    with open_root() as root:
        outcome = root.archive.unarchive_record(oid, cli_context())
    _print_outcome(outcome, as_json)
