"""The coordinate grid where coordinates wrap: through RA 0h, and with a celestial pole in
view; every line stays on astropy's within 0.1 px."""

from __future__ import annotations

import math

import pytest
from astropy.wcs import WCS

from jwstdata.services.wcs_grid import Window, coordinate_grid
from tests import skyfield as sf


def _tan_wcs(ra: float, dec: float, scale_arcsec: float, roll: float = 0.0) -> WCS:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [200.5, 200.5]
    wcs.wcs.cdelt = [-scale_arcsec / 3600, scale_arcsec / 3600]
    angle = math.radians(roll)
    wcs.wcs.pc = [[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]
    wcs.wcs.set()
    return wcs


@pytest.mark.parametrize(
    ("ra", "dec", "scale", "expect_labels"),
    [(0.001, 10.0, 0.2, ("23h59m", "00h00m")), (40.0, 89.99, 0.3, ())],
    ids=["ra-wraps", "pole"],
)
def test_grid_where_coordinates_wrap(
    ra: float, dec: float, scale: float, expect_labels: tuple
) -> None:
    wcs = _tan_wcs(ra, dec, scale, roll=25)
    grid = coordinate_grid(wcs, Window(-0.5, -0.5, 399.5, 399.5))
    assert 4 <= len(grid["lines"]) <= 60
    for line in grid["lines"]:
        assert sf.grid_error(wcs, line) < 0.1, line["label"]
    labels = " ".join(line["label"] for line in grid["lines"] if line["axis"] == "ra")
    for text in expect_labels:
        assert text in labels, labels
