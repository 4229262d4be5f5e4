"""Processing over HTTP and the CLI: algorithms, jobs run by a worker, results, previews."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from jwstdata.db.jobs import JobRepository
from jwstdata.root import Root
from jwstdata.services.jobs.registry import load_handlers
from tests import fitsfactory as ff
from tests.plugins.api_server import ApiServer


@pytest.fixture(scope="module")
def owner(api_server: ApiServer) -> str:
    api_server.create_user("wanda")
    api_server.create_user("xavier")
    return api_server.token("wanda")


@pytest.fixture(scope="module")
def uploaded(api_server: ApiServer, owner: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("proc")
    path = ff.write_product(
        folder, "i2d", data=ff.stars((128, 128), [(40, 50, 5e4), (90, 30, 3e4)]), shape=(128, 128)
    )
    with api_server.client(owner) as client:
        response = client.post("/api/data/upload", files={"file": (path.name, path.read_bytes())})
    response.raise_for_status()
    return response.json()


def _run_worker(api_server: ApiServer) -> None:
    load_handlers()
    Root(api_server.settings, handle=api_server.handle).worker(kinds=["process"]).run_once()


def test_algorithms_are_listed_with_schemas(api_server: ApiServer) -> None:
    with api_server.client() as client:
        listed = client.get("/api/algorithms").json()
    names = {a["name"] for a in listed}
    assert {"statistics", "preview", "histogram", "sources", "spectrum"} <= names
    for entry in listed:
        assert entry["version"] and entry["params"]["type"] == "object" and entry["accepts"]


def test_process_runs_as_a_job_and_appends_a_result(
    api_server: ApiServer, owner: str, uploaded: dict
) -> None:
    jobs = JobRepository.for_database(api_server.handle)
    jobs.ensure_indexes()
    with api_server.client(owner) as client:
        queued = client.post(
            f"/api/data/{uploaded['id']}/process", json={"algorithm": "statistics"}
        )
        assert queued.status_code == 202, queued.text
        bad = client.post(f"/api/data/{uploaded['id']}/process", json={"algorithm": "nonsense"})
        assert bad.status_code == 422
        # The upload also queued an automatic preview; run jobs until ours is done.
        for _ in range(3):
            _run_worker(api_server)
        job = client.get(f"/api/jobs/{queued.json()['id']}").json()
        assert job["state"] == "completed", job
        results = client.get(f"/api/data/{uploaded['id']}/results").json()
        stats = next(r for r in results if r["algorithm"] == "statistics")
        assert stats["status"] == "completed" and stats["results"]["max"] > 1e4
        record = client.get(f"/api/data/{uploaded['id']}").json()
        assert record["processingStatus"] == "completed"


def test_preview_and_thumbnail_are_pngs_and_access_checked(
    api_server: ApiServer, owner: str, uploaded: dict
) -> None:
    with api_server.client(owner) as client:
        thumb = client.get(f"/api/data/{uploaded['id']}/thumbnail")
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(thumb.content))
        assert max(image.size) <= 256 and image.size[0] > 0
        preview = client.get(f"/api/data/{uploaded['id']}/preview")
        assert preview.status_code == 200 and Image.open(io.BytesIO(preview.content)).size[0] > 0
    other = api_server.token("xavier")
    with api_server.client(other) as client:
        assert client.get(f"/api/data/{uploaded['id']}/thumbnail").status_code == 404
        assert (
            client.post(
                f"/api/data/{uploaded['id']}/process", json={"algorithm": "statistics"}
            ).status_code
            == 404
        )
    with api_server.client() as anonymous:
        assert (
            anonymous.post(
                f"/api/data/{uploaded['id']}/process", json={"algorithm": "statistics"}
            ).status_code
            == 401
        )


def test_cli_process_wait(api_server: ApiServer, uploaded: dict, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jwstdata",
            "process",
            uploaded["id"],
            "-a",
            "histogram",
            "-p",
            "bins=32",
            "--wait",
            "--json",
        ],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "completed" and job["params"]["algorithm"] == "histogram"
    listed = subprocess.run(
        [sys.executable, "-m", "jwstdata", "algorithms", "--json"],
        env=api_server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "statistics" in {a["name"] for a in json.loads(listed.stdout)}
