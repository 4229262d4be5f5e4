"""``jwstdata search``: every data-layer filter as an option."""

from __future__ import annotations

from datetime import datetime

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.table import Table

from jwstdata.cli.common import cli_context, console, database, id_column, print_json
from jwstdata.cli.sky_options import sky_cells, sky_option
from jwstdata.errors import pydantic_to_validation_error
from jwstdata.models.enums import DataType, ProcessingLevel, ProcessingStatus
from jwstdata.models.search import (
    MAX_PAGE_SIZE,
    DerivedFilter,
    SearchQuery,
    SortField,
    SortOrder,
)


def search(
    text: str | None = typer.Option(
        None,
        "--text",
        "-q",
        help="Words in target, title, file name, filter, instrument or description; case, "
        "spaces, hyphens and underscores are ignored (NGC 3132 = ngc3132 = NGC-3132).",
    ),
    data_type: list[DataType] = typer.Option([], "--data-type", "-t"),
    status: list[ProcessingStatus] = typer.Option([], "--status"),
    level: list[ProcessingLevel] = typer.Option([], "--level"),
    tag: list[str] = typer.Option([], "--tag", help="Repeat for several tags."),
    any_tag: bool = typer.Option(False, "--any-tag", help="Match any tag instead of all."),
    observation: str | None = typer.Option(None, "--observation", help="observationBaseId"),
    exposure: str | None = typer.Option(None, "--exposure", help="exposureId"),
    parent: str | None = typer.Option(None, "--parent", help="parent record id"),
    instrument: list[str] = typer.Option([], "--instrument"),
    filter_: list[str] = typer.Option([], "--filter"),
    target: str | None = typer.Option(None, "--target", help="Target name prefix (any case)."),
    proposal: str | None = typer.Option(None, "--proposal"),
    observed_from: datetime | None = typer.Option(None, "--observed-from"),
    observed_to: datetime | None = typer.Option(None, "--observed-to"),
    uploaded_from: datetime | None = typer.Option(None, "--uploaded-from"),
    uploaded_to: datetime | None = typer.Option(None, "--uploaded-to"),
    file_format: list[str] = typer.Option([], "--format"),
    program: list[str] = typer.Option([], "--program", help="Program (proposalId)."),
    detector: list[str] = typer.Option([], "--detector", help="e.g. NRCA1, MIRIMAGE."),
    exposure_type: list[str] = typer.Option([], "--exposure-type", help="EXP_TYPE."),
    public: bool | None = typer.Option(None, "--public/--private"),
    owner: str | None = typer.Option(None, "--owner-id", help="userId of the owner"),
    archived: bool = typer.Option(False, "--archived", help="Only archived records."),
    include_archived: bool = typer.Option(False, "--include-archived"),
    derived: DerivedFilter = typer.Option(
        DerivedFilter.false,
        "--derived",
        help="Processing outputs (previews, thumbnails, ...): false (default), true, any.",
    ),
    sort: SortField = typer.Option(SortField.upload_date, "--sort"),
    order: SortOrder = typer.Option(SortOrder.desc, "--order"),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=MAX_PAGE_SIZE),
    cursor: str | None = typer.Option(None, "--cursor"),
    ra: str | None = typer.Option(
        None,
        "--ra",
        callback=sky_option("ra"),
        help="Cone centre RA: degrees or sexagesimal hours (10h07m01.75s, 10:07:01.75).",
    ),
    dec: str | None = typer.Option(
        None,
        "--dec",
        callback=sky_option("dec"),
        help="Cone centre Dec: degrees or sexagesimal (-40d26m12.5s, -40:26:12.5).",
    ),
    radius: str | None = typer.Option(
        None,
        "--radius",
        callback=sky_option("radius"),
        help="Cone radius: degrees or with a unit (0.5arcmin, 30arcsec, 0.01deg); "
        "omitted or 0: files covering the point.",
    ),
    total: bool = typer.Option(False, "--total", help="Also count all matches."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_table: bool = typer.Option(False, "--table", help="Print a table (default)."),
) -> None:
    """Search records with filters; page with --cursor."""
    from jwstdata.db import RecordRepository

    try:
        query = SearchQuery(
            text=text,
            data_type=data_type,
            processing_status=status,
            processing_level=level,
            tags=tag,
            tag_mode="any" if any_tag else "all",
            observation_base_id=observation,
            exposure_id=exposure,
            parent_id=parent,
            instrument=instrument,
            filter=filter_,
            target_name=target,
            proposal_id=proposal,
            observation_date_from=observed_from,
            observation_date_to=observed_to,
            upload_date_from=uploaded_from,
            upload_date_to=uploaded_to,
            file_format=file_format,
            program=program,
            detector=detector,
            exposure_type=exposure_type,
            is_public=public,
            user_id=owner,
            is_archived=None if include_archived else archived,
            is_derived=derived.as_query(),
            sort=sort,
            order=order,
            limit=limit,
            cursor=cursor,
            ra=ra,
            dec=dec,
            radius=radius,
        )
    except PydanticValidationError as exc:
        raise pydantic_to_validation_error(exc) from None
    with database() as handle:
        page = RecordRepository.for_database(handle).search(query, cli_context(), with_total=total)
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
