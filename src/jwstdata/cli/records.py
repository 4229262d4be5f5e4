"""``jwstdata records``: get and delete one record."""

from __future__ import annotations

import typer

from jwstdata.cli.common import JSON_OPTION, cli_context, console, open_root, print_json
from jwstdata.errors import NotFoundError
from jwstdata.models import parse_object_id

app = typer.Typer(help="Read and delete single records.", no_args_is_help=True)


def parse_record_id(text: str):
    oid = parse_object_id(text)
    if oid is None:
        raise NotFoundError(f"record {text} not found (ids are 24 hexadecimal characters)")
    return oid


@app.command()
def get(record_id: str, as_json: bool = JSON_OPTION) -> None:
    """Show one record."""
    with open_root() as root:
        record = root.records.get(parse_record_id(record_id), cli_context())
    if as_json:
        print_json(record.to_json())
    else:
        for key, value in record.to_json().items():
            if value not in (None, [], {}):
                console.print(f"[bold]{key}[/bold]: {value}", highlight=False)


@app.command()
def delete(
    record_id: str,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete one record and its stored file."""
    oid = parse_record_id(record_id)
    if not yes and not typer.confirm(f"Delete record {record_id}?"):
        raise typer.Exit(1)
    with open_root() as root:
        record = root.record_service.delete(oid, cli_context())
    console.print(f"deleted {record.id} ({record.file_name}) and its file")
