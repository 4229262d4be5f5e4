"""Who may process what, and how much: readers' runs and the per-user active job quota.

Against a real API server started with ``JWSTDATA_MAX_ACTIVE_JOBS_PER_USER=2``: only
writers add results to a record; a reader's run makes private outputs of the reader's own
and leaves the source untouched; a user with two active jobs gets 429 with the error
envelope; jobs the system queues (automatic previews) do not count.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from bson import ObjectId
from pydantic import SecretStr

from jwstdata.config import Settings
from jwstdata.db import init_database, open_database
from jwstdata.db.features import server_features
from jwstdata.db.job_indexes import ACTIVE_INDEX
from jwstdata.db.jobs import JobRepository
from jwstdata.models import AccessContext
from jwstdata.models.job import JobState
from jwstdata.root import Root
from jwstdata.services.jobs.registry import load_handlers
from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer, start_server, stop_server

QUOTA = 2
IDS: dict[str, ObjectId] = {}


@pytest.fixture(scope="module")
def api_server(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The shared fixture's server, with a small job quota."""
    home = tmp_path_factory.mktemp("quota-home")
    database = f"jwst_test_quota_{uuid.uuid4().hex[:8]}"
    secret = secrets.token_urlsafe(48)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(
        JWSTDATA_MONGODB_URI=mongo_uri,
        JWSTDATA_DATABASE=database,
        JWSTDATA_HOME=str(home),
        JWSTDATA_SECRET_KEY=secret,
        JWSTDATA_MAX_ACTIVE_JOBS_PER_USER=str(QUOTA),
        JWSTDATA_MAST_URL="http://127.0.0.1:9",
        JWSTDATA_MAST_RETRIES="0",
    )
    settings = Settings(
        mongodb_uri=mongo_uri,
        database=database,
        home=home,
        secret_key=SecretStr(secret),
        max_active_jobs_per_user=QUOTA,
    )
    handle = open_database(settings)
    init_database(handle)
    process, url = start_server(env, home / "server.log")
    try:
        yield ApiServer(url=url, settings=settings, handle=handle, env=env, log=home / "server.log")
    finally:
        stop_server(process)
        handle.client.drop_database(database)
        handle.close()


@pytest.fixture(scope="module")
def tokens(api_server: ApiServer) -> dict[str, str]:
    for name in ("uma", "vic"):
        IDS[name] = api_server.create_user(name).id
    return {name: api_server.token(name) for name in ("uma", "vic")}


@pytest.fixture(scope="module")
def public_record(
    api_server: ApiServer, tokens: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict:
    folder = tmp_path_factory.mktemp("quota")
    data = ff.stars((96, 96), [(30, 40, 5e4), (70, 20, 3e4), (50, 70, 4e4)])
    path = ff.write_product(folder, "i2d", data=data, shape=(96, 96))
    with api_server.client(tokens["uma"]) as client:
        response = client.post(
            "/api/data/upload",
            files={"file": (path.name, path.read_bytes())},
            data={"isPublic": "true"},
        )
    assert response.status_code == 201, response.text
    return response.json()


def _run_jobs(api_server: ApiServer, times: int) -> None:
    load_handlers()
    worker = Root(api_server.settings, handle=api_server.handle).worker(kinds=["process"])
    for _ in range(times):
        if worker.run_once() is None:
            return


def _process(api_server: ApiServer, token: str, record_id: str, algorithm: str, **params):
    with api_server.client(token) as client:
        return client.post(
            f"/api/data/{record_id}/process", json={"algorithm": algorithm, "parameters": params}
        )


def test_a_readers_run_leaves_the_source_untouched(
    api_server: ApiServer, tokens: dict[str, str], public_record: dict
) -> None:
    source = ObjectId(public_record["id"])
    _run_jobs(api_server, 5)  # the automatic preview of the upload
    before = api_server.repo.collection.find_one({"_id": source})
    queued = _process(api_server, tokens["vic"], public_record["id"], "sources")
    assert queued.status_code == 202, queued.text
    assert queued.json()["params"]["asReader"] is True
    _run_jobs(api_server, 5)
    with api_server.client(tokens["vic"]) as client:
        job = client.get(f"/api/jobs/{queued.json()['id']}").json()
    assert job["state"] == "completed", job
    assert job["result"]["results"]  # the reader gets the results in the job

    after = api_server.repo.collection.find_one({"_id": source})
    assert after["processingResults"] == before["processingResults"]
    assert after["processingStatus"] == before["processingStatus"]
    assert after["version"] == before["version"]
    outputs = list(
        api_server.repo.collection.find({"derivedFrom": source, "metadata.algorithm": "sources"})
    )
    assert len(outputs) == 1
    output = outputs[0]
    assert output["userId"] == IDS["vic"] and not output["isPublic"]
    assert output["sharedWith"] == [] and str(IDS["vic"]) in output["filePath"]
    with api_server.client(tokens["vic"]) as client:
        assert client.get(f"/api/data/{output['_id']}/file").status_code == 200
    with api_server.client(tokens["uma"]) as client:
        assert client.get(f"/api/data/{output['_id']}").status_code == 404
    with api_server.client() as anonymous:
        assert anonymous.get(f"/api/data/{output['_id']}").status_code == 404


def test_a_writers_run_adds_its_result_to_the_record(
    api_server: ApiServer, tokens: dict[str, str], public_record: dict
) -> None:
    queued = _process(api_server, tokens["uma"], public_record["id"], "statistics")
    assert queued.status_code == 202, queued.text
    assert "asReader" not in queued.json()["params"]
    _run_jobs(api_server, 5)
    with api_server.client(tokens["uma"]) as client:
        results = client.get(f"/api/data/{public_record['id']}/results").json()
    assert any(r["algorithm"] == "statistics" and r["status"] == "completed" for r in results)


def test_active_jobs_beyond_the_quota_are_refused(
    api_server: ApiServer, tokens: dict[str, str], public_record: dict
) -> None:
    jobs = JobRepository.for_database(api_server.handle)
    _run_jobs(api_server, 20)  # nothing of earlier tests left active
    accepted = [
        _process(api_server, tokens["vic"], public_record["id"], "histogram", bins=8 + i)
        for i in range(QUOTA)
    ]
    assert [r.status_code for r in accepted] == [202] * QUOTA
    refused = _process(api_server, tokens["vic"], public_record["id"], "histogram", bins=64)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["details"] == {"limit": QUOTA, "active": QUOTA}
    assert int(refused.headers["Retry-After"]) > 0
    assert jobs.count_active(IDS["vic"]) == QUOTA
    # Another user is not affected; cancelling frees a slot.
    assert _process(api_server, tokens["uma"], public_record["id"], "statistics").is_success
    with api_server.client(tokens["vic"]) as client:
        first = accepted[0].json()["id"]
        assert client.post(f"/api/jobs/{first}/cancel").status_code == 200
        again = _process(api_server, tokens["vic"], public_record["id"], "histogram", bins=64)
        assert again.status_code == 202, again.text
        # Resuming the cancelled one would go beyond the quota again.
        resumed = client.post(f"/api/jobs/{first}/resume")
        assert resumed.status_code == 429
    _run_jobs(api_server, 20)


def test_system_queued_jobs_do_not_count(
    api_server: ApiServer, tokens: dict[str, str], tmp_path: Path
) -> None:
    _run_jobs(api_server, 20)
    for index in range(QUOTA + 1):  # each upload queues an automatic preview for its owner
        (tmp_path / str(index)).mkdir()
        path = ff.write_product(
            tmp_path / str(index),
            "i2d",
            data=ff.stars((32, 32), [(10, 10, 1e4 + index)]),
            shape=(32, 32),
        )
        with api_server.client(tokens["vic"]) as client:
            response = client.post(
                "/api/data/upload", files={"file": (path.name, path.read_bytes())}
            )
        assert response.status_code == 201, response.text
    queued = JobRepository.for_database(api_server.handle).list(
        AccessContext.admin(), state=JobState.queued
    )
    assert sum(1 for j in queued.items if j.user_id == IDS["vic"]) >= QUOTA + 1
    own = response.json()["id"]
    assert _process(api_server, tokens["vic"], own, "statistics").status_code == 202


def test_the_quota_count_runs_on_its_index(api_server: ApiServer, tokens: dict[str, str]) -> None:
    jobs = JobRepository.for_database(api_server.handle)
    flt = {"userId": IDS["vic"], "userRequested": True, "state": {"$in": ["queued", "running"]}}
    if not server_features(api_server.handle.db).explain_plan_stages:
        pytest.skip("server's explain has no plan stages: index use cannot be shown")
    plan = json.dumps(jobs.collection.find(flt).explain()["queryPlanner"], default=str)
    assert "COLLSCAN" not in plan and ACTIVE_INDEX in plan, plan
