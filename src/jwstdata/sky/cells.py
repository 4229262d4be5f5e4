"""HEALPix cells (NESTED, ``cdshealpix``) that index footprints and select cone candidates.

A record stores, in one multikey array, the cells covering its footprint at the finest
order of :data:`ORDERS` where few cells do (at most :data:`MAX_CELLS`), plus every
ancestor of those cells at the coarser orders. A cone is looked up at the finest order
where it needs few cells, plus those cells' ancestors: a record indexed at a finer order
holds the cone's cell itself as an ancestor, a record indexed at a coarser order holds one
of the cone cells' ancestors, so one ``$in`` on one index finds both. Cells are stored as
NUNIQ numbers (``4 * 4**order + ipix``), unique across orders.

Cells cover their shape generously (cdshealpix returns every cell that may overlap), so
the cells are a pre-filter; :func:`jwstdata.sky.geometry.cone_overlaps` is exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from astropy import units as u
from astropy.coordinates import Latitude, Longitude

from jwstdata.sky.geometry import Vertex

ORDERS = (3, 5, 7, 9, 11)  # cells ~7.3 deg, 1.8 deg, 27', 6.9', 1.7' across
MAX_CELLS = 32
FIELD = "_skyCells"


def cell_width(order: int) -> float:
    """Approximate width of a cell in degrees (square root of its area)."""
    return math.degrees(math.sqrt(4 * math.pi / (12 * 4**order)))


def nuniq(order: int, ipix: np.ndarray) -> list[int]:
    return [int(4 * 4**order + p) for p in np.asarray(ipix, dtype=np.int64)]


def _with_ancestors(order: int, ipix: np.ndarray) -> list[int]:
    values: set[int] = set()
    ipix = np.unique(np.asarray(ipix, dtype=np.int64))
    for coarser in ORDERS:
        if coarser > order:
            break
        values.update(nuniq(coarser, np.unique(ipix >> (2 * (order - coarser)))))
    return sorted(values)


def _lonlat(ras: Sequence[float], decs: Sequence[float]) -> tuple[Longitude, Latitude]:
    return Longitude(list(ras), unit=u.deg), Latitude(list(decs), unit=u.deg)


def _point_cells(ra: float, dec: float, order: int) -> np.ndarray:
    from cdshealpix.nested import lonlat_to_healpix

    lon, lat = _lonlat([ra], [dec])
    return np.asarray(lonlat_to_healpix(lon, lat, order), dtype=np.int64)


def _cone_cells(ra: float, dec: float, radius: float, order: int) -> np.ndarray:
    if radius <= 0:
        return _point_cells(ra, dec, order)
    from cdshealpix.nested import cone_search

    lon, lat = _lonlat([ra], [dec])
    ipix, _, _ = cone_search(lon[0], lat[0], radius * u.deg, order, flat=True)
    return np.asarray(ipix, dtype=np.int64)


def _polygon_cells(footprint: Sequence[Vertex], order: int) -> np.ndarray:
    from cdshealpix.nested import polygon_search

    lon, lat = _lonlat([v[0] for v in footprint], [v[1] for v in footprint])
    ipix, _, _ = polygon_search(lon, lat, order, flat=True)
    return np.asarray(ipix, dtype=np.int64)


def _order_for(radius: float) -> int:
    """The finest order at which a shape of this radius needs only a few cells."""
    for order in reversed(ORDERS):
        if 2 * radius <= 4 * cell_width(order):
            return order
    return ORDERS[0]


def footprint_cells(
    ra: float, dec: float, radius: float, footprint: Sequence[Vertex] | None
) -> list[int]:
    """The cells to store for a record's sky (see the module docstring)."""
    order = _order_for(radius)
    while True:
        if footprint and len(footprint) >= 3:
            ipix = _polygon_cells(footprint, order)
            # A tiny polygon may fall between cdshealpix's sample points: add its centre.
            ipix = np.concatenate([ipix, _point_cells(ra, dec, order)])
        else:
            ipix = _cone_cells(ra, dec, radius, order)
        if len(np.unique(ipix)) <= MAX_CELLS or order == ORDERS[0]:
            return _with_ancestors(order, ipix)
        order = ORDERS[ORDERS.index(order) - 1]


def cone_cells(ra: float, dec: float, radius: float) -> list[int]:
    """The cell values a cone query matches with ``$in``."""
    order = _order_for(radius)
    return _with_ancestors(order, _cone_cells(ra, dec, radius, order))
