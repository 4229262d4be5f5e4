"""``S_REGION`` (an STC-S string) as a footprint: ``POLYGON`` and ``CIRCLE``.

JWST writes ``POLYGON ICRS ra1 dec1 ra2 dec2 ...`` in the SCI header and MAST serves the
same in ``s_region``; MAST also uses ``CIRCLE ICRS ra dec r`` and, for mosaics, several
polygons in one string (``POLYGON ... POLYGON ...``, sometimes after ``UNION``). Several
polygons become their convex hull: one polygon per record, a little larger than the union
(a cone in a gap between them matches; nothing inside them is missed). Hand-written: the
grammar used is a handful of tokens, and astropy-regions does not read STC-S.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from jwstdata.sky.geometry import Polygon, Vertex, circle_polygon, convex_hull, normalise_ra

# FK5/J2000 differ from ICRS by ~20 mas: far below any footprint's size.
_FRAMES = {"ICRS", "FK5", "J2000", "GEOCENTER", "BARYCENTER", "TOPOCENTER", "UNKNOWNFRAME"}
_SHAPES = {"POLYGON", "CIRCLE"}
_IGNORED = {"UNION", "(", ")"}
MAX_VERTICES = 64


class RegionError(ValueError):
    """An ``S_REGION`` this module cannot turn into a footprint."""


@dataclass(frozen=True)
class Region:
    ra: float
    dec: float
    radius: float
    footprint: list[Vertex]


def _number(token: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise RegionError(f"not a number in S_REGION: {token!r}") from None
    if not math.isfinite(value):
        raise RegionError("S_REGION holds a non-finite number")
    return value


def _shapes(text: str) -> list[tuple[str, list[float]]]:
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()
    shapes: list[tuple[str, list[float]]] = []
    for token in tokens:
        word = token.upper()
        if word in _SHAPES:
            shapes.append((word, []))
        elif word in _FRAMES or word in _IGNORED:
            continue
        elif not shapes:
            raise RegionError(f"unsupported S_REGION shape {token!r}")
        elif token[0].isalpha():
            raise RegionError(f"unsupported S_REGION frame or keyword {token!r}")
        else:
            shapes[-1][1].append(_number(token))
    if not shapes:
        raise RegionError("empty S_REGION")
    return shapes


def _check(ra: float, dec: float) -> Vertex:
    if not -90.0 <= dec <= 90.0:
        raise RegionError(f"declination {dec} out of range in S_REGION")
    return normalise_ra(ra), dec


def parse_s_region(text: str) -> Region:
    """The footprint of an ``S_REGION``; :class:`RegionError` when it is not usable."""
    vertices: list[Vertex] = []
    circles: list[tuple[float, float, float]] = []
    for shape, numbers in _shapes(text):
        if shape == "CIRCLE":
            if len(numbers) != 3 or numbers[2] < 0:
                raise RegionError("CIRCLE needs ra, dec and a radius >= 0")
            circles.append((*_check(numbers[0], numbers[1]), numbers[2]))
            continue
        if len(numbers) % 2 or len(numbers) < 6:
            raise RegionError("POLYGON needs at least 3 (ra, dec) pairs")
        pairs = [_check(numbers[i], numbers[i + 1]) for i in range(0, len(numbers), 2)]
        if len(pairs) > 3 and pairs[0] == pairs[-1]:  # a closed ring: drop the repeat
            pairs = pairs[:-1]
        vertices += pairs
    if circles and not vertices and len(circles) == 1:
        ra, dec, radius = circles[0]
        return Region(ra, dec, radius, circle_polygon(ra, dec, radius) if radius > 0 else [])
    for ra, dec, radius in circles:
        vertices += circle_polygon(ra, dec, radius, sides=8) if radius > 0 else [(ra, dec)]
    try:
        many = len(_shapes(text)) > 1
        if many or len(vertices) > MAX_VERTICES:
            vertices = convex_hull(vertices)
        if len(vertices) < 3:
            raise RegionError("S_REGION polygon has fewer than 3 distinct vertices")
        polygon = Polygon(vertices)
    except RegionError:
        raise
    except ValueError as exc:
        raise RegionError(f"S_REGION is not a footprint: {exc}") from None
    if polygon.radius >= 90.0:
        raise RegionError("S_REGION covers more than a hemisphere")
    ra, dec = polygon.centre
    return Region(ra, dec, polygon.radius, polygon.vertices)
