"""Sky options of ``jwstdata search``: positions and radii as typed, RA/Dec columns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from jwstdata.models.record import JwstDataModel
from jwstdata.sky.coords import CoordinateError


def sky_option(parse: Callable[[Any], float]) -> Callable[[str | None], float | None]:
    """A typer callback: the option's text in degrees, or a usage error (exit 2)."""

    def callback(value: str | None) -> float | None:
        if value is None:
            return None
        try:
            return parse(value)
        except CoordinateError as exc:
            raise typer.BadParameter(str(exc)) from None

    return callback


def sky_cells(record: JwstDataModel) -> tuple[str, str]:
    """RA and Dec (degrees, 5 decimals: ~0.04 arcsec) of a record's footprint centre."""
    if record.sky is None:
        return "", ""
    return f"{record.sky.ra:.5f}", f"{record.sky.dec:+.5f}"
