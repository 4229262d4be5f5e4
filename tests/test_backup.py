"""Backups that restore: byte-identical documents, files with their checksums, refusals,
consistency while ingest writes, and crash recovery of a bulk ingest (server killed)."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository, init_database, open_database
from jwstdata.db.embedded import EmbeddedServer
from jwstdata.db.users import UserRepository
from jwstdata.errors import ConflictError
from jwstdata.models import AccessContext, utcnow
from jwstdata.models.record import SCHEMA_VERSION
from jwstdata.models.search import FacetName, SearchQuery
from jwstdata.services.archive import ArchiveService
from jwstdata.services.backup import BackupService
from jwstdata.services.backup_format import BackupError, verify_backup
from jwstdata.services.backup_restore import RestoreService
from jwstdata.services.records import RecordService
from jwstdata.services.storage_walk import stream_sha256
from jwstdata.storage import LocalStorage, StorageProvider
from tests import fitsfactory as ff
from tests.factories import make_record

ADMIN = AccessContext.admin()
RAW = CodecOptions(document_class=RawBSONDocument)
INGEST_FILES = 300


@pytest.fixture(scope="module")
def fits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small, distinct JWST files for the ingest tests (written once per module)."""
    folder = tmp_path_factory.mktemp("fits")
    for i in range(INGEST_FILES):
        ids = ff.Ids(exposure=f"{i + 1:05d}")
        ff.write_product(folder, "cal", ids=ids, seed=i, extras=False, shape=(8, 8))
    return folder


@pytest.fixture
def storage(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.local_storage_root)


def raw_state(handle: DatabaseHandle) -> dict[str, list[bytes]]:
    """Every document of every collection, as raw bytes, in ``_id`` order."""
    return {
        name: [
            doc.raw
            for doc in handle.db.get_collection(name, codec_options=RAW)
            .find({}, hint="_id_")
            .sort("_id", 1)
        ]
        for name in sorted(handle.db.list_collection_names())
        if not name.startswith("system.")
    }


def index_names(handle: DatabaseHandle) -> dict[str, set[str]]:
    return {
        name: {ix["name"] for ix in handle.db[name].list_indexes()}
        for name in handle.db.list_collection_names()
    }


def stored(repo: RecordRepository, storage: StorageProvider, **fields: Any) -> Any:
    record = make_record(**fields)
    written = storage.write_stream(record.file_path, io.BytesIO(os.urandom(3000)))
    return repo.create(
        record.model_copy(update={"checksum": written.sha256, "file_size": written.size})
    )


def assert_files_match_records(handle: DatabaseHandle, storage: StorageProvider) -> None:
    """Every record's file is there with its checksum, and every file has a record."""
    keys = set()
    projection = {"filePath": 1, "checksum": 1, "fileSize": 1}
    for doc in handle.db["jwst_data"].find({"filePath": {"$type": "string"}}, projection):
        keys.add(doc["filePath"])
        assert stream_sha256(storage, doc["filePath"]) == (doc["fileSize"], doc["checksum"])
    assert {info.key for info in storage.list()} == keys


@pytest.fixture
def populated(
    db_handle: DatabaseHandle, repo: RecordRepository, storage: LocalStorage, settings: Settings
) -> DatabaseHandle:
    """Records (with files, one archived, lineage links), users, a job, a refresh token."""
    owner = UserRepository.for_database(db_handle).create("Ada", "$argon2id$fake", email="a@b.c")
    parent = stored(repo, storage, userId=owner.id, processingLevel="L2a")
    for i in range(12):
        stored(
            repo,
            storage,
            userId=owner.id if i % 2 else None,
            isPublic=not i % 2,
            parentId=parent.id,
            derivedFrom=[parent.id],
            imageInfo={"instrument": "MIRI" if i % 3 else "NIRCAM", "targetName": f"M{i % 4}"},
        )
    archived = stored(repo, storage, uploadDate=utcnow() - timedelta(days=900))
    ArchiveService(repo, storage, settings).archive_record(archived.object_id, ADMIN)
    repo.create(make_record(filePath=None, description="metadata only"))
    db = db_handle.db
    db["jobs"].insert_one({"kind": "process", "state": "queued", "createdAt": utcnow()})
    db["jobs"].create_index([("kind", 1), ("state", 1)], name="custom_kind_state")
    db["refresh_tokens"].insert_one(
        {"tokenHash": "h" * 64, "userId": owner.id, "expiresAt": utcnow() + timedelta(days=9)}
    )
    db["odd_ids"].insert_many([{"_id": "text"}, {"_id": 7}, {"_id": ObjectId()}])
    return db_handle


def test_backup_drop_restore_gives_identical_documents_and_working_searches(
    populated: DatabaseHandle,
    repo: RecordRepository,
    storage: LocalStorage,
    settings: Settings,
    tmp_path: Path,
) -> None:
    handle = populated
    before = raw_state(handle)
    indexes_before = index_names(handle)
    query = SearchQuery(instrument=["MIRI"], limit=5)
    page_before = repo.search(query, ADMIN)
    facets_before = repo.facets(SearchQuery(), ADMIN, [FacetName.instrument])
    dest = tmp_path / "backup"

    report = BackupService(handle, storage, settings).create(dest, with_files=True)
    summary = report.to_json()
    assert summary["collections"]["jwst_data"] == 15 and summary["files"] == 14
    assert summary["missingFiles"] == []
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["schemaVersion"] == SCHEMA_VERSION and manifest["database"] == settings.database
    assert "custom_kind_state" in {ix["name"] for ix in manifest["collections"]["jobs"]["indexes"]}
    assert verify_backup(dest).ok

    handle.client.drop_database(settings.database)
    shutil.rmtree(storage.root)
    restored = RestoreService(handle, storage).restore(dest)

    assert restored.documents == sum(len(docs) for docs in before.values())
    assert restored.files_written == 14 and restored.index_failures == []
    assert raw_state(handle) == before  # byte for byte, every collection
    assert index_names(handle) == indexes_before
    assert_files_match_records(handle, storage)
    page = repo.search(query, ADMIN)
    assert [r.to_json() for r in page.items] == [r.to_json() for r in page_before.items]
    assert page.next_cursor == page_before.next_cursor
    assert repo.facets(SearchQuery(), ADMIN, [FacetName.instrument]) == facets_before
    assert repo.count(SearchQuery(is_archived=True), ADMIN) == 1
    assert restored.pending_migrations == []

    again = RestoreService(handle, storage).restore(dest, force=True)
    assert again.files_written == 0 and again.files_present == 14  # already there: skipped


def test_restore_refuses_a_database_that_is_not_empty(
    populated: DatabaseHandle, storage: LocalStorage, settings: Settings, tmp_path: Path
) -> None:
    dest = tmp_path / "backup"
    BackupService(populated, storage, settings).create(dest)
    with pytest.raises(ConflictError, match="is not empty"):
        RestoreService(populated, storage).restore(dest)
    other = open_database(settings, database=f"jwst_test_{uuid.uuid4().hex[:12]}")
    try:
        init_database(other)  # empty collections with indexes count as empty
        report = RestoreService(other, storage).restore(dest)
        assert report.collections["jwst_data"] == 15
        assert raw_state(other) == raw_state(populated)
    finally:
        other.client.drop_database(other.db.name)
        other.close()


def test_verify_and_restore_detect_a_damaged_or_incomplete_backup(
    populated: DatabaseHandle, storage: LocalStorage, settings: Settings, tmp_path: Path
) -> None:
    dest = tmp_path / "backup"
    BackupService(populated, storage, settings).create(dest, with_files=True)
    with pytest.raises(BackupError, match="not an empty directory"):
        BackupService(populated, storage, settings).create(dest)

    dump = dest / "collections" / "jwst_data.bson.gz"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    first_file = next((dest / "files").rglob("*.fits"))
    first_file.write_bytes(b"changed")
    report = verify_backup(dest)
    assert not report.ok
    assert any("jwst_data" in p and "sha256" in p for p in report.problems)
    assert any("does not match its size or sha256" in p for p in report.problems)
    target = populated.client.get_database(f"jwst_test_{uuid.uuid4().hex[:12]}")
    with pytest.raises(BackupError, match="damaged backup"):
        RestoreService(DatabaseHandle(populated.client, target, "", False), storage).restore(dest)
    assert target.list_collection_names() == []  # refused before writing anything

    (dest / "manifest.json").unlink()
    with pytest.raises(BackupError, match="incomplete"):
        verify_backup(dest)


def test_records_that_change_during_the_backup_enter_it_with_their_file(
    populated: DatabaseHandle,
    repo: RecordRepository,
    storage: LocalStorage,
    settings: Settings,
    tmp_path: Path,
) -> None:
    records = list(repo.collection.find({"filePath": {"$regex": "^ingest/"}}).sort("_id", 1))
    gone, changed = records[1]["_id"], records[2]["_id"]

    def meanwhile(phase: str, done: int, total: int | None) -> None:
        """Right after the records were read: one is deleted, one re-ingested."""
        if phase == "jwst_data":
            RecordService(repo, storage).delete(gone, ADMIN)
            key = records[2]["filePath"]
            written = storage.write_stream(key, io.BytesIO(b"re-ingested content"))
            repo.set_fields(changed, {"checksum": written.sha256, "fileSize": written.size})

    dest = tmp_path / "backup"
    BackupService(populated, storage, settings).create(dest, with_files=True, progress=meanwhile)
    assert verify_backup(dest).ok
    target = open_database(settings, database=f"jwst_test_{uuid.uuid4().hex[:12]}")
    restored_files = LocalStorage(tmp_path / "restored")
    try:
        RestoreService(target, restored_files).restore(dest)
        assert target.db["jwst_data"].count_documents({"_id": gone}) == 0
        assert target.db["jwst_data"].find_one({"_id": changed})["fileSize"] == 19
        assert_files_match_records(target, restored_files)
        assert raw_state(target)["jwst_data"] == raw_state(populated)["jwst_data"]
    finally:
        target.client.drop_database(target.db.name)
        target.close()


def _ingest(folder: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jwstdata", "ingest", str(folder), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_records(collection: Any, process: subprocess.Popen[str], at_least: int = 1) -> None:
    deadline = time.monotonic() + 120
    while collection.estimated_document_count() < at_least:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "ingest wrote no records"
        time.sleep(0.02)


@pytest.mark.slow
def test_a_backup_taken_while_ingest_writes_restores_consistently(
    db_handle: DatabaseHandle,
    storage: LocalStorage,
    settings: Settings,
    cli_env: dict[str, str],
    fits_dir: Path,
    tmp_path: Path,
) -> None:
    ingest = _ingest(fits_dir, cli_env)
    _wait_for_records(db_handle.db["jwst_data"], ingest)
    dest = tmp_path / "backup"
    report = BackupService(db_handle, storage, settings).create(dest, with_files=True)
    _, err = ingest.communicate(timeout=300)
    assert ingest.returncode == 0, err
    backed_up = report.to_json()["collections"]["jwst_data"]
    assert 1 <= backed_up <= INGEST_FILES
    assert verify_backup(dest).ok

    target = open_database(settings, database=f"jwst_test_{uuid.uuid4().hex[:12]}")
    restored_files = LocalStorage(tmp_path / "restored")
    try:
        restored = RestoreService(target, restored_files).restore(dest)
        assert restored.collections["jwst_data"] == backed_up
        assert_files_match_records(target, restored_files)  # no record without its file
    finally:
        target.client.drop_database(target.db.name)
        target.close()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """A SecantusDB of this test's own, to be killed."""
    server = EmbeddedServer(Settings(home=tmp_path / "server", mongodb_uri=None))
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
def test_killing_the_server_mid_ingest_leaves_no_duplicates_or_orphans(
    own_server: EmbeddedServer, fits_dir: Path, tmp_path: Path
) -> None:
    state = own_server.start()
    name = "jwst_crash"
    settings = Settings(
        mongodb_uri=state.uri, database=name, home=tmp_path / "home", connect_retries=0
    )
    with open_database(settings) as handle:
        init_database(handle)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWSTDATA_")}
    env.update(
        JWSTDATA_MONGODB_URI=state.uri,
        JWSTDATA_DATABASE=name,
        JWSTDATA_HOME=str(settings.home),
        JWSTDATA_SERVER_SELECTION_TIMEOUT_MS="2000",
        JWSTDATA_CONNECT_RETRIES="0",
    )
    ingest = _ingest(fits_dir, env)
    watcher: MongoClient = MongoClient(state.uri, serverSelectionTimeoutMS=2000)
    try:
        _wait_for_records(watcher[name]["jwst_data"], ingest)
    finally:
        watcher.close()
    os.kill(state.pid, signal.SIGKILL)  # mid-write: the first batch is going in
    _, err = ingest.communicate(timeout=120)
    assert ingest.returncode != 0, "the ingest finished before the server was killed"
    assert "database unavailable" in err or "database operation failed" in err

    state = own_server.start()  # recovers the data directory, on a new port
    env["JWSTDATA_MONGODB_URI"] = state.uri
    rerun = subprocess.run(
        [sys.executable, "-m", "jwstdata", "ingest", str(fits_dir), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    outcome = json.loads(rerun.stdout)
    assert outcome["failed"] == [] and outcome["ingested"] + outcome["updated"] == INGEST_FILES

    with open_database(Settings(mongodb_uri=state.uri, database=name)) as handle:
        records = handle.db["jwst_data"]
        duplicates = list(
            records.aggregate(
                [
                    {"$group": {"_id": {"u": "$userId", "p": "$filePath"}, "n": {"$sum": 1}}},
                    {"$match": {"n": {"$gt": 1}}},
                ]
            )
        )
        assert duplicates == []
        assert records.count_documents({}) == INGEST_FILES
        assert_files_match_records(handle, LocalStorage(settings.local_storage_root))


def test_cli_backup_create_verify_restore(
    populated: DatabaseHandle, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    dest = tmp_path / "cli-backup"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jwstdata", *args],
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    created = cli("backup", "create", str(dest), "--with-files", "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["files"] == 14
    verified = cli("backup", "verify", str(dest), "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["ok"]
    refused = cli("backup", "restore", str(dest))
    assert refused.returncode == 1 and "is not empty" in refused.stderr
    other = f"jwst_test_{uuid.uuid4().hex[:12]}"
    try:
        restored = cli("backup", "restore", str(dest), "--database", other, "--json")
        assert restored.returncode == 0, restored.stderr
        assert json.loads(restored.stdout)["collections"]["jwst_data"] == 15
    finally:
        populated.client.drop_database(other)
    with gzip.open(dest / "files.jsonl.gz", "rt") as listing:
        assert len(listing.readlines()) == 14
