"""The Python client's imaging calls against a real server: headers, cutouts, composites."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from jwstdata.client import Client
from jwstdata.errors import ValidationError
from jwstdata.root import Root
from jwstdata.services.jobs.registry import load_handlers
from tests import skyfield as sf
from tests.plugins.api_server import ApiServer


def test_header_cutout_and_composite(api_server: ApiServer, tmp_path) -> None:
    api_server.create_user("nbuser")
    paths = [
        sf.field_image(tmp_path, exposure="00021", filter="F150W", roll=30),
        sf.field_image(tmp_path, exposure="00022", filter="F356W", roll=150, shape=(80, 90)),
    ]
    with Client.login(api_server.url, "nbuser", "correct horse battery") as jw:
        ids = [jw.upload(path)["id"] for path in paths]
        header = jw.header(ids[0], "SCI")
        with fits.open(paths[0]) as hdul:
            expected = hdul["SCI"].header
            data = hdul["SCI"].data
        assert isinstance(header, fits.Header) and len(header) == len(expected)
        assert header["CRVAL1"] == expected["CRVAL1"] and header["CTYPE2"] == expected["CTYPE2"]
        with pytest.raises(ValidationError, match="no HDU"):
            jw.header(ids[0], "NOPE")

        ra, dec = sf.star_sky()[0]
        with jw.cutout(ids[0], ra, dec, 9, unit="pixel") as cut:
            sci = cut["SCI"]
            x0, y0 = sci.header["CUTX0"], sci.header["CUTY0"]
            np.testing.assert_array_equal(sci.data, data[y0 : y0 + 9, x0 : x0 + 9])
            x, y = WCS(sci.header).all_world2pix(ra, dec, 0)
            assert abs(float(x) - 4) <= 0.5 and abs(float(y) - 4) <= 0.5

        queued = jw.composite(ids, channels=[{"color": "#0000ff"}, {"color": "#ff0000"}])
        assert queued["state"] == "queued" and queued["kind"] == "composite"
        load_handlers()
        Root(api_server.settings, handle=api_server.handle).worker(kinds=["composite"]).run_once()
        job = jw.wait_for_job(queued["id"], timeout=30, interval=0.2)
        assert job["state"] == "completed"
        fits_output = job["result"]["outputs"][0]
        assert fits_output["format"] == "fits" and jw.get(fits_output["id"])["derivedFrom"] == ids
