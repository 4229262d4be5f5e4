"""HEALPix cells (NESTED, ``cdshealpix``) that index footprints and select cone candidates.

A record stores, in one multikey array, the cells covering its footprint at the finest
order of :data:`ORDERS` where few cells do (at most :data:`MAX_CELLS`), as NUNIQ numbers
(``4 * 4**order + ipix``, unique across orders), and every ancestor of those cells at the
coarser orders, negated. A cone is looked up at the finest order ``q`` where it needs few
cells: those cells, plain and negated, match records indexed at ``q`` and the ancestors
at ``q`` of records indexed finer; the cone cells' own ancestors, plain, match records
indexed coarser (large footprints) whose cells hold the cone. One ``$in`` on one index
finds all three, and a small footprint is never found through a coarse ancestor it merely
shares with the cone (the sign keeps "indexed here" apart from "lies somewhere below").

Cells cover their shape generously (cdshealpix returns every cell that may overlap), so
the cells are a pre-filter; :func:`jwstdata.sky.geometry.cone_overlaps` is exact.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

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


def _ancestors(order: int, ipix: np.ndarray) -> dict[int, list[int]]:
    """NUNIQ of ``ipix`` (at ``order``) and of their ancestors, by order in ORDERS."""
    ipix = np.unique(np.asarray(ipix, dtype=np.int64))
    return {
        coarser: nuniq(coarser, np.unique(ipix >> (2 * (order - coarser))))
        for coarser in ORDERS
        if coarser <= order
    }


def _stored(order: int, ipix: np.ndarray) -> list[int]:
    """A record's values: its cells at ``order``, and their ancestors negated."""
    by_order = _ancestors(order, ipix)
    values = set(by_order.pop(order))
    for cells in by_order.values():
        values.update(-c for c in cells)
    return sorted(values)


def _looked_up(order: int, ipix: np.ndarray) -> list[int]:
    """A cone's values: its cells at ``order`` either way, their ancestors plain."""
    by_order = _ancestors(order, ipix)
    own = by_order.pop(order)
    values = {*own, *(-c for c in own)}
    for cells in by_order.values():
        values.update(cells)
    return sorted(values)


def _lonlat(ras: Sequence[float], decs: Sequence[float]) -> tuple[Longitude, Latitude]:
    return Longitude(list(ras), unit=u.deg), Latitude(list(decs), unit=u.deg)


def _extension() -> Any:
    """cdshealpix's compiled functions, called directly on radians where they are there.

    Every record write computes its cells, and the public functions spend ~15 times the
    search itself on building and re-validating astropy angles; the public API (below)
    stays the fallback should a cdshealpix release move or change these.
    """
    try:
        from cdshealpix import cdshealpix as ext
    except ImportError:  # pragma: no cover - depends on the installed release
        return None
    wanted = ("polygon_search", "cone_search", "lonlat_to_healpix")
    return ext if all(hasattr(ext, name) for name in wanted) else None


_EXT = _extension()


def _point_cells(ra: float, dec: float, order: int) -> np.ndarray:
    if _EXT is not None:
        with contextlib.suppress(TypeError, ValueError):
            ipix = np.empty(1, dtype=np.uint64)
            dx, dy = np.empty(1), np.empty(1)
            lon, lat = np.radians([ra % 360.0]), np.radians([dec])
            _EXT.lonlat_to_healpix(
                np.array([order], dtype=np.uint8), lon, lat, ipix, dx, dy, np.uint16(1)
            )
            return ipix.astype(np.int64)
    from cdshealpix.nested import lonlat_to_healpix

    lon, lat = _lonlat([ra], [dec])
    return np.asarray(lonlat_to_healpix(lon, lat, order), dtype=np.int64)


def _cone_cells(ra: float, dec: float, radius: float, order: int) -> np.ndarray:
    if radius <= 0:
        return _point_cells(ra, dec, order)
    if _EXT is not None:
        with contextlib.suppress(TypeError, ValueError):
            ipix, _, _ = _EXT.cone_search(
                np.uint8(order), np.uint8(2), np.float64(math.radians(ra % 360.0)),
                np.float64(math.radians(dec)), np.float64(math.radians(radius)), True,
            )  # fmt: skip
            return np.asarray(ipix, dtype=np.int64)
    from cdshealpix.nested import cone_search

    lon, lat = _lonlat([ra], [dec])
    ipix, _, _ = cone_search(lon[0], lat[0], radius * u.deg, order, flat=True)
    return np.asarray(ipix, dtype=np.int64)


def _polygon_cells(footprint: Sequence[Vertex], order: int) -> np.ndarray:
    if _EXT is not None:
        with contextlib.suppress(TypeError, ValueError):
            lon = np.radians([v[0] % 360.0 for v in footprint])
            lat = np.radians([v[1] for v in footprint])
            ipix, _, _ = _EXT.polygon_search(np.uint8(order), lon, lat, True)
            return np.asarray(ipix, dtype=np.int64)
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
    return list(_footprint_cells(ra, dec, radius, tuple(map(tuple, footprint or ()))))


@lru_cache(maxsize=4096)  # a write derives the cells of one footprint more than once
def _footprint_cells(
    ra: float, dec: float, radius: float, footprint: tuple[Vertex, ...]
) -> tuple[int, ...]:
    order = _order_for(radius)
    while True:
        if len(footprint) >= 3:
            ipix = _polygon_cells(footprint, order)
            if not len(ipix):  # never seen; a cell for the centre keeps the record findable
                ipix = _point_cells(ra, dec, order)
        else:
            ipix = _cone_cells(ra, dec, radius, order)
        if len(np.unique(ipix)) <= MAX_CELLS or order == ORDERS[0]:
            return tuple(_stored(order, ipix))
        order = ORDERS[ORDERS.index(order) - 1]


def cone_cells(ra: float, dec: float, radius: float) -> list[int]:
    """The cell values a cone query matches with ``$in``."""
    order = _order_for(radius)
    return _looked_up(order, _cone_cells(ra, dec, radius, order))
