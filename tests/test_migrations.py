"""Schema migrations: ordered, idempotent, visible in ``db status``, run by ``db migrate``."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from jwstdata.db import DatabaseHandle, RecordRepository
from jwstdata.db.migrations import (
    MIGRATIONS,
    MIGRATIONS_COLLECTION,
    migration_status,
    pending_migrations,
    run_migrations,
)
from jwstdata.models import AccessContext
from jwstdata.models.record import SCHEMA_VERSION
from jwstdata.models.search import SearchQuery
from tests.factories import make_record

ADMIN = AccessContext.admin()
RAW = CodecOptions(document_class=RawBSONDocument)


def _old_document(**changes: Any) -> dict[str, Any]:
    """A record as an older client wrote it: no schemaVersion, flags or search keys."""
    doc = make_record().to_document()
    for name in ("schemaVersion", "isArchived", "sharedWith", "_norm", "archivedDate"):
        doc.pop(name, None)
    doc.update(changes)
    return doc


def _raw_state(handle: DatabaseHandle) -> dict[str, list[bytes]]:
    """Every document of every collection as raw bytes, in ``_id`` order."""
    return {
        name: [
            doc.raw
            for doc in handle.db.get_collection(name, codec_options=RAW)
            .find({}, hint="_id_")
            .sort("_id", 1)
        ]
        for name in sorted(handle.db.list_collection_names())
    }


def test_old_documents_are_counted_migrated_and_then_searchable(
    db_handle: DatabaseHandle, repo: RecordRepository
) -> None:
    records = repo.collection
    records.insert_many([_old_document() for _ in range(4)])
    stale = _old_document(isArchived=False, archivedDate=make_record().upload_date)
    records.insert_one(stale)
    current = repo.create(make_record())
    current_raw = _raw_state(db_handle)["jwst_data"]
    repo.counters.recount(records)  # documents written past jwstdata: `db recount`

    # Without isArchived the four old documents are invisible to default searches.
    assert repo.count(SearchQuery(), ADMIN) == 2
    pending = {m.name: m.documents for m in pending_migrations(db_handle)}
    assert pending == {
        "record-defaults": 5,
        "search-keys": 5,
        "archived-date": 1,
        "text-search-terms": 5,
        "sky-footprints": 5,
    }

    report = run_migrations(db_handle)
    assert [item["number"] for item in report.applied] == [m.number for m in MIGRATIONS]
    assert pending_migrations(db_handle) == []
    assert repo.count(SearchQuery(), ADMIN) == 6
    assert repo.count(SearchQuery(target_name="ngc-31"), ADMIN) == 6
    migrated = records.find_one({"_id": stale["_id"]})
    assert migrated["schemaVersion"] == SCHEMA_VERSION == 2
    assert migrated["sharedWith"] == [] and migrated["archivedDate"] is None
    assert repo.get(stale["_id"], ADMIN).is_archived is False  # loads again
    current_doc = records.with_options(codec_options=RAW).find_one({"_id": current.id})
    assert current_doc.raw in current_raw  # a current record is left byte for byte


def test_applying_migrations_twice_changes_nothing_the_second_time(
    db_handle: DatabaseHandle, repo: RecordRepository
) -> None:
    repo.collection.insert_many([_old_document() for _ in range(3)])
    first = run_migrations(db_handle)
    assert first.changed > 0
    before = _raw_state(db_handle)
    second = run_migrations(db_handle)
    assert second.applied == [] and second.changed == 0
    assert second.unchanged == [m.number for m in MIGRATIONS]
    assert _raw_state(db_handle) == before  # byte for byte, the history included


def test_a_fresh_database_records_every_migration_once(db_handle: DatabaseHandle) -> None:
    assert pending_migrations(db_handle) == []
    assert not any(m.recorded for m in migration_status(db_handle))
    report = run_migrations(db_handle)
    assert [item["changed"] for item in report.applied] == [0] * len(MIGRATIONS)
    history = list(db_handle.db[MIGRATIONS_COLLECTION].find({}, hint="_id_").sort("_id", 1))
    assert [(h["_id"], h["name"], h["runs"]) for h in history] == [
        (m.number, m.name, 1) for m in MIGRATIONS
    ]
    assert run_migrations(db_handle).applied == []


def test_dry_run_counts_without_writing(db_handle: DatabaseHandle, repo: RecordRepository) -> None:
    repo.collection.insert_many([_old_document() for _ in range(2)])
    before = _raw_state(db_handle)
    report = run_migrations(db_handle, dry_run=True)
    assert {item["name"]: item["changed"] for item in report.applied}["record-defaults"] == 2
    assert _raw_state(db_handle) == before


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jwstdata", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_db_status_shows_pending_and_db_migrate_applies_them(
    repo: RecordRepository, cli_env: dict[str, str]
) -> None:
    repo.collection.insert_many([_old_document() for _ in range(3)])
    status = _cli(["db", "status", "--json"], cli_env)
    assert status.returncode == 0, status.stderr
    pending = json.loads(status.stdout)["pendingMigrations"]
    assert [(m["name"], m["documents"]) for m in pending] == [
        ("record-defaults", 3),
        ("search-keys", 3),
        ("text-search-terms", 3),
        ("sky-footprints", 3),
    ]
    migrate = _cli(["db", "migrate", "--json"], cli_env)
    assert migrate.returncode == 0, migrate.stderr
    assert json.loads(migrate.stdout)["documentsChanged"] == 3 * 3 + 3 + 3
    again = _cli(["db", "migrate"], cli_env)
    assert again.returncode == 0 and "nothing to migrate" in again.stdout
    status = _cli(["db", "status", "--json"], cli_env)
    assert json.loads(status.stdout)["pendingMigrations"] == []


# --- 4: pipeline suffixes, 5: text-search terms ------------------------------------------------
def _as_old_parser_stored(name: str, **changes: Any) -> dict[str, Any]:
    """A record of ``name`` as ingest stored it when the suffix was unknown to the parser."""
    doc = make_record(fileName=name, filePath=f"ingest/{name}").to_document()
    doc.update({"processingLevel": "unknown", "dataType": "metadata", "isViewable": False})
    doc.update(changes)
    return doc


def test_pipeline_suffixes_derive_levels_again_where_the_table_now_reads_the_name(
    db_handle: DatabaseHandle, repo: RecordRepository
) -> None:
    fringe = _as_old_parser_stored("jw01523003001_03102_00001_mirifulong_residual_fringe.fits")
    median = _as_old_parser_stored("jw02733-o001_t001_nircam_clear-f090w_median.fits")
    typed = _as_old_parser_stored("jw01345064001_03101_00001_nrs1_mbsub.fits", dataType="image")
    unreadable = _as_old_parser_stored("my_notes_median.fits")
    decided = _as_old_parser_stored("jw02733-o001_t001_nircam_clear-f090w_blot.fits")
    decided.update(processingLevel="L2b")  # a level someone chose stays
    repo.collection.insert_many([fringe, median, typed, unreadable, decided])
    pending = {m.name: m.documents for m in pending_migrations(db_handle)}
    assert pending["pipeline-suffixes"] == 3
    run_migrations(db_handle)
    got = {
        d["fileName"]: (d["processingLevel"], d["dataType"], d["isViewable"])
        for d in repo.collection.find({}, hint="_id_")
    }
    assert got == {
        fringe["fileName"]: ("L2b", "spectral", True),
        median["fileName"]: ("L3", "image", True),
        typed["fileName"]: ("L2b", "image", False),  # the stored type was not the default
        unreadable["fileName"]: ("unknown", "metadata", False),
        decided["fileName"]: ("L2b", "metadata", False),
    }
    assert pending_migrations(db_handle) == []
    levels = repo.facets(SearchQuery(), ADMIN)["processingLevel"]
    assert {r["value"]: r["count"] for r in levels} == {"L2b": 3, "L3": 1, "unknown": 1}


def test_text_search_terms_are_added_to_records_written_before_them(
    db_handle: DatabaseHandle, repo: RecordRepository
) -> None:
    doc = make_record(imageInfo={"targetName": "NGC 3132", "filter": "F090W"}).to_document()
    doc["_norm"] = {"targetName": "ngc 3132"}  # what migration 2 wrote
    repo.collection.insert_one(doc)
    repo.counters.recount(repo.collection)
    assert repo.count(SearchQuery(text="ngc3132"), ADMIN) == 0
    assert {m.name: m.documents for m in pending_migrations(db_handle)} == {"text-search-terms": 1}
    report = run_migrations(db_handle)
    assert {i["name"]: i["changed"] for i in report.applied}["text-search-terms"] == 1
    for text in ("ngc3132", "NGC 3132", "ngc-3132", "f090w", "nrca1"):
        assert repo.count(SearchQuery(text=text), ADMIN) == 1, text
    stored = repo.collection.find_one({"_id": doc["_id"]})["_norm"]
    assert stored["detector"] == "NRCA1" and stored["targetName"] == "ngc 3132"
    detectors = repo.facets(SearchQuery(), ADMIN)["detector"]
    assert detectors == [{"value": "NRCA1", "count": 1}]
