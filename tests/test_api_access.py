"""The access-control matrix over the real HTTP API (uvicorn in its own process).

Callers: anonymous, owner, other user, friend (shared with), admin.
Records: public, private, private shared with friend, and a MAST public import (no owner).
"""

from __future__ import annotations

import pytest
from bson import ObjectId

from jwstdata.storage import LocalStorage
from tests.factories import make_record
from tests.plugins.api_server import ApiServer

CALLERS = ("anonymous", "owner", "other", "friend", "admin")
READERS = {
    "public": {"anonymous", "owner", "other", "friend", "admin"},
    "private": {"owner", "admin"},
    "shared": {"owner", "friend", "admin"},
    "mast": {"anonymous", "owner", "other", "friend", "admin"},
}
WRITERS = {
    "public": {"owner", "admin"},
    "private": {"owner", "admin"},
    "shared": {"owner", "admin"},
    "mast": {"admin"},
}


@pytest.fixture(scope="module")
def world(api_server: ApiServer) -> dict:
    users = {
        name: api_server.create_user(name, admin=name == "admin")
        for name in ("owner", "other", "friend", "admin")
    }
    tokens = {name: api_server.token(name) for name in users}
    tokens["anonymous"] = None
    storage = LocalStorage(api_server.settings.local_storage_root)
    owner = users["owner"].id
    records = {}
    for kind, fields in {
        "public": {"userId": owner, "isPublic": True},
        "private": {"userId": owner, "isPublic": False},
        "shared": {"userId": owner, "isPublic": False, "sharedWith": [users["friend"].id]},
        "mast": {"userId": None, "isPublic": True, "metadata": {"source": "MAST"}},
    }.items():
        record = make_record(
            **fields,
            imageInfo={"instrument": kind.upper(), "targetName": "M16"},
            filePath=f"uploads/{owner}/{kind}/{kind}.fits",
        )
        written = storage.write_stream(
            record.file_path, __import__("io").BytesIO(b"SIMPLE  = T" + b" " * 100)
        )
        record = record.model_copy(update={"checksum": written.sha256, "file_size": written.size})
        records[kind] = api_server.repo.create(record)
    return {"server": api_server, "users": users, "tokens": tokens, "records": records}


def _client(world: dict, caller: str):
    return world["server"].client(world["tokens"][caller])


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("kind", list(READERS))
@pytest.mark.parametrize("route", ["", "/file", "/lineage"])
def test_reads(world: dict, caller: str, kind: str, route: str) -> None:
    record = world["records"][kind]
    with _client(world, caller) as client:
        response = client.get(f"/api/data/{record.id}{route}")
    if caller in READERS[kind]:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("caller", CALLERS)
def test_lists_counts_facets_and_stats_only_count_what_you_see(world: dict, caller: str) -> None:
    visible = {str(world["records"][k].id) for k, who in READERS.items() if caller in who}
    with _client(world, caller) as client:
        page = client.get("/api/data", params={"limit": 100, "withTotal": "true"}).json()
        facets = client.get("/api/data/facets").json()
        stats = client.get("/api/data/stats").json()
    assert {r["id"] for r in page["items"]} == visible
    assert page["total"] == len(visible)
    assert {f["value"] for f in facets["instrument"]} == {
        k.upper() for k, who in READERS.items() if caller in who
    }
    assert stats["count"] == len(visible)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("kind", list(READERS))
@pytest.mark.parametrize("action", ["patch", "archive", "share"])
def test_writes(world: dict, caller: str, kind: str, action: str) -> None:
    record = world["records"][kind]
    with _client(world, caller) as client:
        if action == "patch":
            response = client.patch(f"/api/data/{record.id}", json={"description": f"by {caller}"})
        elif action == "archive":
            response = client.post(f"/api/data/{record.id}/archive")
            if response.status_code == 200:
                client.post(f"/api/data/{record.id}/unarchive").raise_for_status()
        else:
            response = client.post(f"/api/data/{record.id}/share", json={"usernames": ["other"]})
            if response.status_code == 200:
                client.post(
                    f"/api/data/{record.id}/unshare", json={"usernames": ["other"]}
                ).raise_for_status()
    if caller == "anonymous":
        assert response.status_code == 401
    elif caller in WRITERS[kind]:
        assert response.status_code == 200, response.text
    elif caller in READERS[kind]:
        assert response.status_code == 403
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("caller", CALLERS)
def test_delete(world: dict, caller: str) -> None:
    server = world["server"]
    owner = world["users"]["owner"].id
    for kind, fields in {"public": {"isPublic": True}, "private": {"isPublic": False}}.items():
        record = server.repo.create(make_record(userId=owner, **fields))
        with _client(world, caller) as client:
            response = client.delete(f"/api/data/{record.id}")
        if caller == "anonymous":
            assert response.status_code == 401
        elif caller in ("owner", "admin"):
            assert response.status_code == 204
            assert server.repo.collection.count_documents({"_id": record.id}) == 0
        else:
            assert response.status_code == (403 if kind == "public" else 404)


def test_sharing_makes_a_record_visible_and_unsharing_hides_it(world: dict) -> None:
    record = world["records"]["private"]
    with _client(world, "owner") as owner, _client(world, "other") as other:
        assert other.get(f"/api/data/{record.id}").status_code == 404
        owner.post(f"/api/data/{record.id}/share", json={"usernames": ["OTHER"]}).raise_for_status()
        assert other.get(f"/api/data/{record.id}").status_code == 200
        owner.post(
            f"/api/data/{record.id}/unshare", json={"usernames": ["other"]}
        ).raise_for_status()
        assert other.get(f"/api/data/{record.id}").status_code == 404
        unknown = owner.post(f"/api/data/{record.id}/share", json={"usernames": ["nobody"]})
        assert unknown.status_code == 404


def test_bulk_reports_per_id_outcomes(world: dict) -> None:
    ids = [str(world["records"][k].id) for k in ("public", "private", "mast")] + [
        str(ObjectId()),
        "junk",
    ]
    with _client(world, "other") as client:
        results = client.post(
            "/api/data/bulk", json={"ids": ids, "changes": {"addTags": ["x"]}}
        ).json()
    outcome = {r["id"]: r["status"] for r in results["results"]}
    assert list(outcome.values()).count("updated") == 0
    with _client(world, "owner") as client:
        results = client.post(
            "/api/data/bulk", json={"ids": ids, "changes": {"addTags": ["x"]}}
        ).json()
    by_id = {r["id"]: r for r in results["results"]}
    assert by_id[ids[0]]["status"] == by_id[ids[1]]["status"] == "updated"
    assert by_id[ids[2]]["error"] == "forbidden" and by_id[ids[3]]["error"] == "not_found"
    assert by_id["junk"]["error"] == "not_found"


def test_patch_honours_if_match(world: dict) -> None:
    record = world["records"]["private"]
    with _client(world, "owner") as client:
        current = client.get(f"/api/data/{record.id}")
        etag = current.headers["etag"]
        ok = client.patch(
            f"/api/data/{record.id}", json={"tags": ["v"]}, headers={"If-Match": etag}
        )
        assert ok.status_code == 200 and ok.headers["etag"] != etag
        stale = client.patch(
            f"/api/data/{record.id}", json={"tags": ["w"]}, headers={"If-Match": etag}
        )
        assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
        bad = client.patch(f"/api/data/{record.id}", json={"fileSize": -1})
        assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "fileSize"


def test_lineage_by_observation_hides_private_records(world: dict) -> None:
    base = world["records"]["private"].observation_base_id
    with _client(world, "anonymous") as client:
        view = client.get(f"/api/lineage/{base}").json()
    ids = {r["id"] for level in view["levels"].values() for r in level}
    assert str(world["records"]["private"].id) not in ids
    assert str(world["records"]["public"].id) in ids
