"""Positions and radii as people type them: degrees or sexagesimal, radii with units.

``10h07m01.75s`` / ``10:07:01.75`` (RA in hours), ``-40d26m12.5s`` / ``-40:26:12.5``
(Dec in degrees), plain numbers in degrees; radii ``0.5arcmin``, ``30arcsec``,
``0.01deg`` (a plain number is degrees). Parsing is astropy's (``Angle``, ``Quantity``).
"""

from __future__ import annotations

import math
from typing import Any

from astropy import units as u
from astropy.coordinates import Angle


class CoordinateError(ValueError):
    """A position or radius that cannot be read; the message says which and why."""


def _plain(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise CoordinateError(f"{what} must be a finite number")
    return value


def parse_ra(value: Any) -> float:
    """Right ascension in degrees [0, 360)."""
    if isinstance(value, u.Quantity):
        degrees = float(value.to_value(u.deg))
    elif isinstance(value, int | float):
        degrees = float(value)
    else:
        text = str(value).strip()
        degrees = _plain(text)  # type: ignore[assignment]
        if degrees is None:
            # Sexagesimal RA is in hours unless a unit says otherwise (``10d07m``).
            unit = u.deg if "d" in text.lower() or "°" in text else u.hourangle
            try:
                degrees = float(Angle(text, unit=unit).to_value(u.deg))
            except (ValueError, u.UnitsError):
                raise CoordinateError(f"not a right ascension: {text!r}") from None
    degrees = _finite(degrees, "right ascension")
    if not -360.0 <= degrees <= 360.0:
        raise CoordinateError(f"right ascension {degrees} is out of range (0..360 degrees)")
    degrees %= 360.0
    return 0.0 if degrees >= 360.0 else degrees


def parse_dec(value: Any) -> float:
    """Declination in degrees [-90, 90]."""
    if isinstance(value, u.Quantity):
        degrees = float(value.to_value(u.deg))
    elif isinstance(value, int | float):
        degrees = float(value)
    else:
        text = str(value).strip()
        degrees = _plain(text)  # type: ignore[assignment]
        if degrees is None:
            try:
                degrees = float(Angle(text, unit=u.deg).to_value(u.deg))
            except (ValueError, u.UnitsError):
                raise CoordinateError(f"not a declination: {text!r}") from None
    degrees = _finite(degrees, "declination")
    if not -90.0 <= degrees <= 90.0:
        raise CoordinateError(f"declination {degrees} is out of range (-90..90 degrees)")
    return degrees


def parse_radius(value: Any) -> float:
    """A cone radius in degrees [0, 180]; text may carry a unit (``30arcsec``)."""
    if isinstance(value, u.Quantity):
        try:
            degrees = float(value.to_value(u.deg))
        except u.UnitsError:
            raise CoordinateError(f"radius {value} is not an angle") from None
    elif isinstance(value, int | float):
        degrees = float(value)
    else:
        text = str(value).strip()
        degrees = _plain(text)  # type: ignore[assignment]
        if degrees is None:
            try:
                degrees = float(u.Quantity(text).to_value(u.deg))
            except (ValueError, TypeError, u.UnitsError):
                raise CoordinateError(
                    f"not a radius: {text!r} (e.g. 0.01, 0.5arcmin, 30arcsec, 0.01deg)"
                ) from None
    degrees = _finite(degrees, "radius")
    if not 0.0 <= degrees <= 180.0:
        raise CoordinateError(f"radius {degrees} is out of range (0..180 degrees)")
    return degrees
