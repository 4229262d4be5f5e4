"""``jwstdata storage``: verify records against files, repair drift, migrate, collect garbage."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)

from jwstdata.cli.common import JSON_OPTION, console, fail, open_root, print_json
from jwstdata.errors import ConfigurationError
from jwstdata.models.enums import StorageKind

if TYPE_CHECKING:
    from jwstdata.services.storage_check import VerifyReport
    from jwstdata.services.storage_migrate import MigrationReport


app = typer.Typer(help="Check, repair and move stored files.", no_args_is_help=True)

SHOWN = 10  # examples of each kind of drift printed (all of them are in --json, up to 1000)


@contextlib.contextmanager
def _bar(enabled: bool, *columns: Any) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    with Progress(*columns, console=console, transient=True) as bar:
        yield bar


@app.command()
def verify(
    as_json: bool = JSON_OPTION,
    checksums: bool = typer.Option(
        False, "--checksums", help="Also re-read every file and compare its sha256 (slow)."
    ),
    repair: bool = typer.Option(
        False,
        "--repair",
        help="Delete orphan files, mark records whose file is missing (records are never "
        "deleted), collect queued deletions.",
    ),
    grace: float = typer.Option(
        900.0,
        "--grace",
        min=0,
        help="Seconds an unreferenced file must have existed before --repair deletes it "
        "(files are stored just before their records are written).",
    ),
) -> None:
    """Compare records with stored files; exits 1 when they disagree.

    Reports records whose file is missing, files no record points to, and size (with
    --checksums also sha256) mismatches.
    """
    with open_root() as root:
        verifier = root.storage_verifier
        with _bar(
            console.is_terminal and not as_json,
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
        ) as bar:
            update: Callable[[str, int, int | None], None] | None = None
            if bar is not None:
                tasks = {
                    "records": bar.add_task("checking records", total=None),
                    "files": bar.add_task("looking for orphan files", total=None),
                }

                def update(phase: str, done: int, total: int | None) -> None:
                    bar.update(tasks[phase], completed=done, total=total)

            report = verifier.verify(
                checksums=checksums,
                repair=repair,
                progress=update,
                grace=timedelta(seconds=grace),
            )
    if as_json:
        print_json(report.to_json())
    else:
        _print_verify(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_verify(report: VerifyReport) -> None:
    counts = report.counts
    console.print(
        f"{report.storage}: {report.records_checked} records, {report.files_listed} files"
        + (f", {report.bytes_hashed} bytes hashed" if report.checksums else ""),
        highlight=False,
    )
    sections = (
        ("missing", "record(s) whose file is missing", lambda m: f"{m.key} (record {m.record_id})"),
        ("orphans", "file(s) no record points to", lambda o: f"{o.key} ({o.size} bytes)"),
        (
            "size_mismatch",
            "size mismatch(es)",
            lambda m: f"{m.key}: record {m.recorded} bytes, file {m.actual}",
        ),
        (
            "checksum_mismatch",
            "checksum mismatch(es)",
            lambda m: f"{m.key}: record {m.recorded[:12]}…, file {m.actual[:12]}…",
        ),
        ("queued", "file(s) already queued for deletion", str),
        ("restored", "record(s) marked missing whose file is back", lambda m: m.key),
    )
    for kind, label, show in sections:
        if not counts[kind]:
            continue
        colour = "yellow" if kind in ("queued", "restored") else "red"
        console.print(f"[{colour}]{counts[kind]} {label}[/{colour}]", highlight=False)
        for item in getattr(report, kind)[:SHOWN]:
            console.print(f"  {show(item)}", highlight=False, markup=False)
        if counts[kind] > SHOWN:
            console.print(f"  … and {counts[kind] - SHOWN} more (see --json)")
    if report.repair:
        done = report.repaired
        console.print(
            f"repaired: {done['orphans_deleted']} orphan(s) deleted"
            f" ({done['orphans_kept']} too recent or changed, {done['orphans_queued']} queued), "
            f"{done['marked_missing']} record(s) marked missing, "
            f"{done['cleared_missing']} unmarked, {done['gc_removed']} queued deletion(s) done",
            highlight=False,
        )
    if report.ok:
        console.print("[green]records and files agree[/green]")


@app.command()
def migrate(
    to: StorageKind = typer.Option(..., "--to", help="The storage to copy every file to."),
    as_json: bool = JSON_OPTION,
    delete_source: bool = typer.Option(
        False,
        "--delete-source",
        help="After every file is copied and verified, delete the source files.",
    ),
) -> None:
    """Copy every file to the other storage, verifying each copy; resumable.

    Records need no change (their keys are relative); switch JWSTDATA_STORAGE afterwards.
    """
    with open_root() as root:
        if StorageKind(root.settings.storage) == to:
            fail(f"JWSTDATA_STORAGE is already {to.value}: nothing to migrate")
        try:
            target = root.storage_of(to)
        except ConfigurationError as exc:
            fail(f"cannot open the {to.value} storage to migrate to: {exc.message}")
        target.ping()
        migrator = root.storage_migrator(target)
        with _bar(
            console.is_terminal and not as_json,
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
        ) as bar:
            update: Callable[[MigrationReport], None] | None = None
            if bar is not None:
                task = bar.add_task("copying", total=None)

                def update(report: MigrationReport) -> None:
                    description = f"{report.files_done}/{report.files_total} files"
                    total = max(report.bytes_total, report.bytes_done)
                    bar.update(
                        task, completed=report.bytes_done, total=total, description=description
                    )

            report = migrator.migrate(progress=update)
        if report.complete and delete_source:
            migrator.delete_source(report)
    if as_json:
        print_json(report.to_json())
    else:
        rate = report.rate / 1024**2
        console.print(
            f"{report.files_done}/{report.files_total} files in {report.target}: "
            f"{report.files_copied} copied ({report.bytes_copied} bytes, {rate:.1f} MiB/s), "
            f"{report.files_skipped} already verified, "
            f"{report.files_marked_missing} marked missing, {report.failed_count} failed",
            highlight=False,
        )
        for failure in report.failed[:SHOWN]:
            console.print(f"  [red]{failure['key']}[/red]: {failure['error']}", highlight=False)
        console.print(report.next_step, highlight=False)
    if not report.complete:
        raise typer.Exit(1)


@app.command()
def gc(as_json: bool = JSON_OPTION) -> None:
    """Retry file deletions that were queued while storage was unavailable."""
    from jwstdata.services.storage_check import collect_queued

    with open_root() as root:
        outcome = collect_queued(root.record_writer)
    if as_json:
        print_json(outcome)
    else:
        console.print(
            f"{outcome['removed']} deleted, {outcome['kept']} kept (in use again), "
            f"{outcome['failing']} still failing"
        )
    if outcome["failing"]:
        raise typer.Exit(1)
