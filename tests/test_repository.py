"""Record repository CRUD, conflicts, bulk insert and server-side validation."""

from __future__ import annotations

import pytest
from bson import ObjectId

from jwstdata.db import DatabaseHandle, RecordRepository, init_database
from jwstdata.errors import (
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
    ValidationError,
)
from jwstdata.models import AccessContext, JwstDataModel
from tests.factories import make_record

ADMIN = AccessContext.admin()


def test_create_then_get_returns_the_same_record(repo: RecordRepository) -> None:
    created = repo.create(make_record(tags=["a"]))
    assert created.id is not None
    assert repo.get(created.id, ADMIN) == created


def test_get_unknown_id_is_not_found(repo: RecordRepository) -> None:
    with pytest.raises(NotFoundError):
        repo.get(ObjectId(), ADMIN)


def test_duplicate_owner_and_path_is_a_conflict_naming_the_fields(repo: RecordRepository) -> None:
    user = ObjectId()
    repo.create(make_record(filePath="uploads/u/1/x.fits", userId=user))
    with pytest.raises(DuplicateError) as info:
        repo.create(make_record(filePath="uploads/u/1/x.fits", userId=user))
    assert "filePath" in info.value.message and "userId" in info.value.message
    # The same key under another owner is a different record.
    repo.create(make_record(filePath="uploads/u/1/x.fits", userId=ObjectId()))


def test_update_applies_changes_and_bumps_version(repo: RecordRepository) -> None:
    record = repo.create(make_record())
    updated = repo.update(
        record.id, {"tags": ["hot"], "description": "ring"}, ADMIN, expected_version=1
    )
    assert updated.version == 2 and updated.tags == ["hot"] and updated.description == "ring"
    assert updated.updated_at >= record.updated_at
    assert repo.get(record.id, ADMIN).version == 2


def test_stale_version_is_a_conflict(repo: RecordRepository) -> None:
    record = repo.create(make_record())
    repo.update(record.id, {"tags": ["one"]}, ADMIN, expected_version=1)
    with pytest.raises(StaleVersionError) as info:
        repo.update(record.id, {"tags": ["two"]}, ADMIN, expected_version=1)
    assert info.value.details == {"currentVersion": 2}
    assert repo.get(record.id, ADMIN).tags == ["one"]


def test_update_is_validated_against_the_model(repo: RecordRepository) -> None:
    record = repo.create(make_record())
    with pytest.raises(ValidationError) as info:
        repo.update(record.id, {"fileSize": -5}, ADMIN)
    assert info.value.details[0]["field"] == "fileSize"
    with pytest.raises(ValidationError):
        repo.update(record.id, {"version": 99}, ADMIN)


def test_writes_need_owner_or_admin(repo: RecordRepository) -> None:
    owner, other = ObjectId(), ObjectId()
    record = repo.create(make_record(userId=owner, isPublic=True))
    with pytest.raises(PermissionDeniedError):
        repo.update(record.id, {"tags": ["x"]}, AccessContext.user(other))
    with pytest.raises(PermissionDeniedError):
        repo.delete(record.id, AccessContext.user(other))
    assert repo.update(record.id, {"tags": ["x"]}, AccessContext.user(owner)).tags == ["x"]


def test_public_mast_imports_are_admin_only(repo: RecordRepository) -> None:
    mast = repo.create(make_record(userId=None, isPublic=True, metadata={"source": "MAST"}))
    with pytest.raises(PermissionDeniedError):
        repo.update(mast.id, {"tags": ["mine"]}, AccessContext.user(ObjectId()))
    assert repo.update(mast.id, {"tags": ["curated"]}, ADMIN).tags == ["curated"]


def test_delete_returns_the_record_and_removes_it(repo: RecordRepository) -> None:
    record = repo.create(make_record())
    assert repo.delete(record.id, ADMIN).file_path == record.file_path
    with pytest.raises(NotFoundError):
        repo.get(record.id, ADMIN)


def test_bulk_insert_is_unordered_and_reports_each_failure(repo: RecordRepository) -> None:
    user = ObjectId()
    good = [make_record(userId=user) for _ in range(5)]
    clash = make_record(userId=user, filePath=good[1].file_path)
    invalid = {"fileName": "x.fits", "dataType": "nonsense"}
    report = repo.bulk_insert([good[0], good[1], clash, invalid, *good[2:]])
    assert len(report.inserted_ids) == 5
    assert [f["index"] for f in report.failed] == [2, 3]
    assert report.failed[0]["code"] == "duplicate"
    assert (
        report.failed[1]["code"] == "validation_error" and "dataType" in report.failed[1]["message"]
    )
    assert repo.collection.count_documents({}) == 5


def test_server_validator_rejects_writes_that_bypass_the_models(
    repo: RecordRepository, db_handle: DatabaseHandle
) -> None:
    from jwstdata.db import translate_errors

    if not db_handle.features.json_schema_validator:
        # Documented fallback: the models are the only validation, and init says so.
        assert init_database(db_handle).validators["jwst_data"].startswith("unsupported")
        pytest.skip("server lacks $jsonSchema validators (json_schema_validator=False)")
    with pytest.raises(ValidationError), translate_errors():
        repo.collection.insert_one(
            {"fileName": "x", "dataType": "bogus", "processingStatus": "pending"}
        )


def test_search_keys_are_stored_but_not_part_of_the_model(repo: RecordRepository) -> None:
    record = repo.create(make_record())
    raw = repo.collection.find_one({"_id": record.id})
    assert raw["_norm"]["targetName"] == "ngc-3132"
    assert "_norm" not in JwstDataModel.from_document(raw).to_json()
