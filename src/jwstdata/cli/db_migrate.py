"""``jwstdata db migrate``: apply pending schema migrations (registered on ``jwstdata db``)."""

from __future__ import annotations

import typer

from jwstdata.cli.common import JSON_OPTION, console, open_root, print_json


def migrate(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Only count the documents each migration would change."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Apply the ordered, idempotent schema migrations that have documents to change."""
    from jwstdata.db.migrations import MIGRATIONS, run_migrations

    with open_root() as root:
        report = run_migrations(root.handle, dry_run=dry_run)
    if as_json:
        print_json(report.to_json())
        return
    names = {m.number: m.name for m in MIGRATIONS}
    if not report.applied:
        console.print(
            f"nothing to migrate: all {len(MIGRATIONS)} migrations are applied "
            f"(record schema version {report.schema_version})"
        )
        return
    verb = "would change" if dry_run else "changed"
    for item in report.applied:
        console.print(
            f"{item['number']:>3} {names[item['number']]}: {verb} {item['changed']} document(s)"
        )
