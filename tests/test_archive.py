"""Archiving: records leave default searches, files move to ``archive/`` and back, verified."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId

from jwstdata.cli.archive import parse_age
from jwstdata.config import Settings
from jwstdata.db import RecordRepository
from jwstdata.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from jwstdata.models import AccessContext, JwstDataModel, ProcessingLevel, utcnow
from jwstdata.models.search import SearchQuery
from jwstdata.services.archive import (
    MOVES_COLLECTION,
    ArchiveCopyError,
    ArchiveCriteria,
    ArchiveService,
)
from jwstdata.services.records import RecordService
from jwstdata.storage import LocalStorage, S3Storage, StorageProvider
from tests.factories import make_record

ADMIN = AccessContext.admin()


class SimulatedCrash(Exception):
    """Stands for the process dying at one step (not a jwstdata error: nothing catches it)."""


@pytest.fixture
def storage(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.local_storage_root)


@pytest.fixture
def service(repo: RecordRepository, storage: LocalStorage, settings: Settings) -> ArchiveService:
    return ArchiveService(repo, storage, settings)


def stored(
    repo: RecordRepository, storage: StorageProvider, content: bytes | None = None, **fields: Any
) -> JwstDataModel:
    """A record whose file is really stored, with its true checksum and size."""
    record = make_record(**fields)
    content = content if content is not None else f"SIMPLE = T {record.file_name}".encode()
    written = storage.write_stream(record.file_path, io.BytesIO(content))
    return repo.create(
        record.model_copy(update={"checksum": written.sha256, "file_size": written.size})
    )


def sha(storage: StorageProvider, key: str) -> str:
    with storage.open_read(key) as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def test_archive_and_unarchive_round_trip(
    service: ArchiveService, repo: RecordRepository, storage: LocalStorage
) -> None:
    parent = stored(repo, storage, processingLevel="L2a")
    record = stored(repo, storage, parentId=parent.id, derivedFrom=[parent.id], tags=["deep"])
    original = record.file_path
    before = record.to_json()

    outcome = service.archive_record(record.object_id, ADMIN)
    archived = outcome.record
    assert outcome.status == "archived" and outcome.moved and not outcome.reused_copy
    assert archived.is_archived and archived.archived_date is not None
    assert archived.file_path == f"archive/{original}"
    assert archived.archived_from == original and "archivedFrom" not in archived.metadata
    assert not storage.exists(original)
    assert sha(storage, archived.file_path) == record.checksum
    # Lineage and everything else a user set stays as it was.
    after = archived.to_json()
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {
        "filePath",
        "isArchived",
        "archivedDate",
        "archivedFrom",
        "updatedAt",
        "version",
    }

    # Default searches and counts skip it; an explicit filter still finds it.
    assert [r.id for r in repo.search(SearchQuery(), ADMIN).items] == [parent.id]
    assert repo.count(SearchQuery(), ADMIN) == 1
    assert repo.count(SearchQuery(is_archived=True), ADMIN) == 1
    assert repo.count(SearchQuery(is_archived=None), ADMIN) == 2
    assert repo.facets(SearchQuery(), ADMIN)["processingLevel"] == [{"value": "L2a", "count": 1}]
    assert RecordService(repo, storage).stats(SearchQuery(), ADMIN)["count"] == 1
    assert repo.get(record.object_id, ADMIN).parent_id == parent.id  # reachable by id

    again = service.archive_record(record.object_id, ADMIN)
    assert again.status == "already archived" and not again.moved

    back = service.unarchive_record(record.object_id, ADMIN)
    restored = back.record
    assert back.status == "unarchived" and back.moved
    assert restored.file_path == original and not restored.is_archived
    assert restored.archived_date is None and restored.archived_from is None
    assert sha(storage, original) == record.checksum
    assert not storage.exists(f"archive/{original}")
    assert repo.count(SearchQuery(), ADMIN) == 2
    assert restored.parent_id == parent.id and restored.derived_from == [parent.id]
    assert service.unarchive_record(record.object_id, ADMIN).status == "not archived"
    assert repo.collection.database[MOVES_COLLECTION].count_documents({}) == 0


def test_run_selects_by_age_level_and_observation(
    service: ArchiveService, repo: RecordRepository, storage: LocalStorage
) -> None:
    old = utcnow() - timedelta(days=400)
    old_l1 = [stored(repo, storage, uploadDate=old, processingLevel="L1") for _ in range(3)]
    old_l3 = stored(repo, storage, uploadDate=old, processingLevel="L3")
    other_obs = stored(
        repo, storage, uploadDate=old, processingLevel="L1", observationBaseId="jw01234-o002"
    )
    recent = stored(repo, storage, processingLevel="L1")

    criteria = ArchiveCriteria(older_than=timedelta(days=365), level=ProcessingLevel.L1)
    dry = service.run(criteria, dry_run=True)
    assert dry.matched == 4 and dry.archived == 0
    assert dry.bytes_matched == sum(r.file_size for r in [*old_l1, other_obs])
    assert repo.count(SearchQuery(is_archived=True), ADMIN) == 0

    narrow = ArchiveCriteria(
        older_than=timedelta(days=365),
        level=ProcessingLevel.L1,
        observation="jw02733-o001_t001_nircam",
    )
    seen: list[tuple[int, int]] = []
    report = service.run(narrow, progress=lambda done, total: seen.append((done, total)))
    assert report.matched == report.archived == report.files_moved == 3
    assert report.failed_count == 0 and seen[-1] == (3, 3)
    assert report.bytes_moved == sum(r.file_size for r in old_l1)
    archived = {r.id for r in repo.search(SearchQuery(is_archived=True), ADMIN).items}
    assert archived == {r.id for r in old_l1}

    everything_old = service.run(ArchiveCriteria(older_than=timedelta(days=365)))
    assert everything_old.archived == 2  # old_l3 and other_obs; the rest already are
    assert service.run(ArchiveCriteria(older_than=timedelta(days=365))).matched == 0
    assert not repo.get(recent.object_id, ADMIN).is_archived
    assert repo.get(old_l3.object_id, ADMIN).is_archived


def test_a_crash_between_copy_and_update_is_recovered_on_rerun(
    repo: RecordRepository, storage: LocalStorage, settings: Settings
) -> None:
    record = stored(repo, storage, uploadDate=utcnow() - timedelta(days=500))

    class CrashBeforeUpdate(ArchiveService):
        def _commit(self, record: JwstDataModel, changes: dict[str, Any]) -> JwstDataModel:
            raise SimulatedCrash

    criteria = ArchiveCriteria(older_than=timedelta(days=365))
    with pytest.raises(SimulatedCrash):
        CrashBeforeUpdate(repo, storage, settings).run(criteria)
    target = f"archive/{record.file_path}"
    assert storage.exists(target) and storage.exists(record.file_path)  # copied, not committed
    assert not repo.get(record.object_id, ADMIN).is_archived

    report = ArchiveService(repo, storage, settings).run(criteria)
    assert report.archived == 1 and report.reused_copies == 1 and report.failed_count == 0
    assert repo.get(record.object_id, ADMIN).file_path == target
    assert not storage.exists(record.file_path)
    assert sha(storage, target) == record.checksum
    assert repo.collection.database[MOVES_COLLECTION].count_documents({}) == 0


def test_a_crash_after_the_update_is_finished_by_the_next_run(
    repo: RecordRepository, storage: LocalStorage, settings: Settings
) -> None:
    record = stored(repo, storage, uploadDate=utcnow() - timedelta(days=500))

    class CrashBeforeDelete(ArchiveService):
        def _release(self, key: str) -> None:
            raise SimulatedCrash

    criteria = ArchiveCriteria(older_than=timedelta(days=365))
    with pytest.raises(SimulatedCrash):
        CrashBeforeDelete(repo, storage, settings).run(criteria)
    assert repo.get(record.object_id, ADMIN).is_archived
    assert storage.exists(record.file_path)  # the old copy is left behind...

    report = ArchiveService(repo, storage, settings).run(criteria)
    assert report.resumed == 1 and report.matched == 0
    assert not storage.exists(record.file_path)  # ...and removed by the next run
    assert storage.exists(f"archive/{record.file_path}")


def test_a_shared_file_stays_until_no_record_uses_it(
    service: ArchiveService, repo: RecordRepository, storage: LocalStorage
) -> None:
    first = stored(repo, storage, userId=ObjectId())
    second = repo.create(make_record(**{**first.to_document(), "userId": ObjectId(), "_id": None}))
    key, target = first.file_path, f"archive/{first.file_path}"

    service.archive_record(first.object_id, ADMIN)
    assert storage.exists(key) and storage.exists(target)  # the second record still uses key
    outcome = service.archive_record(second.object_id, ADMIN)
    assert outcome.reused_copy and not storage.exists(key)

    service.unarchive_record(first.object_id, ADMIN)
    assert storage.exists(key) and storage.exists(target)  # the second is still archived
    outcome = service.unarchive_record(second.object_id, ADMIN)
    assert outcome.reused_copy and not storage.exists(target)
    assert sha(storage, key) == first.checksum


def test_a_file_that_does_not_match_its_record_is_not_archived(
    service: ArchiveService, repo: RecordRepository, storage: LocalStorage
) -> None:
    record = stored(repo, storage)
    storage.write_stream(record.file_path, io.BytesIO(b"bit rot"))
    with pytest.raises(ArchiveCopyError, match="does not match its checksum"):
        service.archive_record(record.object_id, ADMIN)
    assert not repo.get(record.object_id, ADMIN).is_archived
    assert not storage.exists(f"archive/{record.file_path}")


def test_unarchive_refuses_when_the_key_was_taken_again(
    service: ArchiveService, repo: RecordRepository, storage: LocalStorage
) -> None:
    record = stored(repo, storage)
    service.archive_record(record.object_id, ADMIN)
    newer = stored(repo, storage, b"a re-ingested, different file", filePath=record.file_path)
    with pytest.raises(ConflictError, match=str(newer.id)):
        service.unarchive_record(record.object_id, ADMIN)
    assert repo.get(record.object_id, ADMIN).is_archived
    assert sha(storage, record.file_path) == newer.checksum


def test_records_without_a_file_only_change_flags(
    service: ArchiveService, repo: RecordRepository
) -> None:
    record = repo.create(make_record(filePath=None))
    assert service.archive_record(record.object_id, ADMIN).record.is_archived
    assert not service.unarchive_record(record.object_id, ADMIN).record.is_archived


def test_an_archived_record_whose_file_was_lost_returns_to_its_key(
    service: ArchiveService, repo: RecordRepository, storage: LocalStorage
) -> None:
    record = stored(repo, storage)
    archived = service.archive_record(record.object_id, ADMIN).record
    storage.delete(archived.file_path)
    repo.set_fields(record.object_id, {"fileMissing": True})  # as `storage verify --repair`
    back = service.unarchive_record(record.object_id, ADMIN)
    assert back.status == "unarchived" and not back.moved
    assert back.record.file_path == record.file_path and not back.record.is_archived


def test_only_owners_and_admins_archive(service: ArchiveService, repo: RecordRepository) -> None:
    owner, other = ObjectId(), ObjectId()
    record = repo.create(make_record(filePath=None, userId=owner, isPublic=True))
    with pytest.raises(PermissionDeniedError):
        service.archive_record(record.object_id, AccessContext.user(other))
    private = repo.create(make_record(filePath=None, userId=ObjectId()))
    with pytest.raises(NotFoundError):
        service.archive_record(private.object_id, AccessContext.user(other))
    assert service.archive_record(record.object_id, AccessContext.user(owner)).record.is_archived


def test_s3_archive_uses_the_storage_class_and_comes_back(
    repo: RecordRepository, s3_storage: S3Storage, moto_client: Any, settings: Settings
) -> None:
    cfg = settings.model_copy(update={"archive_storage_class": "STANDARD_IA"})
    service = ArchiveService(repo, s3_storage, cfg)
    record = stored(repo, s3_storage, b"x" * 70_000)
    outcome = service.archive_record(record.object_id, ADMIN)
    assert outcome.storage_class == "STANDARD_IA"
    full = s3_storage.prefix + outcome.record.file_path
    head = moto_client.head_object(Bucket=s3_storage.bucket, Key=full)
    assert head["StorageClass"] == "STANDARD_IA"
    assert s3_storage.stat(outcome.record.file_path).sha256 == record.checksum  # metadata kept
    assert not s3_storage.exists(record.file_path)

    back = service.unarchive_record(record.object_id, ADMIN)
    assert back.record.file_path == record.file_path
    head = moto_client.head_object(
        Bucket=s3_storage.bucket, Key=s3_storage.prefix + record.file_path
    )
    assert head.get("StorageClass", "STANDARD") == "STANDARD"
    assert sha(s3_storage, record.file_path) == record.checksum
    assert not s3_storage.exists(outcome.record.file_path)


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ages_read_like_durations() -> None:
    assert parse_age("365d") == timedelta(days=365)
    assert parse_age("12w") == timedelta(weeks=12)
    assert parse_age("1y") == timedelta(days=365)
    assert parse_age(" 36h ") == timedelta(hours=36)
    with pytest.raises(ValidationError, match="invalid age 'soon'"):
        parse_age("soon")


def test_cli_archive_run_record_and_unarchive(
    repo: RecordRepository, storage: LocalStorage, cli_env: dict[str, str]
) -> None:
    old = [stored(repo, storage, uploadDate=utcnow() - timedelta(days=40)) for _ in range(2)]
    fresh = stored(repo, storage)

    run = _cli(["archive", "--older-than", "4w", "--json"], cli_env)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["matched"] == summary["archived"] == summary["filesMoved"] == 2
    assert summary["failedCount"] == 0
    assert all(repo.get(r.object_id, ADMIN).is_archived for r in old)

    one = _cli(["archive", "record", str(fresh.id), "--json"], cli_env)
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["record"]["filePath"] == f"archive/{fresh.file_path}"
    back = _cli(["unarchive", str(fresh.id)], cli_env)
    assert back.returncode == 0 and "unarchived" in back.stdout
    assert storage.exists(fresh.file_path)
