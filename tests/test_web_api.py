"""The API the dashboard's scripts use: pixels, spectra, and cookie sessions with CSRF."""

from __future__ import annotations

import re
from typing import Any

import httpx
import numpy as np
import pytest
from astropy.io import fits

from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer, decode_pixels

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def owned(api_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    api_server.create_user("owner")
    api_server.create_user("other")
    folder = tmp_path_factory.mktemp("pixels")
    image = ff.stars((100, 90), [(20, 30, 5e4)], background=1.0)
    files = {
        "cal": ff.write_product(folder, "cal", data=image, extras=False),
        "uncal": ff.write_product(folder, "uncal", extras=False),
        "x1d": ff.write_product(folder, "x1d", instrument="NIRSPEC", extras=False, nrows=300),
    }
    notes = folder / "notes.json"
    notes.write_text('{"a": 1}')
    files["json"] = notes
    token = api_server.token("owner")
    records = api_server.upload_all(token, files)
    return {"token": token, "files": files, "records": records}


def test_pixels_are_block_means_with_the_wcs(api_server: ApiServer, owned: dict) -> None:
    record = owned["records"]["cal"]
    with api_server.client(owned["token"]) as client:
        response = client.get(f"/api/data/{record['id']}/pixels", params={"max": 32})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.jwstdata.pixels"
    header, data = decode_pixels(response.content)
    assert header["factor"] == 4 and (header["height"], header["width"]) == (25, 23)
    assert (header["sourceHeight"], header["sourceWidth"]) == (100, 90)
    assert header["extension"] == "SCI" and header["unit"] == "MJy/sr"
    with fits.open(owned["files"]["cal"]) as hdul:
        source = hdul["SCI"].data.astype(np.float64)
        wcs_header = hdul["SCI"].header
    assert data[2, 3] == pytest.approx(source[8:12, 12:16].mean(), rel=1e-5)
    assert data[24, 22] == pytest.approx(source[96:100, 88:90].mean(), rel=1e-5)  # edge block
    assert header["wcs"]["CTYPE1"] == "RA---TAN-SIP"
    assert header["wcs"]["CRPIX1"] == wcs_header["CRPIX1"] and "A_2_0" in header["wcs"]


def test_pixels_scale_integers_and_pick_a_plane(api_server: ApiServer, owned: dict) -> None:
    record = owned["records"]["uncal"]
    with api_server.client(owned["token"]) as client:
        response = client.get(f"/api/data/{record['id']}/pixels")
    header, data = decode_pixels(response.content)
    assert header["plane"] == [0, 3] and header["factor"] == 1
    with fits.open(owned["files"]["uncal"]) as hdul:
        last_group = hdul["SCI"].data[0, 3].astype(np.float64)  # BZERO applied by astropy
    np.testing.assert_allclose(data, last_group, rtol=1e-6)


def test_pixels_answer_304_to_their_etag(api_server: ApiServer, owned: dict) -> None:
    url = f"/api/data/{owned['records']['cal']['id']}/pixels"
    with api_server.client(owned["token"]) as client:
        etag = client.get(url).headers["ETag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_pixels_and_spectra_follow_the_access_rules(api_server: ApiServer, owned: dict) -> None:
    record_id = owned["records"]["cal"]["id"]
    other = api_server.token("other")
    for token in (other, None):
        with api_server.client(token) as client:
            for path in ("pixels", "spectrum"):
                response = client.get(f"/api/data/{record_id}/{path}")
                assert response.status_code == 404
                assert response.json()["error"]["code"] == "not_found"
    with api_server.client(owned["token"]) as client:
        assert client.patch(f"/api/data/{record_id}", json={"isPublic": True}).status_code == 200
    with api_server.client(None) as client:
        assert client.get(f"/api/data/{record_id}/pixels").status_code == 200
    with api_server.client(owned["token"]) as client:
        client.patch(f"/api/data/{record_id}", json={"isPublic": False})


@pytest.mark.parametrize("size", [8, 5000])
def test_pixel_size_is_capped(api_server: ApiServer, owned: dict, size: int) -> None:
    with api_server.client(owned["token"]) as client:
        response = client.get(
            f"/api/data/{owned['records']['cal']['id']}/pixels", params={"max": size}
        )
    assert response.status_code == 422


def test_spectrum_is_wavelength_and_flux(api_server: ApiServer, owned: dict) -> None:
    with api_server.client(owned["token"]) as client:
        body = client.get(
            f"/api/data/{owned['records']['x1d']['id']}/spectrum", params={"max": 100}
        ).json()
    assert body["extension"] == "EXTRACT1D" and body["sourcePoints"] == 300
    assert body["factor"] == 3 and len(body["wavelength"]) == len(body["flux"]) == 100
    assert (body["wavelengthUnit"], body["fluxUnit"]) == ("um", "Jy")
    with fits.open(owned["files"]["x1d"]) as hdul:
        wave = hdul["EXTRACT1D"].data["WAVELENGTH"]
    assert body["wavelength"][0] == pytest.approx(float(wave[:3].mean()))


@pytest.mark.parametrize(
    ("name", "path", "message"),
    [
        ("x1d", "pixels", "no image data"),
        ("cal", "spectrum", "no spectrum table"),
        ("json", "pixels", "not a FITS file"),
    ],
)
def test_wrong_kinds_of_file_are_readable_errors(
    api_server: ApiServer, owned: dict, name: str, path: str, message: str
) -> None:
    with api_server.client(owned["token"]) as client:
        response = client.get(f"/api/data/{owned['records'][name]['id']}/{path}")
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]


def _browser_sign_in(api_server: ApiServer, username: str) -> tuple[httpx.Client, str]:
    """Sign in through the page as a browser does: the form, its CSRF cookie and field."""
    client = httpx.Client(base_url=api_server.url, timeout=30)
    form = client.get("/signin").text
    login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    response = client.post(
        "/signin", data={"username": username, "password": PASSWORD, "csrf_token": login_csrf}
    )
    assert response.status_code == 303 and "jwst_session" in client.cookies
    page = client.get("/library").text
    return client, re.search(r'name="csrf-token" content="([^"]+)"', page)[1]


def test_cookie_sessions_need_the_csrf_header_and_the_same_origin(
    api_server: ApiServer, owned: dict
) -> None:
    record_id = owned["records"]["cal"]["id"]
    client, csrf = _browser_sign_in(api_server, "owner")
    try:
        assert client.get(f"/api/data/{record_id}").status_code == 200  # reads: cookie only
        url = f"/api/data/{record_id}/archive"
        assert client.post(url).status_code == 403
        assert client.post(url, headers={"X-CSRF-Token": "wrong"}).status_code == 403
        foreign = {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
        assert client.post(url, headers=foreign).status_code == 403
        assert client.post(url, headers={"X-CSRF-Token": csrf}).status_code == 200
        client.post(f"/api/data/{record_id}/unarchive", headers={"X-CSRF-Token": csrf})
        # Page forms: the token is a form field.
        edit = f"/records/{record_id}/edit"
        assert client.post(edit, data={"tags": "x"}).status_code == 403
        ok = client.post(edit, data={"tags": "x, y", "csrf_token": csrf})
        assert ok.status_code == 303
        assert client.get(f"/api/data/{record_id}").json()["tags"] == ["x", "y"]
    finally:
        client.close()


def test_sign_in_form_needs_its_own_token(api_server: ApiServer) -> None:
    with httpx.Client(base_url=api_server.url) as client:
        response = client.post("/signin", data={"username": "owner", "password": PASSWORD})
    assert response.status_code == 403 and "jwst_session" not in response.cookies


def test_pages_send_a_strict_content_security_policy(api_server: ApiServer) -> None:
    response = httpx.get(f"{api_server.url}/library")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "http" not in policy.replace("'self'", "")
    assert response.headers["cache-control"] == "no-store"
    assert "<h1>Library</h1>" in response.text


def test_static_files_are_served(api_server: ApiServer) -> None:
    for name in ("app.css", "app.js", "viewer.js", "imaging.js", "upload.js", "lineage.js"):
        assert httpx.get(f"{api_server.url}/static/{name}").status_code == 200, name


def test_pages_escape_what_users_typed(api_server: ApiServer, owned: dict) -> None:
    record_id = owned["records"]["cal"]["id"]
    with api_server.client(owned["token"]) as client:
        changes = {"description": "<script>alert(1)</script>", "tags": ['"><img src=x>']}
        assert client.patch(f"/api/data/{record_id}", json=changes).status_code == 200
    client, _ = _browser_sign_in(api_server, "owner")
    try:
        html = client.get(f"/records/{record_id}").text
    finally:
        client.close()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert '"><img src=x>' not in html
