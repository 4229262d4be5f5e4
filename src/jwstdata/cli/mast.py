"""``jwstdata mast``: search the MAST archive and list the products of observations.

    jwstdata mast search --target "NGC 3132" --radius 0.05 --instrument NIRCAM --json
    jwstdata mast search --program 2733 --calib-level 3 --public-only
    jwstdata mast products jw02733-o001_t001_nircam_clear-f444w --level L3 --json

The server is ``JWSTDATA_MAST_URL`` (default https://mast.stsci.edu); a token for
exclusive-access data comes from ``JWSTDATA_MAST_TOKEN`` or ``JWSTDATA_MAST_TOKEN_FILE``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.table import Table

from jwstdata.cli.common import console, id_column, open_root, print_json
from jwstdata.errors import ValidationError, pydantic_to_validation_error
from jwstdata.models.enums import ProcessingLevel

if TYPE_CHECKING:
    from jwstdata.mast import ObservationRow, ProductRow


app = typer.Typer(
    help="Search the MAST archive and list observation products.", no_args_is_help=True
)


def _invalid(exc: PydanticValidationError) -> ValidationError:
    return pydantic_to_validation_error(exc, default="query")


def _date(mjd: float | None) -> str:
    from jwstdata.mast.models import datetime_from_mjd

    return "" if mjd is None else datetime_from_mjd(mjd).strftime("%Y-%m-%d")


def _size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return str(size)  # pragma: no cover


def _print_rows(rows: list[Any], as_json: bool, table: Table, cells: Any) -> None:
    if as_json:
        print_json({"count": len(rows), "items": [r.to_row() for r in rows]})
        return
    for row in rows:
        table.add_row(*cells(row))
    console.print(table)
    console.print(f"{len(rows)} rows", highlight=False)


@app.command("search")
def search(
    target: str | None = typer.Option(None, "--target", help="Target name, resolved by MAST."),
    ra: float | None = typer.Option(None, "--ra", help="Right ascension, degrees (ICRS)."),
    dec: float | None = typer.Option(None, "--dec", help="Declination, degrees (ICRS)."),
    radius: float = typer.Option(0.2, "--radius", help="Cone radius, degrees."),
    obs_id: list[str] = typer.Option([], "--obs-id", help="MAST obs_id (one '*' allowed)."),
    program: list[str] = typer.Option([], "--program", help="Program (proposal) number."),
    instrument: list[str] = typer.Option([], "--instrument", help="NIRCAM, MIRI, NIRSPEC..."),
    filter_: list[str] = typer.Option([], "--filter", help="Filter name, e.g. F444W."),
    calib_level: list[int] = typer.Option([], "--calib-level", help="MAST calib_level 0-4."),
    product_type: list[str] = typer.Option(
        [], "--product-type", help="dataproduct_type: image, spectrum, cube..."
    ),
    date_from: datetime | None = typer.Option(None, "--from", help="Observed on or after."),
    date_to: datetime | None = typer.Option(None, "--to", help="Observed on or before."),
    public_only: bool = typer.Option(
        False, "--public-only", help="Only PUBLIC data already released."
    ),
    collection: str = typer.Option("JWST", "--collection", help="MAST obs_collection."),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Show at most N."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (MAST's columns)."),
    as_table: bool = typer.Option(False, "--table", help="Print a table (default)."),
) -> None:
    """Find observations by target, position, observation id or program."""
    from jwstdata.mast import ObservationQuery

    try:
        query = ObservationQuery(
            target=target, ra=ra, dec=dec, radius=radius, obs_ids=obs_id, programs=program,
            instruments=instrument, filters=filter_, calib_levels=calib_level,
            product_types=product_type, date_from=date_from, date_to=date_to,
            public_only=public_only, collection=collection,
        )  # fmt: skip
    except PydanticValidationError as exc:
        raise _invalid(exc) from None
    with open_root() as root:
        rows = root.mast.search.observations(query)
    rows = rows[:limit] if limit else rows
    table = Table(id_column("obs_id"), "instrument", "filters", "level", "target", "ra", "dec",
                  "start", "rights")  # fmt: skip

    def cells(row: ObservationRow) -> list[str]:
        return [
            row.obs_id,
            row.instrument_name or "",
            row.filters or "",
            "" if row.calib_level is None else str(row.calib_level),
            row.target_name or "",
            "" if row.s_ra is None else f"{row.s_ra:.5f}",
            "" if row.s_dec is None else f"{row.s_dec:.5f}",
            _date(row.t_min),
            row.data_rights or "",
        ]

    _print_rows(rows, as_json, table, cells)


@app.command("products")
def products(
    obs_ids: list[str] = typer.Argument(..., help="MAST obs_id(s) or numeric obsid(s)."),
    product_type: list[str] = typer.Option(
        [], "--type", help="productType to keep (default SCIENCE); repeat for several."
    ),
    auxiliary: bool = typer.Option(False, "--auxiliary", help="Also AUXILIARY (guide star...)."),
    previews: bool = typer.Option(False, "--previews", help="Also PREVIEW images."),
    asn: bool = typer.Option(True, "--asn/--no-asn", help="Keep association (_asn.json) files."),
    level: list[ProcessingLevel] = typer.Option([], "--level", help="L1, L2a, L2b, L3."),
    suffix: list[str] = typer.Option([], "--suffix", help="uncal, rate, cal, i2d..."),
    min_recommended: bool = typer.Option(
        False, "--min-recommended", help="Only 'Minimum Recommended Products'."
    ),
    public_only: bool = typer.Option(False, "--public-only", help="Only dataRights PUBLIC."),
    collection: str = typer.Option("JWST", "--collection", help="MAST obs_collection."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (MAST's columns)."),
    as_table: bool = typer.Option(False, "--table", help="Print a table (default)."),
) -> None:
    """List the product files of observations, filtered and de-duplicated."""
    from jwstdata.mast import ProductFilter

    try:
        spec = ProductFilter(
            product_types=product_type or ("SCIENCE",), include_asn=asn,
            include_auxiliary=auxiliary, include_previews=previews, levels=level,
            suffixes=suffix, min_recommended=min_recommended, public_only=public_only,
        )  # fmt: skip
    except PydanticValidationError as exc:
        raise _invalid(exc) from None
    with open_root() as root:
        rows = root.mast.products.for_observations(obs_ids, spec, collection=collection)
    table = Table("productFilename", "type", "subgroup", "level", "size", "rights")
    table.columns[0].overflow = "fold"

    def cells(row: ProductRow) -> list[str]:
        return [
            row.product_filename,
            row.product_type or "",
            row.product_sub_group_description or "",
            row.parsed.processing_level.value,
            _size(row.size),
            row.data_rights or "",
        ]

    _print_rows(rows, as_json, table, cells)
