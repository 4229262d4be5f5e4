"""``jwstdata backup``: create, verify and restore backups of the database (and files)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from jwstdata.cli.common import JSON_OPTION, console, open_root, print_json

if TYPE_CHECKING:
    from jwstdata.services.backup_format import BackupProgress


app = typer.Typer(help="Back up, verify and restore the database and files.", no_args_is_help=True)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[BackupProgress | None]:
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        tasks: dict[str, object] = {}

        def update(phase: str, done: int, total: int | None) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)  # type: ignore[arg-type]

        yield update


@app.command()
def create(
    dest: Path = typer.Argument(..., help="A new (or empty) directory for the backup."),
    with_files: bool = typer.Option(
        False, "--with-files", help="Also copy every file the records point to."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Back up every collection (gzip BSON in _id order) with a manifest of checksums."""
    with open_root() as root, _progress(console.is_terminal and not as_json) as update:
        report = root.backup.create(dest, with_files=with_files, progress=update)
    summary = report.to_json()
    if as_json:
        print_json(summary)
        return
    console.print(
        f"backed up {summary['documents']} documents of {len(summary['collections'])} "
        f"collections ({summary['bsonBytes'] / 1e6:.1f} MB of BSON)"
        + (f" and {summary['files']} files" if with_files else "")
        + f" to {dest} in {summary['seconds']:.1f}s",
        highlight=False,
    )
    for item in summary["missingFiles"][:10]:
        console.print(f"  [yellow]record {item['id']}[/yellow] without file: {item['reason']}")


@app.command()
def verify(
    dest: Path = typer.Argument(..., help="A backup directory."), as_json: bool = JSON_OPTION
) -> None:
    """Re-read a backup and compare every count and checksum with its manifest."""
    from jwstdata.services.backup_format import verify_backup

    with _progress(console.is_terminal and not as_json) as update:
        report = verify_backup(dest, progress=update)
    if as_json:
        print_json(report.to_json())
    else:
        documents = sum(report.collections.values())
        state = "[green]ok[/green]" if report.ok else "[red]damaged[/red]"
        console.print(f"backup {dest}: {state}; {documents} documents, {report.files} files")
        for problem in report.problems[:20]:
            console.print(f"  [red]{problem}[/red]", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def restore(
    dest: Path = typer.Argument(..., help="A backup directory."),
    database_name: str | None = typer.Option(
        None, "--database", help="Restore into this database (default: JWSTDATA_DATABASE)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace a database that is not empty (drops its collections)."
    ),
    files: bool = typer.Option(
        True, "--files/--no-files", help="Also restore the backup's files into the storage."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Restore a backup into an empty database, verify it, then build the indexes."""
    with (
        open_root(database=database_name) as root,
        _progress(console.is_terminal and not as_json) as update,
    ):
        report = root.restore.restore(dest, force=force, files=files, progress=update)
    summary = report.to_json()
    if as_json:
        print_json(summary)
        return
    console.print(
        f"restored and verified {summary['documents']} documents into {report.database}"
        f" ({summary['documentsPerSecond']} documents/s); {summary['indexesCreated']} indexes; "
        f"files written {report.files_written}, already present {report.files_present}",
        highlight=False,
    )
    for failure in report.index_failures:
        console.print(f"[yellow]index not created[/yellow] {failure}", highlight=False)
    if report.pending_migrations:
        console.print(
            f"{len(report.pending_migrations)} migration(s) pending: run `jwstdata db migrate`"
        )
