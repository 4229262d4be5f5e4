"""Records and files never drift apart: verify, repair, garbage collection and migration.

Real SecantusDB, real local storage and moto's S3 server over HTTP. Failures are real
too: an S3 endpoint that is down (a closed port, later served by a relay to moto), and a
target provider that stops accepting writes half-way through a migration.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import select
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from jwstdata.config import Settings
from jwstdata.db import RecordRepository
from jwstdata.errors import ConfigurationError, StorageError
from jwstdata.models import AccessContext, JwstDataModel
from jwstdata.services.record_writer import GC_COLLECTION, RecordWriter
from jwstdata.services.records import RecordService
from jwstdata.services.storage_check import StorageVerifier, collect_queued
from jwstdata.services.storage_migrate import STATE_COLLECTION, StorageMigrator
from jwstdata.storage import LocalStorage, S3Storage, StorageProvider, WriteResult
from tests.factories import make_record
from tests.plugins.moto_server import MOTO_REGION, TEST_PART_SIZE, TEST_PREFIX, free_port

ADMIN = AccessContext.admin()
NOW = timedelta(0)  # no grace: files made by the test are old enough to be repaired


def store(repo: RecordRepository, storage: StorageProvider, data: bytes, **fields: Any):
    """A file written first, then its record (the order the services use)."""
    record = make_record(**fields)
    written = storage.write_stream(record.file_path, io.BytesIO(data))
    return repo.create(
        record.model_copy(update={"file_size": written.size, "checksum": written.sha256})
    )


def content(n: int, size: int = 3000) -> bytes:
    return (f"SIMPLE  = T / file {n} ".encode() * (size // 20 + 1))[:size]


def reload(repo: RecordRepository, record: JwstDataModel) -> JwstDataModel:
    return repo.get(record.object_id, ADMIN)


# --- verify and repair -------------------------------------------------------------------


def test_verify_finds_each_kind_of_drift_and_writes_nothing(
    repo: RecordRepository, local_storage: LocalStorage
) -> None:
    good = [store(repo, local_storage, content(i)) for i in range(3)]
    gone, short, altered = (store(repo, local_storage, content(10 + i)) for i in range(3))
    repo.create(make_record(filePath=None))  # metadata only: no file to check
    local_storage.local_path(gone.file_path).unlink()
    with open(local_storage.local_path(short.file_path), "r+b") as handle:
        handle.truncate(100)
    local_storage.local_path(altered.file_path).write_bytes(b"x" * altered.file_size)
    local_storage.write_stream("ingest/stray/left_behind.fits", io.BytesIO(b"orphan bytes"))
    versions = {d["_id"]: d["version"] for d in repo.collection.find({}, {"version": 1})}

    verifier = StorageVerifier(repo, local_storage, batch_size=2)  # several keyset batches
    report = verifier.verify()
    assert report.records_checked == 6 and report.files_listed == 6
    assert [(m.record_id, m.key) for m in report.missing] == [(gone.id, gone.file_path)]
    assert [(o.key, o.size) for o in report.orphans] == [("ingest/stray/left_behind.fits", 12)]
    assert [(m.key, m.recorded, m.actual) for m in report.size_mismatch] == [
        (short.file_path, short.file_size, 100)
    ]
    assert report.checksum_mismatch == [] and not report.ok and report.drift == 3

    hashed = verifier.verify(checksums=True)
    assert [(m.key, m.recorded) for m in hashed.checksum_mismatch] == [
        (altered.file_path, altered.checksum)
    ]
    assert (
        hashed.checksum_mismatch[0].actual == hashlib.sha256(b"x" * altered.file_size).hexdigest()
    )
    assert hashed.bytes_hashed == sum(r.file_size for r in [*good, altered])
    assert hashed.to_json()["counts"] == {
        "missing": 1,
        "orphans": 1,
        "sizeMismatch": 1,
        "checksumMismatch": 1,
        "queued": 0,
        "restored": 0,
    }
    assert {d["_id"]: d["version"] for d in repo.collection.find({}, {"version": 1})} == versions
    assert local_storage.exists("ingest/stray/left_behind.fits")


def test_repair_removes_old_orphans_marks_missing_and_never_deletes_records(
    repo: RecordRepository, local_storage: LocalStorage
) -> None:
    kept = store(repo, local_storage, content(1))
    lost = store(repo, local_storage, content(2))
    saved_bytes = local_storage.local_path(lost.file_path).read_bytes()
    local_storage.local_path(lost.file_path).unlink()
    local_storage.write_stream("uploads/u1/abc/stray.fits", io.BytesIO(b"stray"))
    verifier = StorageVerifier(repo, local_storage)

    young = verifier.verify(repair=True)  # default grace: the orphan is too recent to delete
    assert young.repaired["orphans_kept"] == 1 and local_storage.exists("uploads/u1/abc/stray.fits")
    assert young.repaired["marked_missing"] == 1 and reload(repo, lost).file_missing

    def write_during_walk(phase: str, done: int, total: int | None) -> None:
        if phase == "records":  # appears after the walk started: never judged
            # File times come from the kernel's coarse clock, which may lag the walk's
            # start by a tick; the default grace period covers that in real use.
            time.sleep(0.05)
            local_storage.write_stream("uploads/u1/new/arriving.fits", io.BytesIO(b"new"))

    repaired = verifier.verify(repair=True, grace=NOW, progress=write_during_walk)
    assert repaired.repaired["orphans_deleted"] == 1
    assert not local_storage.exists("uploads/u1/abc/stray.fits")
    assert local_storage.exists("uploads/u1/new/arriving.fits")
    assert repaired.counts["missing"] == 1 and repaired.repaired["marked_missing"] == 0
    assert repo.collection.count_documents({}) == 2 and not reload(repo, kept).file_missing

    local_storage.write_stream(lost.file_path, io.BytesIO(saved_bytes))  # restored from backup
    local_storage.delete("uploads/u1/new/arriving.fits")
    back = verifier.verify()
    assert [m.record_id for m in back.restored] == [lost.id] and back.ok
    assert reload(repo, lost).file_missing  # a plain verify writes nothing
    verifier.verify(repair=True)
    assert not reload(repo, lost).file_missing
    assert verifier.verify().to_json()["counts"]["restored"] == 0


# --- deletion while storage is down, collected later -------------------------------------


class _Relay(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        upstream = socket.create_connection(self.server.upstream)  # type: ignore[attr-defined]
        with upstream:
            ends = {self.request: upstream, upstream: self.request}
            while not self.server.stopping:  # type: ignore[attr-defined]
                readable, _, _ = select.select(list(ends), [], [], 0.2)
                for end in readable:
                    data = end.recv(65536)
                    if not data:
                        return
                    ends[end].sendall(data)


@pytest.fixture
def flaky_endpoint(moto_endpoint: str) -> Iterator[tuple[str, Any]]:
    """An endpoint URL on a closed port, and a function that brings it up (relaying to moto)."""
    port = free_port()
    servers: list[socketserver.ThreadingTCPServer] = []

    def bring_up() -> None:
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", port), _Relay)
        server.daemon_threads = True
        server.upstream = ("127.0.0.1", urlsplit(moto_endpoint).port)  # type: ignore[attr-defined]
        server.stopping = False  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)

    yield f"http://127.0.0.1:{port}", bring_up
    for server in servers:
        server.stopping = True  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


def test_delete_while_s3_is_down_queues_the_file_and_gc_collects_it_later(
    repo: RecordRepository,
    s3_storage: S3Storage,
    s3_bucket: str,
    boto_session: boto3.session.Session,
    flaky_endpoint: tuple[str, Any],
) -> None:
    endpoint, bring_up = flaky_endpoint
    storage = S3Storage(
        s3_bucket,
        prefix=TEST_PREFIX,
        endpoint_url=endpoint,
        region=MOTO_REGION,
        path_style=True,
        part_size=TEST_PART_SIZE,
        max_attempts=1,
        connect_timeout=1.0,
        session=boto_session,
    )
    record = store(repo, s3_storage, content(7))  # written while the service was reachable
    deleted = RecordService(repo, storage).delete(record.object_id, ADMIN)
    assert deleted.id == record.id and repo.collection.count_documents({}) == 0
    queue = repo.collection.database[GC_COLLECTION]
    assert [(e["key"], e["attempts"]) for e in queue.find()] == [(record.file_path, 1)]
    assert s3_storage.exists(record.file_path)  # the file outlived its record, but is queued

    bring_up()
    report = StorageVerifier(repo, storage).verify()  # a queued key is known, not an orphan
    assert report.queued == [record.file_path] and report.orphans == [] and report.ok
    assert collect_queued(RecordWriter(repo, storage)) == {"removed": 1, "kept": 0, "failing": 0}
    assert not s3_storage.exists(record.file_path) and queue.count_documents({}) == 0


# --- migration ---------------------------------------------------------------------------


def test_migration_local_to_s3_and_back_is_byte_identical(
    repo: RecordRepository, local_storage: LocalStorage, s3_storage: S3Storage
) -> None:
    originals = {
        store(repo, local_storage, data).file_path: data
        for data in (content(1), content(2, 100), os.urandom(TEST_PART_SIZE + 4321))
    }
    absent = repo.create(make_record(fileMissing=True))  # known missing: skipped, not fatal
    repo.create(make_record(filePath=None))
    seen: list[tuple[int, int]] = []

    there = StorageMigrator(repo, local_storage, s3_storage)
    report = there.migrate(progress=lambda r: seen.append((r.files_done, r.bytes_done)))
    assert report.complete and there.status() == "verified"
    assert (report.files_total, report.files_copied, report.files_marked_missing) == (4, 3, 1)
    assert report.bytes_copied == sum(map(len, originals.values())) and report.rate > 0
    assert seen[-1][0] == 4 and [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert "JWSTDATA_STORAGE=s3" in report.next_step and "--delete-source" in report.next_step
    for key, data in originals.items():
        with s3_storage.open_read(key) as stream:
            assert stream.read() == data
        assert local_storage.exists(key)  # the source stays until --delete-source
    assert StorageVerifier(repo, s3_storage).verify(checksums=True).drift == 1  # only `absent`

    again = there.migrate()
    assert (again.files_copied, again.files_skipped, again.complete) == (0, 3, True)
    there.delete_source(again)
    assert again.source_deleted == 3 and list(local_storage.list()) == []

    back = StorageMigrator(repo, s3_storage, local_storage).migrate()
    assert back.complete and back.files_copied == 3
    for key, data in originals.items():
        assert local_storage.local_path(key).read_bytes() == data
    assert reload(repo, absent).file_missing


class StopsAfter:
    """The real target, except that writes stop working after ``allowed`` of them."""

    def __init__(self, real: StorageProvider, allowed: int, error: BaseException) -> None:
        self.real, self.allowed, self.error = real, allowed, error

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def write_stream(self, key: str, stream: Any, **options: Any) -> WriteResult:
        if self.allowed <= 0:
            half = io.BytesIO(stream.read(500))  # dies mid-copy, like a killed process
            error = self.error

            class Dying:
                def read(self, size: int = -1) -> bytes:
                    data = half.read(size)
                    if not data:
                        raise error
                    return data

            return self.real.write_stream(key, Dying(), **options)
        self.allowed -= 1
        return self.real.write_stream(key, stream, **options)


def test_migration_resumes_after_interruption_and_switches_only_when_all_are_verified(
    repo: RecordRepository, local_storage: LocalStorage, s3_storage: S3Storage
) -> None:
    records = [store(repo, local_storage, content(i)) for i in range(6)]
    state = repo.collection.database[STATE_COLLECTION]

    def copied() -> list[str]:
        return sorted(o.key for o in s3_storage.list())

    killed = StopsAfter(s3_storage, 2, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        StorageMigrator(repo, local_storage, killed, batch_size=4).migrate()
    first = StorageMigrator(repo, local_storage, s3_storage)
    assert len(copied()) == 2 and first.status() == "copying"  # nothing half-written
    assert state.count_documents({"migration": first.migration_id}) == 2

    failing = StopsAfter(s3_storage, 1, StorageError("S3 is unavailable"))
    migrator = StorageMigrator(repo, local_storage, failing, max_consecutive_errors=2)
    with pytest.raises(StorageError, match="run the same command again to resume"):
        migrator.migrate()
    assert len(copied()) == 3 and first.status() == "copying"

    partial = StorageMigrator(repo, local_storage, StopsAfter(s3_storage, 1, StorageError("x")))
    report = partial.migrate()
    assert not report.complete and report.failed_count == 2 and report.files_skipped == 3
    assert "run the same command again" in report.next_step and first.status() == "copying"
    with pytest.raises(ConfigurationError, match="not complete"):
        partial.delete_source(report)

    final = first.migrate()
    assert final.complete and (final.files_skipped, final.files_copied) == (4, 2)
    assert first.status() == "verified"
    assert copied() == sorted(r.file_path for r in records)


def test_migration_never_carries_over_drift(
    repo: RecordRepository, local_storage: LocalStorage, tmp_path: Path
) -> None:
    fine = store(repo, local_storage, content(1))
    altered = store(repo, local_storage, content(2))
    gone = store(repo, local_storage, content(3))
    local_storage.local_path(altered.file_path).write_bytes(b"y" * altered.file_size)
    local_storage.local_path(gone.file_path).unlink()
    target = LocalStorage(tmp_path / "elsewhere")

    report = StorageMigrator(repo, local_storage, target).migrate()
    assert not report.complete and report.files_copied == 1
    errors = {f["key"]: f["error"] for f in report.failed}
    assert "differs from the record's checksum" in errors[altered.file_path]
    assert "verify --repair" in errors[gone.file_path]
    state = repo.collection.database[STATE_COLLECTION]
    assert [d["key"] for d in state.find({"key": {"$exists": True}})] == [fine.file_path]
    with pytest.raises(ConfigurationError, match="same"):
        StorageMigrator(repo, local_storage, LocalStorage(local_storage.root))


# --- the command line --------------------------------------------------------------------


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_storage_verify_repair_and_migrate(
    repo: RecordRepository,
    settings: Settings,
    cli_env: dict[str, str],
    s3_bucket: str,
    moto_endpoint: str,
    moto_client: Any,
) -> None:
    files = LocalStorage(settings.local_storage_root)  # $JWSTDATA_HOME/files
    kept = store(repo, files, content(1))
    lost = store(repo, files, content(2))
    files.local_path(lost.file_path).unlink()
    files.write_stream("ingest/misc/stray.fits", io.BytesIO(b"stray"))

    same_kind = subprocess.Popen(  # independent of the rest: runs alongside
        [sys.executable, "-m", "jwstdata", "storage", "migrate", "--to", "local"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    found = _cli(["storage", "verify", "--json"], cli_env)
    assert found.returncode == 1, found.stderr
    body = json.loads(found.stdout)
    assert body["ok"] is False and body["counts"]["missing"] == 1 and body["counts"]["orphans"] == 1
    assert body["missing"] == [{"id": str(lost.id), "key": lost.file_path}]

    fixed = _cli(["storage", "verify", "--json", "--repair", "--grace", "0"], cli_env)
    body = json.loads(fixed.stdout)
    assert body["repaired"]["orphansDeleted"] == 1 and body["repaired"]["markedMissing"] == 1
    assert not files.exists("ingest/misc/stray.fits") and reload(repo, lost).file_missing

    _out, same_error = same_kind.communicate(timeout=60)
    assert same_kind.returncode == 1
    assert same_error.strip() == "error: JWSTDATA_STORAGE is already local: nothing to migrate"

    s3_env = {
        **{k: v for k, v in cli_env.items() if not k.startswith("AWS_")},
        "JWSTDATA_S3_BUCKET": s3_bucket,
        "JWSTDATA_S3_ENDPOINT_URL": moto_endpoint,
        "JWSTDATA_S3_REGION": MOTO_REGION,
        "JWSTDATA_S3_PATH_STYLE": "true",
        **{k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    }
    moved = _cli(["storage", "migrate", "--to", "s3", "--json", "--delete-source"], s3_env)
    assert moved.returncode == 0, moved.stderr
    body = json.loads(moved.stdout)
    assert body["complete"] and body["filesCopied"] == 1 and body["filesMarkedMissing"] == 1
    assert body["sourceDeleted"] == 1 and "JWSTDATA_STORAGE=s3" in body["nextStep"]
    stored = moto_client.get_object(Bucket=s3_bucket, Key=kept.file_path)["Body"].read()
    assert stored == content(1) and not files.exists(kept.file_path)

    on_s3 = S3Storage(s3_bucket, endpoint_url=moto_endpoint, region=MOTO_REGION, path_style=True)
    after = StorageVerifier(repo, on_s3).verify(checksums=True)
    assert after.counts["missing"] == 1 and after.drift == 1  # only the record marked missing
