"""Derived products (previews, thumbnails, ...) follow their source's access at every change.

Against the real API server: a preview stays exactly as visible as its source when the
source is made private or public, shared or unshared, archived or unarchived, and goes when
the source is deleted; reads of a derived record also pass the source's access; migration
``outputs-follow-source`` aligns outputs written before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bson import ObjectId

from jwstdata.db.migrations import MIGRATIONS, pending_migrations, run_migrations
from jwstdata.models import JwstDataModel
from jwstdata.storage.local import LocalStorage
from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer

IDS: dict[str, ObjectId] = {}


@pytest.fixture(scope="module")
def users(api_server: ApiServer) -> dict[str, str]:
    for name in ("olga", "peter", "quinn"):
        IDS[name] = api_server.create_user(name).id
    return {name: api_server.token(name) for name in ("olga", "peter", "quinn")}


_UPLOADS = iter(range(1, 10_000))


def _upload(api_server: ApiServer, token: str, folder: Path, *, public: bool) -> dict:
    flux = 4e4 + next(_UPLOADS)  # distinct content: a same-content upload is the same record
    path = ff.write_product(
        folder, "i2d", data=ff.stars((64, 64), [(20, 30, flux)]), shape=(64, 64)
    )
    with api_server.client(token) as client:
        response = client.post(
            "/api/data/upload",
            files={"file": (path.name, path.read_bytes())},
            data={"isPublic": str(public).lower()},
        )
    assert response.status_code == 201, response.text
    return response.json()


def _outputs(api_server: ApiServer, source_id: str) -> list[dict]:
    return list(
        api_server.repo.collection.find(
            {"derivedFrom": ObjectId(source_id), "metadata.source": "processing"}
        )
    )


def _with_preview(api_server: ApiServer, token: str, folder: Path, *, public: bool) -> dict:
    record = _upload(api_server, token, folder, public=public)
    with api_server.client(token) as client:
        assert client.get(f"/api/data/{record['id']}/thumbnail").status_code == 200
    outputs = _outputs(api_server, record["id"])
    assert {o["metadata"]["role"] for o in outputs} == {"preview", "thumbnail"}
    return record


def _status(api_server: ApiServer, token: str | None, path: str) -> int:
    with api_server.client(token) as client:
        return client.get(path).status_code


def test_making_a_source_private_hides_its_previews(
    api_server: ApiServer, users: dict[str, str], tmp_path: Path
) -> None:
    source = _with_preview(api_server, users["olga"], tmp_path, public=True)
    derived = [str(o["_id"]) for o in _outputs(api_server, source["id"])]
    for output in derived:
        assert _status(api_server, None, f"/api/data/{output}") == 200
        assert _status(api_server, None, f"/api/data/{output}/file") == 200

    with api_server.client(users["olga"]) as client:
        response = client.patch(f"/api/data/{source['id']}", json={"isPublic": False})
        assert response.status_code == 200, response.text
    for output in derived:
        assert _status(api_server, None, f"/api/data/{output}") == 404
        assert _status(api_server, None, f"/api/data/{output}/file") == 404
        assert _status(api_server, users["peter"], f"/api/data/{output}") == 404
        assert _status(api_server, users["olga"], f"/api/data/{output}") == 200
    with api_server.client() as anonymous:
        listed = anonymous.get("/api/data", params={"limit": 100}).json()["items"]
    assert not {r["id"] for r in listed} & {*derived, source["id"]}
    assert all(not o["isPublic"] for o in _outputs(api_server, source["id"]))

    with api_server.client(users["olga"]) as client:
        assert client.patch(f"/api/data/{source['id']}", json={"isPublic": True}).is_success
    assert all(o["isPublic"] for o in _outputs(api_server, source["id"]))
    assert _status(api_server, None, f"/api/data/{derived[0]}") == 200


def test_unsharing_a_source_unshares_its_previews(
    api_server: ApiServer, users: dict[str, str], tmp_path: Path
) -> None:
    source = _with_preview(api_server, users["olga"], tmp_path, public=False)
    derived = [str(o["_id"]) for o in _outputs(api_server, source["id"])]
    assert _status(api_server, users["peter"], f"/api/data/{derived[0]}") == 404
    with api_server.client(users["olga"]) as client:
        shared = client.post(f"/api/data/{source['id']}/share", json={"usernames": ["peter"]})
        assert shared.status_code == 200, shared.text
    for output in derived:
        assert _status(api_server, users["peter"], f"/api/data/{output}") == 200
        assert _status(api_server, users["peter"], f"/api/data/{output}/file") == 200
    with api_server.client(users["olga"]) as client:
        client.post(f"/api/data/{source['id']}/unshare", json={"usernames": ["peter"]})
    for output in derived:
        assert _status(api_server, users["peter"], f"/api/data/{output}") == 404
        assert _status(api_server, users["peter"], f"/api/data/{output}/file") == 404
    assert all(o["sharedWith"] == [] for o in _outputs(api_server, source["id"]))


def test_reads_of_a_derived_record_pass_the_source_access(
    api_server: ApiServer, users: dict[str, str], tmp_path: Path
) -> None:
    """Even an output left public by an interrupted update is not readable past its source."""
    source = _with_preview(api_server, users["olga"], tmp_path, public=False)
    output = _outputs(api_server, source["id"])[0]
    api_server.repo.collection.update_one({"_id": output["_id"]}, {"$set": {"isPublic": True}})
    assert _status(api_server, None, f"/api/data/{output['_id']}") == 404
    assert _status(api_server, None, f"/api/data/{output['_id']}/file") == 404
    assert _status(api_server, users["olga"], f"/api/data/{output['_id']}") == 200
    api_server.repo.collection.update_one({"_id": output["_id"]}, {"$set": {"isPublic": False}})


def test_a_derived_record_cannot_be_made_more_visible_on_its_own(
    api_server: ApiServer, users: dict[str, str], tmp_path: Path
) -> None:
    source = _with_preview(api_server, users["olga"], tmp_path, public=False)
    output = str(_outputs(api_server, source["id"])[0]["_id"])
    with api_server.client(users["olga"]) as client:
        made_public = client.patch(f"/api/data/{output}", json={"isPublic": True})
        assert made_public.status_code == 422
        assert made_public.json()["error"]["details"][0]["field"] == "isPublic"
        shared = client.post(f"/api/data/{output}/share", json={"usernames": ["peter"]})
        assert shared.status_code == 422
        archived = client.post(f"/api/data/{output}/archive")
        assert archived.status_code == 422
        # Editing what is not visibility stays possible.
        tagged = client.patch(f"/api/data/{output}", json={"tags": ["nice"]})
        assert tagged.status_code == 200, tagged.text


def test_archiving_and_deleting_a_source_carry_its_previews(
    api_server: ApiServer, users: dict[str, str], tmp_path: Path
) -> None:
    source = _with_preview(api_server, users["olga"], tmp_path, public=True)
    outputs = _outputs(api_server, source["id"])
    with api_server.client(users["olga"]) as client:
        assert client.post(f"/api/data/{source['id']}/archive").status_code == 200
        assert all(o["isArchived"] for o in _outputs(api_server, source["id"]))
        with api_server.client() as anonymous:
            listed = anonymous.get("/api/data", params={"limit": 100}).json()["items"]
        assert not {r["id"] for r in listed} & {str(o["_id"]) for o in outputs}
        assert client.post(f"/api/data/{source['id']}/unarchive").status_code == 200
        assert not any(o["isArchived"] for o in _outputs(api_server, source["id"]))

        assert client.delete(f"/api/data/{source['id']}").status_code == 204
    assert _outputs(api_server, source["id"]) == []
    storage = LocalStorage(api_server.settings.local_storage_root)
    for output in outputs:
        assert _status(api_server, users["olga"], f"/api/data/{output['_id']}") == 404
        assert not storage.exists(output["filePath"])


def test_a_readers_private_output_goes_when_access_does(
    api_server: ApiServer, users: dict[str, str], tmp_path: Path
) -> None:
    source = _upload(api_server, users["olga"], tmp_path, public=False)
    reader = IDS["quinn"]
    output = api_server.repo.collection.find_one(
        {"derivedFrom": ObjectId(source["id"]), "metadata.source": "processing"}
    )
    assert output is None
    # A reader's output, as a reader's processing run stores it.
    doc = {
        "_id": ObjectId(),
        "fileName": "mine.png",
        "filePath": f"derived/{source['id']}/statistics/{reader}-x-mine.png",
        "dataType": "image",
        "processingStatus": "completed",
        "processingLevel": "unknown",
        "uploadDate": api_server.repo.collection.find_one({"_id": ObjectId(source["id"])})[
            "uploadDate"
        ],
        "derivedFrom": [ObjectId(source["id"])],
        "parentId": ObjectId(source["id"]),
        "userId": reader,
        "isPublic": False,
        "sharedWith": [],
        "isArchived": False,
        "metadata": {"source": "processing", "algorithm": "statistics", "role": "table"},
        "version": 1,
    }
    api_server.repo.create(JwstDataModel.from_document(doc))  # through the counters
    with api_server.client(users["olga"]) as client:
        client.post(f"/api/data/{source['id']}/share", json={"usernames": ["quinn"]})
        assert _status(api_server, users["quinn"], f"/api/data/{doc['_id']}") == 200
        client.post(f"/api/data/{source['id']}/unshare", json={"usernames": ["quinn"]})
    assert api_server.repo.collection.find_one({"_id": doc["_id"]}) is None


def test_counters_stay_equal_to_a_recount(api_server: ApiServer, users: dict[str, str]) -> None:
    """Every change the outputs followed above went through the counters."""
    repo = api_server.repo

    def counted() -> list[dict]:
        found = repo.counters.collection.find({"n": {"$ne": 0}}, {"_id": 1, "n": 1, "bytes": 1})
        return sorted(found, key=str)

    maintained = counted()
    repo.counters.recount(repo.collection)
    assert counted() == maintained


def test_migration_aligns_outputs_written_before(
    api_server: ApiServer, users: dict[str, str], tmp_path: Path
) -> None:
    assert 7 in {m.number for m in MIGRATIONS}
    source = _with_preview(api_server, users["olga"], tmp_path, public=False)
    outputs = _outputs(api_server, source["id"])
    # As older versions left them: public although the source is private now.
    api_server.repo.collection.update_many(
        {"_id": {"$in": [o["_id"] for o in outputs]}}, {"$set": {"isPublic": True}}
    )
    pending = {m.number: m.documents for m in pending_migrations(api_server.handle)}
    assert pending.get(7) == len(outputs)
    report = run_migrations(api_server.handle)
    assert {"number": 7, "name": "outputs-follow-source", "changed": len(outputs)} in (
        report.applied
    )
    assert not any(o["isPublic"] for o in _outputs(api_server, source["id"]))
    assert 7 not in {m.number for m in pending_migrations(api_server.handle)}
