"""Sky options of ``jwstdata search``: positions and radii as typed, RA/Dec columns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import typer

from jwstdata.models.record import JwstDataModel


def sky_option(kind: Literal["ra", "dec", "radius"]) -> Callable[[str | None], float | None]:
    """A typer callback: the option's text in degrees, or a usage error (exit 2).

    The parsers (astropy) are imported when an option is given, not when the CLI starts.
    """

    def callback(value: str | None) -> float | None:
        if value is None:
            return None
        from jwstdata.sky import coords

        parse = {"ra": coords.parse_ra, "dec": coords.parse_dec, "radius": coords.parse_radius}
        try:
            return parse[kind](value)
        except coords.CoordinateError as exc:
            raise typer.BadParameter(str(exc)) from None

    return callback


def sky_cells(record: JwstDataModel) -> tuple[str, str]:
    """RA and Dec (degrees, 5 decimals: ~0.04 arcsec) of a record's footprint centre."""
    if record.sky is None:
        return "", ""
    return f"{record.sky.ra:.5f}", f"{record.sky.dec:+.5f}"
