"""One wiring: the API, the dashboard, every CLI command and the worker get their database,
storage, repositories and services from :class:`jwstdata.root.Root`, and nothing else in
``src/`` builds them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle
from jwstdata.http import container
from jwstdata.root import Root

SRC = Path(__file__).resolve().parents[1] / "src" / "jwstdata"
ROOT_MODULE = SRC / "root.py"

# Calls that open the database or storage, or build a repository or a top-level service.
FACTORIES = {"open_database", "open_storage", "open_storage_of", "open_mast"}
CONSTRUCTED = {
    "RecordRepository",
    "JobRepository",
    "UserRepository",
    "AuthService",
    "RecordService",
    "UploadService",
    "LineageQueries",
    "IngestService",
    "ArchiveService",
    "BackupService",
    "RestoreService",
    "StorageVerifier",
    "StorageMigrator",
    "Worker",
}
# Where a part is legitimately built outside the root: the factories themselves.
DEFINED_IN = {
    "open_database": {"db/opening.py"},
    "open_storage": {"storage/factory.py"},
    "open_storage_of": {"storage/factory.py"},
    "open_mast": {"mast/__init__.py"},
}
# Built elsewhere on purpose: the auth service's fallback when it is given no accounts
# repository (tests build it on a bare handle); the root always hands in its own.
PENDING = {
    ("services/auth/service.py", "UserRepository"),
}


def _builder(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id in FACTORIES | CONSTRUCTED:
        return func.id
    # ``RecordRepository.for_database(handle)`` is a constructor too.
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "for_database"
        and isinstance(func.value, ast.Name)
        and func.value.id in CONSTRUCTED
    ):
        return func.value.id
    return None


def _builds_outside_the_root() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if path == ROOT_MODULE:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            name = _builder(node) if isinstance(node, ast.Call) else None
            if name and rel not in DEFINED_IN.get(name, ()) and (rel, name) not in PENDING:
                found.append(f"{rel}:{node.lineno} builds {name}")
    return found


def test_only_the_root_builds_databases_storage_repositories_and_services() -> None:
    assert _builds_outside_the_root() == []


def test_the_scan_sees_what_it_looks_for() -> None:
    """The check above is not vacuous: the root itself is full of what it forbids."""
    tree = ast.parse(ROOT_MODULE.read_text())
    built = {
        name for node in ast.walk(tree) if isinstance(node, ast.Call) and (name := _builder(node))
    }
    assert {"open_database", "open_storage", "RecordRepository", "AuthService", "Worker"} <= built


def test_the_api_the_cli_and_the_worker_are_wired_by_the_root(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jwstdata.cli import common

    assert container.Services is Root  # what every route and page depends on
    monkeypatch.setattr(common, "settings", lambda: settings)  # the environment's settings
    with common.open_root() as root:  # what every command works on
        assert isinstance(root, Root) and root.settings is settings
        assert "handle" not in vars(root)  # nothing opened before a command asks
    assert "root.worker(" in (SRC / "cli" / "worker.py").read_text()  # `jwstdata worker`


def test_a_worker_runs_on_the_roots_parts(settings: Settings, db_handle: DatabaseHandle) -> None:
    with Root(settings, handle=db_handle) as root:
        worker = root.worker(kinds=["sleep"])
        assert worker.services is root
        assert root.records is root.records  # built once, shared by every job
        assert root.auth.users is root.users  # one accounts repository
        with worker._connected():
            assert worker.jobs.retry_delay == worker.retry_delay


def test_a_root_opens_nothing_until_asked_and_leaves_a_given_handle_open(
    settings: Settings, db_handle: DatabaseHandle
) -> None:
    root = Root(settings.model_copy(update={"mongodb_uri": "mongodb://127.0.0.1:1/"}))
    root.worker(kinds=["sleep"])  # no database is needed to build a worker
    root.close()
    with Root(settings, handle=db_handle) as root:
        assert root.handle is db_handle
    db_handle.client.admin.command("ping")  # still open: its owner closes it


@pytest.mark.parametrize("name", ["records", "jobs", "users", "storage", "auth", "lineage"])
def test_each_part_is_built_once(settings: Settings, db_handle: DatabaseHandle, name: str) -> None:
    with Root(settings, handle=db_handle) as root:
        assert getattr(root, name) is getattr(root, name)


def test_the_cli_never_calls_the_driver() -> None:
    """Commands speak to repositories and services: no pymongo, no ``handle.db[...]``."""
    found = []
    for path in sorted((SRC / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(m.split(".")[0] == "pymongo" for m in modules):
                found.append(f"{path.name}:{node.lineno} imports pymongo")
            if isinstance(node, ast.Attribute) and node.attr in ("db", "client"):
                found.append(f"{path.name}:{node.lineno} uses .{node.attr}")
    assert found == []
