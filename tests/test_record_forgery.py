"""Lineage and system metadata cannot be forged; unarchive restores only to the recorded key.

Against the real API server: ``parentId``/``derivedFrom`` may only name records the caller
may write (403; 422 for one they cannot see), metadata keys the system acts on are not
client-editable (422), and an edited archive origin never makes unarchive write a file into
another key (let alone another user's namespace).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bson import ObjectId

from jwstdata.storage.local import LocalStorage
from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer

IDS: dict[str, ObjectId] = {}
_UPLOADS = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def tokens(api_server: ApiServer) -> dict[str, str]:
    for name in ("rita", "sam"):
        IDS[name] = api_server.create_user(name).id
    return {name: api_server.token(name) for name in ("rita", "sam")}


def _upload(api_server: ApiServer, token: str, folder: Path, *, public: bool) -> dict:
    flux = 3e4 + next(_UPLOADS)  # distinct content: a same-content upload is the same record
    path = ff.write_product(
        folder, "cal", data=ff.stars((32, 32), [(10, 12, flux)]), shape=(32, 32)
    )
    with api_server.client(token) as client:
        response = client.post(
            "/api/data/upload",
            files={"file": (path.name, path.read_bytes())},
            data={"isPublic": str(public).lower()},
        )
    assert response.status_code == 201, response.text
    return response.json()


def _record(api_server: ApiServer, token: str, folder: Path, *, public: bool = False) -> dict:
    return _upload(api_server, token, folder, public=public)


def test_links_may_only_name_records_the_caller_may_write(
    api_server: ApiServer, tokens: dict[str, str], tmp_path: Path
) -> None:
    private = _record(api_server, tokens["rita"], tmp_path)
    public = _record(api_server, tokens["rita"], tmp_path, public=True)
    mine = _record(api_server, tokens["sam"], tmp_path)
    own_parent = _record(api_server, tokens["sam"], tmp_path)
    with api_server.client(tokens["sam"]) as client:
        for field, value in (
            ("parentId", public["id"]),
            ("derivedFrom", [public["id"]]),
            ("derivedFrom", [own_parent["id"], public["id"]]),
        ):
            response = client.patch(f"/api/data/{mine['id']}", json={field: value})
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "forbidden"
        for field, value in (("parentId", private["id"]), ("derivedFrom", [private["id"]])):
            response = client.patch(f"/api/data/{mine['id']}", json={field: value})
            assert response.status_code == 422, response.text
            assert response.json()["error"]["details"][0]["field"] == field
        itself = client.patch(f"/api/data/{mine['id']}", json={"parentId": mine["id"]})
        assert itself.status_code == 422
        created = client.post(
            "/api/data",
            json={"fileName": "x.txt", "dataType": "metadata", "parentId": public["id"]},
        )
        assert created.status_code == 403
        # Linking to one's own records is fine.
        own = client.patch(
            f"/api/data/{mine['id']}",
            json={"parentId": own_parent["id"], "derivedFrom": [own_parent["id"]]},
        )
        assert own.status_code == 200, own.text
    # Rita's public record shows no forged child.
    with api_server.client() as anonymous:
        lineage = anonymous.get(f"/api/data/{public['id']}/lineage").json()
    assert lineage["descendants"] == []


def test_links_the_system_set_may_stay(
    api_server: ApiServer, tokens: dict[str, str], tmp_path: Path
) -> None:
    public = _record(api_server, tokens["rita"], tmp_path, public=True)
    mine = _record(api_server, tokens["sam"], tmp_path)
    api_server.repo.collection.update_one(
        {"_id": ObjectId(mine["id"])},
        {"$set": {"parentId": ObjectId(public["id"]), "derivedFrom": [ObjectId(public["id"])]}},
    )
    with api_server.client(tokens["sam"]) as client:
        kept = client.patch(
            f"/api/data/{mine['id']}",
            json={"description": "kept", "parentId": public["id"], "derivedFrom": [public["id"]]},
        )
        assert kept.status_code == 200, kept.text
        dropped = client.patch(f"/api/data/{mine['id']}", json={"derivedFrom": []})
        assert dropped.status_code == 200, dropped.text


def test_system_metadata_keys_are_not_client_editable(
    api_server: ApiServer, tokens: dict[str, str], tmp_path: Path
) -> None:
    record = _upload(api_server, tokens["sam"], tmp_path, public=False)
    assert record["metadata"]["source"] == "upload"
    with api_server.client(tokens["sam"]) as client:
        url = f"/api/data/{record['id']}"
        forged = {**record["metadata"], "source": "processing", "algorithm": "preview"}
        response = client.patch(url, json={"metadata": {**forged, "role": "preview"}})
        assert response.status_code == 422, response.text
        fields = {d["field"] for d in response.json()["error"]["details"]}
        assert fields == {"metadata.source", "metadata.algorithm", "metadata.role"}
        for metadata in (
            {**record["metadata"], "archivedFrom": "uploads/elsewhere/x.fits"},
            {**record["metadata"], "mast_obs_id": "jw01234-o001_t001_nircam"},
            {k: v for k, v in record["metadata"].items() if k != "source"},
        ):
            assert client.patch(url, json={"metadata": metadata}).status_code == 422
        top_level = client.patch(url, json={"archivedFrom": "uploads/elsewhere/x.fits"})
        assert top_level.status_code == 422
        created = client.post(
            "/api/data",
            json={"fileName": "y.txt", "dataType": "metadata", "metadata": {"role": "preview"}},
        )
        assert created.status_code == 422
        # Other keys stay the user's to edit, with the system's keys as they were.
        fine = client.patch(url, json={"metadata": {**record["metadata"], "note": "checked"}})
        assert fine.status_code == 200, fine.text
        assert fine.json()["metadata"]["note"] == "checked"


def test_unarchive_restores_only_to_the_recorded_origin(
    api_server: ApiServer, tokens: dict[str, str], tmp_path: Path
) -> None:
    storage = LocalStorage(api_server.settings.local_storage_root)
    record = _upload(api_server, tokens["sam"], tmp_path, public=False)
    origin = record["filePath"]
    victim_key = f"uploads/{IDS['rita']}/planted/evil.fits"
    with api_server.client(tokens["sam"]) as client:
        url = f"/api/data/{record['id']}"
        archived = client.post(f"{url}/archive")
        assert archived.status_code == 200, archived.text
        assert archived.json()["archivedFrom"] == origin
        edited = client.patch(
            url, json={"metadata": {**archived.json()["metadata"], "archivedFrom": victim_key}}
        )
        assert edited.status_code == 422
        back = client.post(f"{url}/unarchive")
        assert back.status_code == 200, back.text
        assert back.json()["filePath"] == origin and storage.exists(origin)
    assert not storage.exists(victim_key)


def test_a_forged_legacy_origin_is_refused(
    api_server: ApiServer, tokens: dict[str, str], tmp_path: Path
) -> None:
    """Records archived before ``archivedFrom`` existed kept it in metadata: still checked."""
    storage = LocalStorage(api_server.settings.local_storage_root)
    record = _upload(api_server, tokens["sam"], tmp_path, public=False)
    victim_key = f"uploads/{IDS['rita']}/planted/legacy.fits"
    with api_server.client(tokens["sam"]) as client:
        url = f"/api/data/{record['id']}"
        assert client.post(f"{url}/archive").status_code == 200
        api_server.repo.collection.update_one(
            {"_id": ObjectId(record["id"])},
            {"$set": {"archivedFrom": None, "metadata.archivedFrom": victim_key}},
        )
        refused = client.post(f"{url}/unarchive")
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "conflict"
    assert not storage.exists(victim_key)
    # A genuine legacy origin still works.
    api_server.repo.collection.update_one(
        {"_id": ObjectId(record["id"])}, {"$set": {"metadata.archivedFrom": record["filePath"]}}
    )
    with api_server.client(tokens["sam"]) as client:
        back = client.post(f"/api/data/{record['id']}/unarchive")
        assert back.status_code == 200, back.text
        assert back.json()["filePath"] == record["filePath"]
    assert storage.exists(record["filePath"])
