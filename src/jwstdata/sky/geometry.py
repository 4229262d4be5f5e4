"""Spherical polygons and cones: overlap tests that hold at RA 0/360, at the poles, anywhere.

Everything is done with unit vectors, so there is no RA wrap and no cos(dec) to forget.
A polygon's edges are great-circle arcs (as in S_REGION and between WCS corners). The
point-in-polygon test projects onto the gnomonic plane at the polygon's centre, where
great circles are straight lines, so the usual planar crossing test is exact there;
footprints are far smaller than a hemisphere, which that projection needs.
Hand-written because astropy has no spherical polygon type (regions/spherical_geometry
would be a heavy dependency for three small functions).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

Vertex = tuple[float, float]  # (ra, dec) in degrees
Vector = tuple[float, float, float]
# Plain floats, not numpy: these run on 3-vectors, one record at a time, where numpy's
# per-call overhead is many times the arithmetic.


def _cross(a: Sequence[float], b: Sequence[float]) -> Vector:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _norm(a: Sequence[float]) -> float:
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def _scaled(a: Sequence[float], k: float) -> Vector:
    return (a[0] * k, a[1] * k, a[2] * k)


def _plus(a: Sequence[float], b: Sequence[float]) -> Vector:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _unit(a: Sequence[float]) -> Vector:
    return _scaled(a, 1.0 / _norm(a))


def unit_vector(ra: float, dec: float) -> Vector:
    a, d = math.radians(ra), math.radians(dec)
    return (math.cos(d) * math.cos(a), math.cos(d) * math.sin(a), math.sin(d))


def to_radec(vector: Sequence[float]) -> Vertex:
    x, y, z = _unit(vector)
    ra = math.degrees(math.atan2(y, x)) % 360.0
    return (0.0 if ra >= 360.0 else ra), math.degrees(math.asin(max(-1.0, min(1.0, z))))


def _angle(a: Sequence[float], b: Sequence[float]) -> float:
    """Angle between unit vectors in degrees (atan2: accurate for tiny and large angles)."""
    return math.degrees(math.atan2(_norm(_cross(a, b)), _dot(a, b)))


def angular_distance(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    return _angle(unit_vector(ra1, dec1), unit_vector(ra2, dec2))


def normalise_ra(ra: float) -> float:
    ra = ra % 360.0
    return 0.0 if ra >= 360.0 else ra


@dataclass(frozen=True)
class Cone:
    ra: float
    dec: float
    radius: float  # degrees; 0 is a point

    @property
    def vector(self) -> Vector:
        return unit_vector(self.ra, self.dec)


class Polygon:
    """A spherical polygon (vertices in order, not closed: the last joins the first)."""

    def __init__(self, vertices: Sequence[Vertex]) -> None:
        if len(vertices) < 3:
            raise ValueError("a polygon needs at least 3 vertices")
        self.vertices = [(normalise_ra(ra), float(dec)) for ra, dec in vertices]
        self.vectors = [unit_vector(ra, dec) for ra, dec in self.vertices]
        total = (
            sum(v[0] for v in self.vectors),
            sum(v[1] for v in self.vectors),
            sum(v[2] for v in self.vectors),
        )
        if _norm(total) < 1e-12:
            raise ValueError("polygon vertices surround no single centre")
        self.centre_vector = _unit(total)

    @property
    def centre(self) -> Vertex:
        return to_radec(self.centre_vector)

    @property
    def radius(self) -> float:
        """Largest distance from the centre to a vertex: the circle that holds the polygon."""
        return max(_angle(self.centre_vector, v) for v in self.vectors)

    def edges(self) -> list[tuple[Vector, Vector]]:
        vs = self.vectors
        return [(vs[i], vs[(i + 1) % len(vs)]) for i in range(len(vs))]

    @cached_property
    def _basis(self) -> tuple[Vector, Vector]:
        c = self.centre_vector
        east = _cross((0.0, 0.0, 1.0), c)
        if _norm(east) < 1e-12:  # centre at a pole: any orthogonal basis will do
            east = (1.0, 0.0, 0.0)
        east = _unit(east)
        return east, _cross(c, east)

    def _projected(self, vector: Sequence[float]) -> tuple[float, float] | None:
        """Gnomonic (tangent-plane) coordinates at the centre; None on the far hemisphere."""
        cosine = _dot(vector, self.centre_vector)
        if cosine <= 1e-12:
            return None
        east, north = self._basis
        return _dot(vector, east) / cosine, _dot(vector, north) / cosine

    def contains(self, ra: float, dec: float) -> bool:
        point = self._projected(unit_vector(ra, dec))
        if point is None:
            return False
        corners = [self._projected(v) for v in self.vectors]
        if any(c is None for c in corners):  # wider than a hemisphere: not a footprint
            return False
        x, y = point
        inside = False
        for (x1, y1), (x2, y2) in zip(corners, corners[1:] + corners[:1], strict=True):  # type: ignore[misc]
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside


def distance_to_arc(point: Vector, a: Vector, b: Vector) -> float:
    """Smallest angle (degrees) from ``point`` to the great-circle arc from ``a`` to ``b``."""
    normal = _cross(a, b)
    length = _norm(normal)
    if length < 1e-15:  # a degenerate edge: a point
        return _angle(point, a)
    normal = _scaled(normal, 1.0 / length)
    foot = _plus(point, _scaled(normal, -_dot(point, normal)))
    if _norm(foot) > 1e-15:
        foot = _unit(foot)
        # The foot lies on the arc when it is between a and b as seen along the normal.
        if _dot(_cross(a, foot), normal) >= 0 and _dot(_cross(foot, b), normal) >= 0:
            return _angle(point, foot)
    return min(_angle(point, a), _angle(point, b))


def cone_overlaps(
    cone: Cone, footprint: Sequence[Vertex] | None, ra: float, dec: float, radius: float = 0.0
) -> bool:
    """Whether ``cone`` overlaps a record's sky: its polygon ``footprint`` when it has
    one, else the circle of ``radius`` around (``ra``, ``dec``) (a point for 0)."""
    if footprint and len(footprint) >= 3:
        try:
            polygon = Polygon(footprint)
        except ValueError:
            polygon = None
        if polygon is not None:
            return polygon_overlaps(polygon, cone)
    return angular_distance(cone.ra, cone.dec, ra, dec) <= cone.radius + radius + 1e-12


def polygon_overlaps(polygon: Polygon, cone: Cone) -> bool:
    centre = cone.vector
    # Cheap rejection first: the circle holding the polygon is out of reach.
    if _angle(centre, polygon.centre_vector) > polygon.radius + cone.radius + 1e-9:
        return False
    if polygon.contains(cone.ra, cone.dec):
        return True
    limit = cone.radius + 1e-12
    return any(distance_to_arc(centre, a, b) <= limit for a, b in polygon.edges())


def convex_hull(points: Sequence[Vertex]) -> list[Vertex]:
    """The convex hull (counter-clockwise on the sky) of points that fit in a hemisphere,
    taken in the gnomonic plane at their centre (straight lines there are great circles)."""
    from scipy.spatial import ConvexHull, QhullError

    unique = list(dict.fromkeys((round(ra, 10), round(dec, 10)) for ra, dec in points))
    if len(unique) < 3:
        return unique
    tangent = Polygon(unique)
    plane = [tangent._projected(unit_vector(ra, dec)) for ra, dec in unique]
    if any(p is None for p in plane):
        raise ValueError("points span more than a hemisphere")
    try:
        hull = ConvexHull(plane)
    except QhullError:  # collinear points: keep them as they are
        return unique
    return [unique[i] for i in hull.vertices]


def circle_polygon(ra: float, dec: float, radius: float, sides: int = 16) -> list[Vertex]:
    """A polygon around a circle (vertices just outside it, so it covers the circle)."""
    centre = unit_vector(ra, dec)
    east = _cross((0.0, 0.0, 1.0), centre)
    if _norm(east) < 1e-12:
        east = (1.0, 0.0, 0.0)
    east = _unit(east)
    north = _cross(centre, east)
    reach = math.radians(radius) / math.cos(math.pi / sides)
    vertices = []
    for k in range(sides):
        theta = 2 * math.pi * k / sides
        direction = _plus(_scaled(east, math.cos(theta)), _scaled(north, math.sin(theta)))
        point = _plus(_scaled(centre, math.cos(reach)), _scaled(direction, math.sin(reach)))
        vertices.append(to_radec(point))
    return vertices
