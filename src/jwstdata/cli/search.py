"""``jwstdata search``: every search parameter of the model as an option."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.table import Table

from jwstdata.cli.common import cli_context, console, id_column, open_root, print_json
from jwstdata.cli.sky_options import sky_cells, sky_option
from jwstdata.errors import pydantic_to_validation_error
from jwstdata.models.enums import DataType, ProcessingLevel, ProcessingStatus
from jwstdata.models.search import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    DerivedFilter,
    SortField,
    SortOrder,
)
from jwstdata.models.search_params import search_parameter, search_query_from


def _option(name: str, default: Any = None, **extra: Any) -> Any:
    """The option of one search parameter: its names and help come from the model."""
    parameter = search_parameter(name)
    return typer.Option(default, *parameter.cli, help=parameter.help, **extra)


def _sky(name: Literal["ra", "dec", "radius"]) -> Any:
    return _option(name, callback=sky_option(name))


# Each parameter is named after its SearchQuery field (or switch), so the options are the
# model's parameters by name; tests/test_search_surfaces.py checks none is missing.
def search(
    text: str | None = _option("text"),
    data_type: list[DataType] = _option("data_type", []),
    processing_status: list[ProcessingStatus] = _option("processing_status", []),
    processing_level: list[ProcessingLevel] = _option("processing_level", []),
    tags: list[str] = _option("tags", []),
    any_tag: bool = _option("any_tag", False),
    observation_base_id: str | None = _option("observation_base_id"),
    exposure_id: str | None = _option("exposure_id"),
    parent_id: str | None = _option("parent_id"),
    instrument: list[str] = _option("instrument", []),
    filter: list[str] = _option("filter", []),
    target_name: str | None = _option("target_name"),
    proposal_id: str | None = _option("proposal_id"),
    observation_date_from: datetime | None = _option("observation_date_from"),
    observation_date_to: datetime | None = _option("observation_date_to"),
    upload_date_from: datetime | None = _option("upload_date_from"),
    upload_date_to: datetime | None = _option("upload_date_to"),
    file_format: list[str] = _option("file_format", []),
    program: list[str] = _option("program", []),
    target: list[str] = _option("target", []),
    detector: list[str] = _option("detector", []),
    exposure_type: list[str] = _option("exposure_type", []),
    is_public: bool | None = _option("is_public"),
    user_id: str | None = _option("user_id"),
    is_archived: bool = _option("is_archived", False),
    include_archived: bool = _option("include_archived", False),
    is_derived: DerivedFilter = _option("is_derived", DerivedFilter.false),
    sort: SortField = _option("sort", SortField.upload_date),
    order: SortOrder = _option("order", SortOrder.desc),
    limit: int = _option("limit", DEFAULT_PAGE_SIZE, min=1, max=MAX_PAGE_SIZE),
    cursor: str | None = _option("cursor"),
    ra: str | None = _sky("ra"),
    dec: str | None = _sky("dec"),
    radius: str | None = _sky("radius"),
    total: bool = typer.Option(False, "--total", help="Also count all matches."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_table: bool = typer.Option(False, "--table", help="Print a table (default)."),
) -> None:
    """Search records with filters; page with --cursor."""
    options = {k: v for k, v in locals().items() if k not in ("total", "as_json", "as_table")}
    try:
        query = search_query_from(options)
    except PydanticValidationError as exc:
        raise pydantic_to_validation_error(exc) from None
    with open_root() as root:
        page = root.records.search(query, cli_context(), with_total=total)
    if as_json:
        print_json(
            {
                "items": [r.to_json() for r in page.items],
                "nextCursor": page.next_cursor,
                "total": page.total,
            }
        )
        return
    table = Table(
        id_column(),
        "fileName",
        "level",
        "dataType",
        "instrument",
        "filter",
        "target",
        "ra",
        "dec",
        "uploaded",
    )
    for record in page.items:
        info = record.image_info
        ra, dec = sky_cells(record)
        table.add_row(
            str(record.id),
            record.file_name,
            record.processing_level.value,
            record.data_type.value,
            info.instrument if info else "",
            info.filter if info else "",
            info.target_name if info else "",
            ra,
            dec,
            record.upload_date.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)
    if page.total is not None:
        console.print(f"{page.total} matching records")
    if page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}", highlight=False)
