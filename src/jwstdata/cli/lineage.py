"""``jwstdata lineage``: an observation by level, or the ancestry of one record."""

from __future__ import annotations

import typer

from jwstdata.cli.common import cli_context, console, open_root, print_json
from jwstdata.cli.records import parse_record_id
from jwstdata.errors import ValidationError


def lineage(
    observation_base_id: str | None = typer.Argument(None, help="e.g. jw02733-o001_t001_nircam"),
    of: str | None = typer.Option(None, "--of", help="Walk from this record id instead."),
    ancestors: bool = typer.Option(False, "--ancestors"),
    descendants: bool = typer.Option(False, "--descendants"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show the records of an observation by level with their links, or walk from a record."""
    if (observation_base_id is None) == (of is None):
        raise ValidationError("give an OBSERVATION_BASE_ID or --of RECORD_ID (one of them)")
    with open_root() as root:
        queries = root.lineage
        ctx = cli_context()
        if of is not None:
            if ancestors == descendants:
                raise ValidationError("with --of choose --ancestors or --descendants")
            record_id = parse_record_id(of)
            found = (
                queries.ancestors(record_id, ctx)
                if ancestors
                else queries.descendants(record_id, ctx)
            )
            result = {
                "record": str(record_id),
                "direction": "ancestors" if ancestors else "descendants",
                "records": [r.to_json() for r in found],
            }
            if as_json:
                print_json(result)
            else:
                for record in found:
                    console.print(
                        f"{record.processing_level.value:8} {record.id} {record.file_name}"
                    )
            return
        view = queries.observation(observation_base_id, ctx)
    if as_json:
        print_json(
            {
                "observationBaseId": view["observationBaseId"],
                "levels": {
                    level: [r.to_json() for r in records]
                    for level, records in view["levels"].items()
                },
                "edges": [[str(a), str(b)] for a, b in view["edges"]],
            }
        )
        return
    for level, records in view["levels"].items():
        if records:
            console.print(f"[bold]{level}[/bold] ({len(records)})")
            for record in records:
                console.print(f"  {record.id} {record.file_name}", highlight=False)
    console.print(f"{len(view['edges'])} links")
