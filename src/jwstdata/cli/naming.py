"""``jwstdata naming parse``: what JWST file names say."""

from __future__ import annotations

import typer
from rich.table import Table

from jwstdata.cli.common import console, print_json
from jwstdata.naming import parse_name

app = typer.Typer(help="JWST file names.", no_args_is_help=True)


@app.command()
def parse(
    names: list[str] = typer.Argument(...), as_json: bool = typer.Option(False, "--json")
) -> None:
    """Parse file names into their parts, level and data type."""
    parsed = [parse_name(name).to_json() for name in names]
    if as_json:
        print_json(parsed)
        return
    table = Table(
        "fileName", "kind", "suffix", "level", "dataType", "exposureId", "observationBaseId"
    )
    for row in parsed:
        table.add_row(
            *(
                str(row[k] or "")
                for k in (
                    "fileName",
                    "kind",
                    "suffix",
                    "processingLevel",
                    "dataType",
                    "exposureId",
                    "observationBaseId",
                )
            )
        )
    console.print(table)
