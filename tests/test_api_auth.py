"""Authentication over HTTP: tokens, expiry, refresh rotation and reuse, lockout, API keys."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from tests.plugins.api_server import ApiServer

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def erin(api_server: ApiServer):
    return api_server.create_user("erin")


def _login(api_server: ApiServer, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{api_server.url}/api/auth/token", data={"username": username, "password": password}
    )


def test_token_me_and_expiry(api_server: ApiServer, erin) -> None:
    tokens = _login(api_server, "erin").json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] > 0 and tokens["refresh_token"]
    with api_server.client(tokens["access_token"]) as client:
        me = client.get("/api/auth/me").json()
    assert me["username"] == "erin" and "password" not in str(me).lower()
    secret = api_server.settings.secret_key.get_secret_value()
    expired = jwt.encode(
        {
            "sub": str(erin.id),
            "adm": False,
            "typ": "access",
            "iat": int(time.time()) - 3600,
            "exp": int(time.time()) - 60,
            "jti": "x",
        },
        secret,
        algorithm="HS256",
    )
    with api_server.client(expired) as client:
        response = client.get("/api/auth/me")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    with api_server.client("not-a-token") as client:
        assert client.get("/api/data").status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_family(api_server: ApiServer, erin) -> None:
    first = _login(api_server, "erin").json()
    second = httpx.post(
        f"{api_server.url}/api/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    reuse = httpx.post(
        f"{api_server.url}/api/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert reuse.status_code == 401
    # The reuse revoked the whole family, including the newest token.
    after = httpx.post(
        f"{api_server.url}/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert after.status_code == 401


def test_logout_revokes_the_refresh_token(api_server: ApiServer, erin) -> None:
    tokens = _login(api_server, "erin").json()
    out = httpx.post(
        f"{api_server.url}/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    assert out.status_code == 204
    again = httpx.post(
        f"{api_server.url}/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert again.status_code == 401


def test_lockout_after_repeated_failures(api_server: ApiServer) -> None:
    api_server.create_user("frank")
    codes = [_login(api_server, "frank", "wrong password!").status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    locked = _login(api_server, "frank")  # even the right password is refused while locked
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert locked.json()["error"]["code"] == "rate_limited"
    unknown = _login(api_server, "nobody-here", "whatever password")
    assert unknown.status_code == 401
    assert (
        unknown.json()["error"]["message"]
        == _login(api_server, "erin", "bad password!").json()["error"]["message"]
    )


def test_api_keys_are_shown_once_work_and_can_be_revoked(api_server: ApiServer, erin) -> None:
    token = _login(api_server, "erin").json()["access_token"]
    with api_server.client(token) as client:
        created = client.post("/api/auth/api-keys", json={"name": "notebook"}).json()
        key = created["key"]
        listed = client.get("/api/auth/api-keys").json()
    assert all("key" not in k for k in listed) and any(k["id"] == created["id"] for k in listed)
    with httpx.Client(base_url=api_server.url, headers={"X-API-Key": key}) as script:
        assert script.get("/api/auth/me").json()["username"] == "erin"
    with api_server.client(key) as bearer:  # an API key also works as a bearer credential
        assert bearer.get("/api/auth/me").status_code == 200
    with api_server.client(token) as client:
        assert client.delete(f"/api/auth/api-keys/{created['id']}").status_code == 200
    with httpx.Client(base_url=api_server.url, headers={"X-API-Key": key}) as script:
        assert script.get("/api/auth/me").status_code == 401
    assert key not in str(list(api_server.handle.db["api_keys"].find()))


def test_registration_is_off_by_default(api_server: ApiServer) -> None:
    response = httpx.post(
        f"{api_server.url}/api/auth/register",
        json={"username": "mallory", "password": "long enough password"},
    )
    assert response.status_code == 403


def test_server_refuses_to_start_without_a_secret(api_server: ApiServer, tmp_path) -> None:
    import subprocess
    import sys

    env = {k: v for k, v in api_server.env.items() if k != "JWSTDATA_SECRET_KEY"}
    env["JWSTDATA_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "jwstdata", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "JWSTDATA_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
