"""Sky geometry: footprints of files on the celestial sphere and cones that overlap them.

Pure functions (no database): parsing ``S_REGION`` (:mod:`.region`), the corners of a
WCS (:mod:`.wcs`), spherical polygons and cones (:mod:`.geometry`), the HEALPix cells that
index them (:mod:`.cells`), typed coordinates and radii (:mod:`.coords`), and a record's
footprint from its stored headers (:mod:`.derive`). Every angle is ICRS degrees.
"""

from jwstdata.sky.geometry import Cone, Polygon, angular_distance, cone_overlaps
from jwstdata.sky.region import RegionError, parse_s_region

__all__ = [
    "Cone",
    "Polygon",
    "RegionError",
    "angular_distance",
    "cone_overlaps",
    "parse_s_region",
]
