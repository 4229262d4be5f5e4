"""Any ECSV catalogue with sky positions, placed on the image through its WCS.

:func:`catalogue_overlay` reads the text with astropy (``ascii.ecsv``), finds the position
columns and converts them to pixels with the image's celestial WCS (astropy, SIP included;
positions in another frame than the image's are transformed). The columns are found:

1. a ``SkyCoord`` column (photutils' ``sky_centroid``, for example);
2. by name, case-insensitively: ``ra``/``dec``, ``RAJ2000``/``DEJ2000``, ``RA_ICRS``/
   ``DE_ICRS``, ``ra_deg``/``dec_deg``, ``alpha_j2000``/``delta_j2000`` ...;
3. by unit: a column in ``hourangle`` is RA; otherwise exactly two angle columns, in order.

Unitless numbers are degrees. A table without such columns is a 422 naming its columns.
A label comes from a ``name``/``id``-like column, else the first text column.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
from astropy.wcs.utils import wcs_to_celestial_frame

from jwstdata.errors import ValidationError

MAX_POINTS = 20_000
_NAMES = (
    ("ra", "dec"),
    ("raj2000", "dej2000"),
    ("raj2000", "decj2000"),
    ("_raj2000", "_dej2000"),
    ("ra_icrs", "de_icrs"),
    ("ra_icrs", "dec_icrs"),
    ("ra_deg", "dec_deg"),
    ("radeg", "decdeg"),
    ("ra2000", "dec2000"),
    ("alpha_j2000", "delta_j2000"),
    ("alpha", "delta"),
    ("right_ascension", "declination"),
)
_LABELS = ("name", "id", "source_id", "label", "designation", "object", "main_id")


def read_catalogue(text: str) -> Table:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        try:
            return Table.read(text, format="ascii.ecsv")
        except Exception as exc:  # astropy raises many kinds for a malformed table
            raise ValidationError(
                f"the catalogue is not a readable ECSV table: {str(exc)[:300]}",
                details=[{"field": "ecsv", "message": "not ECSV"}],
            ) from None


def _is_angle(column: Any) -> bool:
    unit = getattr(column, "unit", None)
    return unit is not None and unit.physical_type == "angle"


def _degrees(column: Any) -> np.ndarray:
    """Values in degrees (unitless: degrees already); masked entries become NaN."""
    values = np.ma.filled(np.ma.asarray(np.asarray(column, dtype=float)), np.nan)
    if hasattr(column, "mask") and np.any(column.mask):
        values = np.where(np.asarray(column.mask), np.nan, values)
    unit = getattr(column, "unit", None)
    factor = 1.0 if unit is None else (1.0 * unit).to_value(u.deg)
    return values * factor


def _no_columns(table: Table) -> ValidationError:
    names = ", ".join(table.colnames[:30]) or "none"
    return ValidationError(
        "the catalogue has no sky position columns: looked for a SkyCoord column, RA/Dec "
        f"by name (ra/dec, RAJ2000/DEJ2000, ...) or by angle unit; its columns are {names}",
        details=[{"field": "ecsv", "message": "no RA/Dec columns"}],
    )


def sky_positions(table: Table) -> tuple[SkyCoord, str, str]:
    """The table's positions and the names of the columns they came from."""
    for name in table.colnames:
        if isinstance(table[name], SkyCoord):
            return table[name], name, name
    lowered = {name.lower(): name for name in table.colnames}
    for ra_name, dec_name in _NAMES:
        if ra_name in lowered and dec_name in lowered:
            ra, dec = table[lowered[ra_name]], table[lowered[dec_name]]
            if ra.dtype.kind in "fiu" and dec.dtype.kind in "fiu":
                return _coords(ra, dec), ra.name, dec.name
    angles = [table[name] for name in table.colnames if _is_angle(table[name])]
    hours = [c for c in angles if c.unit == u.hourangle]
    if len(hours) == 1 and len(angles) == 2:
        other = angles[1] if angles[0] is hours[0] else angles[0]
        return _coords(hours[0], other), hours[0].name, other.name
    if len(angles) == 2:
        return _coords(angles[0], angles[1]), angles[0].name, angles[1].name
    raise _no_columns(table)


def _coords(ra: Any, dec: Any) -> SkyCoord:
    return SkyCoord(_degrees(ra) * u.deg, _degrees(dec) * u.deg, frame="icrs")


def _label_column(table: Table, used: set[str]) -> str | None:
    lowered = {name.lower(): name for name in table.colnames if name not in used}
    for name in _LABELS:
        if name in lowered:
            return lowered[name]
    for name in table.colnames:
        if name not in used and getattr(table[name], "dtype", np.dtype(float)).kind in "SU":
            return name
    return None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def catalogue_overlay(wcs: WCS, shape: tuple[int, int], text: str) -> dict[str, Any]:
    """``{"rows", "shown", "raColumn", "decColumn", "labelColumn", "points": [...]}``."""
    table = read_catalogue(text)
    coords, ra_name, dec_name = sky_positions(table)
    label_name = _label_column(table, {ra_name, dec_name})
    shown = min(len(table), MAX_POINTS)
    coords = coords[:shown]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        frame = wcs_to_celestial_frame(wcs)
        native = coords.transform_to(frame)
        lon = native.spherical.lon.deg
        lat = native.spherical.lat.deg
        x, y = wcs.all_world2pix(lon, lat, 0, quiet=True)
    icrs = coords.icrs
    ny, nx = shape
    points = []
    for i in range(shown):
        px, py = float(x[i]), float(y[i])
        if not (math.isfinite(px) and math.isfinite(py)):
            continue
        points.append({
            "x": px,
            "y": py,
            "ra": _finite(float(icrs.ra.deg[i])),
            "dec": _finite(float(icrs.dec.deg[i])),
            "label": str(table[label_name][i]) if label_name else None,
            "inside": bool(-0.5 <= px < nx - 0.5 and -0.5 <= py < ny - 0.5),
        })  # fmt: skip
    return {
        "rows": len(table),
        "shown": len(points),
        "inside": sum(p["inside"] for p in points),
        "raColumn": ra_name,
        "decColumn": dec_name,
        "labelColumn": label_name,
        "points": points,
    }
