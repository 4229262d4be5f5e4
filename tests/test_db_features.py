"""Feature detection and the portable fallbacks, on whichever server the suite runs against.

Every helper must give the same result whether the server has the feature (MongoDB,
SecantusDB) or not (FerretDB v1): these tests run unchanged on both.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from jwstdata.db import DatabaseHandle, init_database
from jwstdata.db.auth_indexes import LOGIN_ATTEMPTS, REFRESH_TOKENS
from jwstdata.db.features import PROBE_PREFIX, ServerFeatures, probe, server_features
from jwstdata.db.indexes import INDEXES, RECORD_INDEXES
from jwstdata.db.portable import (
    create_index,
    find_one_and_update,
    group,
    name_duplicate,
    project,
    purge_expired,
    trim_array,
)
from jwstdata.db.records import RecordRepository
from jwstdata.errors import DuplicateError
from jwstdata.models.base import utcnow
from tests.factories import make_record


def test_probe_is_cached_per_client_and_leaves_nothing_behind(db_handle: DatabaseHandle) -> None:
    features = db_handle.features
    assert isinstance(features, ServerFeatures)
    assert server_features(db_handle.db) is features
    assert features.server in ("mongodb", "secantusdb", "ferretdb") and features.version
    assert set(features.missing()) <= {f for f, v in features.as_dict().items() if v is False}
    assert not [n for n in db_handle.db.list_collection_names() if n.startswith(PROBE_PREFIX)]
    assert probe(db_handle.db) == features  # probing again gives the same answer


def test_init_reports_what_it_left_out(db_handle: DatabaseHandle) -> None:
    features = db_handle.features
    report = init_database(db_handle)
    assert report.missing_features == features.missing()
    assert report.indexes_failed == []
    expected = "applied" if features.json_schema_validator else "unsupported"
    assert report.validators["jwst_data"].startswith(expected)


def test_ttl_index_falls_back_to_a_plain_index_and_a_purge(db_handle: DatabaseHandle) -> None:
    features = db_handle.features
    collection = db_handle.db["ttl_probe"]
    dropped = create_index(collection, "expiresAt", name="ttl_probe", expireAfterSeconds=0)
    assert dropped == ([] if features.ttl_indexes else ["expireAfterSeconds"])
    assert "ttl_probe" in {ix["name"] for ix in collection.list_indexes()}
    now = utcnow()
    tokens = db_handle.db[REFRESH_TOKENS]
    tokens.insert_many(
        [
            {"tokenHash": "old", "expiresAt": now - timedelta(days=1)},
            {"tokenHash": "new", "expiresAt": now + timedelta(days=1)},
        ]
    )
    db_handle.db[LOGIN_ATTEMPTS].insert_one({"key": "k", "expiresAt": now - timedelta(1)})
    purged = purge_expired(db_handle.db, INDEXES)
    if features.ttl_indexes:
        assert purged == {}  # the server's TTL monitor does it
    else:
        # Every declared TTL index is purged (web_sessions too, which holds nothing here).
        assert {k: n for k, n in purged.items() if n} == {
            "refresh_tokens.refresh_expiry": 1,
            "login_attempts.attempt_expiry": 1,
        }
        assert tokens.count_documents({}) == 1


def test_find_one_and_update_projects_on_every_server(db_handle: DatabaseHandle) -> None:
    collection = db_handle.db["fam_probe"]
    collection.insert_one({"_id": 1, "a": 1, "secret": "x"})
    doc = find_one_and_update(collection, {"_id": 1}, {"$set": {"b": 2}}, projection={"a": 1})
    assert doc == {"_id": 1, "a": 1}
    missing = find_one_and_update(collection, {"_id": 9}, {"$set": {"b": 2}}, projection={"a": 1})
    assert missing is None
    assert project({"_id": 1, "a": 1, "s": 2}, {"s": 0}) == {"_id": 1, "a": 1}
    assert project({"_id": 1, "a": 1, "s": 2}, {"a": 1, "_id": 0}) == {"a": 1}


def test_group_computes_every_accumulator(db_handle: DatabaseHandle) -> None:
    collection = db_handle.db["group_probe"]
    collection.insert_many(
        [{"k": "a", "n": 2}, {"k": "a", "n": 3}, {"k": "b", "n": None}, {"k": "b"}, {"k": "c"}]
    )
    rows = group(collection, {}, {"key": "$k"}, {"count": {"$sum": 1}, "total": {"$sum": "$n"}})
    by_key = {row["_id"]["key"]: (row["count"], row["total"]) for row in rows}
    assert by_key == {"a": (2, 5), "b": (2, 0), "c": (1, 0)}


def test_trim_array_keeps_the_tail(db_handle: DatabaseHandle) -> None:
    collection = db_handle.db["slice_probe"]
    collection.insert_one({"_id": 1, "log": []})
    for batch in ([1, 2, 3], [4, 5]):
        collection.update_one({"_id": 1}, {"$push": {"log": {"$each": batch, "$slice": -3}}})
        trim_array(collection, {"_id": 1}, "log", 3)
    assert collection.find_one({"_id": 1})["log"] == [3, 4, 5]


def test_duplicates_name_their_fields_on_every_server(repo: RecordRepository) -> None:
    owner = ObjectId()
    first = repo.create(make_record(filePath="uploads/a.fits", userId=owner))
    with pytest.raises(DuplicateError) as info:
        repo.create(make_record(filePath="uploads/a.fits", userId=owner))
    assert info.value.details == {"fields": ["userId", "filePath"]}
    report = repo.bulk_insert([make_record(filePath="uploads/a.fits", userId=owner)])
    assert "userId, filePath" in report.failed[0]["message"]
    same_id = make_record(id=first.id, filePath="uploads/b.fits", userId=owner)
    with pytest.raises(DuplicateError) as info:
        repo.create(same_id)
    assert info.value.details == {"fields": ["_id"]}
    unnamed = DuplicateError("duplicate", details={"fields": []})
    doc = {"userId": owner, "filePath": "uploads/none.fits", "_id": ObjectId()}
    assert name_duplicate(unnamed, repo.collection, doc, RECORD_INDEXES) is unnamed
