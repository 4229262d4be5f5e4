"""``jwstdata naming parse``: what JWST file names say."""

from __future__ import annotations

import typer
from rich.table import Table

from jwstdata.cli.common import console, print_json
from jwstdata.naming import PIPELINE_VERSION, SUFFIX_TABLE, parse_name

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


@app.command()
def suffixes(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every suffix the JWST pipeline writes: level per name shape, data type, stage."""
    rows = [
        {
            "suffix": entry.suffix,
            "exposureLevel": entry.rule.exposure_level.value,
            "sourceLevel": entry.rule.source_level.value,
            "dataType": entry.rule.data_type.value,
            "viewable": entry.rule.viewable,
            "stage": entry.stage,
            "product": entry.product,
        }
        for entry in SUFFIX_TABLE
    ]
    if as_json:
        print_json({"pipeline": PIPELINE_VERSION, "suffixes": rows})
        return
    table = Table(*rows[0], title=f"suffixes of {PIPELINE_VERSION}")
    table.columns[0].no_wrap = True  # the suffix is an identifier: never cut
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    console.print(table)
