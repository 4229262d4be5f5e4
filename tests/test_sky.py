"""Sky geometry: S_REGION, WCS corners, cone/polygon overlap at RA 0/360 and the poles,
the HEALPix cells that pre-filter cone searches, and positions/radii as typed."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from hypothesis import given, settings
from hypothesis import strategies as st

from jwstdata.fitsmeta import read_header_metadata
from jwstdata.models import JwstDataModel, SkySource
from jwstdata.sky import Cone, Polygon, RegionError, angular_distance, cone_overlaps
from jwstdata.sky.cells import cone_cells, footprint_cells
from jwstdata.sky.coords import CoordinateError, parse_dec, parse_ra, parse_radius
from jwstdata.sky.derive import sky_from_fields
from jwstdata.sky.geometry import circle_polygon, to_radec, unit_vector
from jwstdata.sky.region import parse_s_region
from tests import fitsfactory as ff

SEAM = [(359.99, -0.01), (0.01, -0.01), (0.01, 0.01), (359.99, 0.01)]
POLE = [(0.0, 89.9), (90.0, 89.9), (180.0, 89.9), (270.0, 89.9)]


# --- S_REGION ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "POLYGON ICRS 10.0 20.0 10.1 20.0 10.1 20.1 10.0 20.1",
        "POLYGON 10.0 20.0 10.1 20.0 10.1 20.1 10.0 20.1",
        "polygon icrs  10.0 20.0 10.1 20.0 10.1 20.1 10.0 20.1 10.0 20.0",  # closed ring
        "POLYGON J2000 10.0 20.0 10.1 20.0 10.1 20.1 10.0 20.1",
    ],
)
def test_polygon_variants_give_the_same_footprint(text: str) -> None:
    region = parse_s_region(text)
    assert region.footprint == [(10.0, 20.0), (10.1, 20.0), (10.1, 20.1), (10.0, 20.1)]
    assert region.ra == pytest.approx(10.05, abs=1e-3)
    assert region.dec == pytest.approx(20.05, abs=1e-3)
    # the radius reaches every vertex, and no further than the farthest
    distances = [angular_distance(region.ra, region.dec, *v) for v in region.footprint]
    assert region.radius == pytest.approx(max(distances))


def test_circle_and_several_polygons() -> None:
    circle = parse_s_region("CIRCLE ICRS 150.1 2.2 0.05")
    assert (circle.ra, circle.dec, circle.radius) == (150.1, 2.2, 0.05)
    assert len(circle.footprint) == 16  # a covering polygon for drawing and the index
    assert all(angular_distance(150.1, 2.2, *v) >= 0.05 for v in circle.footprint)

    union = parse_s_region(
        "UNION POLYGON ICRS 10.0 0.0 10.1 0.0 10.1 0.1 10.0 0.1 "
        "POLYGON ICRS 10.3 0.0 10.4 0.0 10.4 0.1 10.3 0.1"
    )
    # one polygon: the convex hull of both, so both modules (and the gap) are covered
    assert sorted(union.footprint) == [(10.0, 0.0), (10.0, 0.1), (10.4, 0.0), (10.4, 0.1)]
    assert union.ra == pytest.approx(10.2, abs=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "BOX ICRS 10 20 1 1",
        "POLYGON ICRS 10 20 11 20",
        "POLYGON ICRS 10 20 11 20 11 abc",
        "POLYGON GALACTIC 10 20 11 20 11 21",
        "POLYGON ICRS 10 95 11 20 11 21",
        "CIRCLE ICRS 10 20",
    ],
)
def test_unusable_regions_are_refused(text: str) -> None:
    with pytest.raises(RegionError):
        parse_s_region(text)


# --- overlap ---------------------------------------------------------------------------------
def test_the_ra_seam_is_not_an_edge() -> None:
    seam = parse_s_region("POLYGON ICRS " + " ".join(f"{a} {d}" for a, d in SEAM))
    assert seam.ra == pytest.approx(0.0, abs=1e-9) or seam.ra == pytest.approx(360.0)
    assert seam.radius == pytest.approx(0.01414, abs=1e-4)  # not ~180 degrees
    polygon = Polygon(SEAM)
    assert polygon.contains(0.0, 0.0) and polygon.contains(359.995, 0.005)
    assert polygon.contains(0.005, -0.005)
    assert not polygon.contains(180.0, 0.0) and not polygon.contains(0.02, 0.0)
    assert cone_overlaps(Cone(359.98, 0.0, 0.011), SEAM, 0, 0)
    assert cone_overlaps(Cone(0.02, 0.0, 0.011), SEAM, 0, 0)
    assert not cone_overlaps(Cone(0.03, 0.0, 0.011), SEAM, 0, 0)
    # the index agrees: the cells of both sides meet
    cells = set(footprint_cells(seam.ra, seam.dec, seam.radius, SEAM))
    assert cells & set(cone_cells(359.985, 0.0, 0.006))
    assert cells & set(cone_cells(0.015, 0.0, 0.006))


def test_a_footprint_around_the_pole() -> None:
    polygon = Polygon(POLE)
    assert polygon.centre[1] == pytest.approx(90.0)
    for ra in (0.0, 45.0, 123.4, 359.0):
        assert polygon.contains(ra, 89.95)
    assert polygon.contains(0.0, 90.0)
    assert not polygon.contains(10.0, 89.0)
    # from Dec 89.0 the nearest edge (between vertices 90 degrees apart) is ~0.9 degrees up
    assert not cone_overlaps(Cone(45.0, 89.0, 0.8), POLE, 0, 90)
    assert cone_overlaps(Cone(45.0, 89.0, 0.95), POLE, 0, 90)
    cells = set(footprint_cells(0.0, 90.0, polygon.radius, POLE))
    assert cells & set(cone_cells(200.0, 89.99, 0.0))


def test_ra_offsets_shrink_with_cos_dec() -> None:
    # At Dec 60 an RA offset of 0.02 degrees is 0.01 degrees on the sky.
    assert angular_distance(10.0, 60.0, 10.02, 60.0) == pytest.approx(0.01, rel=1e-3)
    assert cone_overlaps(Cone(10.02, 60.0, 0.0101), None, 10.0, 60.0)
    assert not cone_overlaps(Cone(10.02, 60.0, 0.0099), None, 10.0, 60.0)


def test_a_cone_that_only_crosses_an_edge_overlaps() -> None:
    # A long thin strip; the cone sits beside the middle of its long edge: no vertex is
    # in the cone and the cone's centre is outside the strip.
    strip = [(10.0, 0.0), (12.0, 0.0), (12.0, 0.01), (10.0, 0.01)]
    assert cone_overlaps(Cone(11.0, 0.02, 0.0101), strip, 11, 0.005)
    assert not cone_overlaps(Cone(11.0, 0.02, 0.0099), strip, 11, 0.005)
    assert cone_overlaps(Cone(11.0, 0.005, 0.0), strip, 11, 0.005)  # a point inside


def test_a_point_record_is_a_point() -> None:
    assert cone_overlaps(Cone(10.0, 20.0, 0.001), None, 10.0, 20.0005)
    assert not cone_overlaps(Cone(10.0, 20.0, 0.0), None, 10.0, 20.0005)


# The index never loses a record: whenever a cone truly overlaps a footprint, the cone's
# cells meet the footprint's cells (anywhere on the sky, the seam and poles included).
@settings(max_examples=150, deadline=None, derandomize=True)  # the same cases every run
@given(
    ra=st.floats(0, 359.999),
    dec=st.floats(-89.9, 89.9),
    size=st.sampled_from([0.0005, 0.01, 0.05, 0.3, 2.0, 12.0]),
    bearing=st.floats(0, 2 * math.pi),
    offset=st.floats(0, 1.5),
    cone_size=st.sampled_from([0.0, 0.001, 0.02, 0.5, 5.0]),
)
def test_cells_never_miss_an_overlap(
    ra: float, dec: float, size: float, bearing: float, offset: float, cone_size: float
) -> None:
    footprint = circle_polygon(ra, dec, size, sides=5)
    polygon = Polygon(footprint)
    centre = np.array(unit_vector(ra, dec))
    north = np.array(unit_vector(ra, dec + 90) if dec < 0 else unit_vector(ra + 180, 90 - dec))
    east = np.cross(north, centre)
    step = math.radians((size + cone_size) * offset)
    direction = math.cos(bearing) * north + math.sin(bearing) * east
    cra, cdec = to_radec(math.cos(step) * centre + math.sin(step) * direction)
    cone = Cone(cra, cdec, cone_size)
    if cone_overlaps(cone, footprint, *polygon.centre):
        stored = set(footprint_cells(*polygon.centre, polygon.radius, footprint))
        assert stored & set(cone_cells(cra, cdec, cone_size))


# --- footprints from headers ----------------------------------------------------------------
def _record_fields(path) -> tuple[dict, dict | None]:
    meta = read_header_metadata(path)
    info = meta.image_info.model_dump(by_alias=True) if meta.image_info else None
    return meta.metadata, info


def _edge_corners(header: fits.Header, nx: int, ny: int) -> list[tuple[float, float]]:
    wcs = WCS(header)
    return [tuple(map(float, c)) for c in wcs.calc_footprint(axes=(nx, ny), center=False)]


@pytest.mark.parametrize("product", ["i2d", "cal"])  # TAN, and TAN-SIP
def test_wcs_corners_are_the_four_pixel_edges(tmp_path, product: str) -> None:
    path = ff.write_product(
        tmp_path, product, ra=359.9995, dec=-1.0, shape=(64, 48), extras=False,
        sci={"S_REGION": None},
    )  # fmt: skip
    metadata, info = _record_fields(path)
    assert "s_region" not in metadata
    sky = sky_from_fields(metadata, info)
    assert sky is not None and sky.source is SkySource.wcs
    with fits.open(path) as hdus:
        expected = _edge_corners(hdus["SCI"].header, 48, 64)
    assert len(sky.footprint) == 4
    for era, edec in expected:  # every corner found (astropy lists them in another order)
        assert min(angular_distance(ra, dec, era % 360, edec) for ra, dec in sky.footprint) < 1e-8
    # the image straddles RA 0: vertices on both sides, the centre on the seam
    assert {ra > 180 for ra, _ in sky.footprint} == {True, False}
    assert angular_distance(sky.ra, sky.dec, 359.9995, -1.0) < 1e-4


def test_s_region_wins_and_target_is_the_last_resort(tmp_path) -> None:
    path = ff.write_product(tmp_path, "cal", extras=False, ra=151.76, dec=-40.44)
    sky = sky_from_fields(*_record_fields(path))
    assert sky is not None and sky.source is SkySource.s_region
    assert angular_distance(sky.ra, sky.dec, 151.76, -40.44) < 1e-3

    bare = ff.write_product(
        tmp_path / "bare_cal.fits", "cal", extras=False, wcs=False,
        sci={"S_REGION": None}, primary={"TARG_RA": 83.8, "TARG_DEC": -5.4},
    )  # fmt: skip
    point = sky_from_fields(*_record_fields(bare))
    assert point is not None and point.source is SkySource.target
    assert (point.ra, point.dec, point.radius, point.footprint) == (83.8, -5.4, 0.0, [])

    mast = sky_from_fields({"mast_s_region": "CIRCLE ICRS 83.8 -5.4 0.1"}, None)
    assert mast is not None and mast.source is SkySource.s_region and mast.radius == 0.1
    assert sky_from_fields({"targ_ra": "n/a"}, {"width": 10}) is None


def test_records_carry_the_sky_in_json() -> None:
    record = JwstDataModel.model_validate(
        {"fileName": "x.fits", "dataType": "image", "sky": {"ra": 1, "dec": 2, "source": "target"}}
    )
    assert record.to_json()["sky"] == {
        "ra": 1.0, "dec": 2.0, "radius": 0.0, "footprint": [], "source": "target",
    }  # fmt: skip
    with pytest.raises(ValueError):
        JwstDataModel.model_validate(
            {"fileName": "x", "dataType": "image", "sky": {"ra": 400, "dec": 2, "source": "wcs"}}
        )


# --- typed positions -----------------------------------------------------------------------
def test_positions_and_radii_as_typed() -> None:
    assert parse_ra("10h07m01.75s") == pytest.approx(151.757291667)
    assert parse_ra("10:07:01.75") == pytest.approx(151.757291667)
    assert parse_ra("151.75") == 151.75 and parse_ra(-1.0) == 359.0
    assert parse_dec("-40d26m12.5s") == pytest.approx(-40.436805556)
    assert parse_dec("-40:26:12.5") == pytest.approx(-40.436805556)
    assert parse_radius("0.5arcmin") == pytest.approx(0.5 / 60)
    assert parse_radius("30arcsec") == pytest.approx(30 / 3600)
    assert parse_radius("0.01deg") == pytest.approx(0.01)
    assert parse_radius("0") == 0.0
    for parse, bad in ((parse_ra, "abc"), (parse_dec, "95"), (parse_radius, "5kg"),
                       (parse_radius, "-1arcsec"), (parse_dec, "nan")):  # fmt: skip
        with pytest.raises(CoordinateError):
            parse(bad)


def test_the_fast_cell_path_agrees_with_cdshealpix_public_api(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cells come from cdshealpix's compiled functions where available; the public API
    (the fallback) must give the very same cells, so a changed release is caught here."""
    from jwstdata.sky import cells

    shapes = [
        (10.0, 20.0, 0.02, [(9.98, 19.98), (10.02, 19.98), (10.02, 20.02), (9.98, 20.02)]),
        (0.0, 0.0, 0.0142, SEAM),
        (0.0, 90.0, 0.1, POLE),
        (83.8, -5.4, 0.0, []),
        (200.0, -60.0, 3.0, circle_polygon(200.0, -60.0, 3.0)),
    ]
    fast = [cells.footprint_cells(*s) for s in shapes]
    fast_cones = [cells.cone_cells(ra, dec, r) for ra, dec, r, _ in shapes]
    assert cells._EXT is not None  # the installed release has them
    monkeypatch.setattr(cells, "_EXT", None)
    cells._footprint_cells.cache_clear()
    assert [cells.footprint_cells(*s) for s in shapes] == fast
    assert [cells.cone_cells(ra, dec, r) for ra, dec, r, _ in shapes] == fast_cones
    cells._footprint_cells.cache_clear()
