"""``jwstdata backup restore``: a backup into an empty database, verified, then indexed.

The order is chosen for speed and for a truthful check:

1. the backup's compressed dumps are checked against the manifest's sha256 first, so a
   damaged backup is refused before anything is written;
2. the target must hold no documents (``force`` drops its collections first);
3. each collection is created with its options (its validator comes later) and its
   documents go in as raw BSON in batches, unchanged;
4. each collection is read back in ``_id`` order and compared with the manifest: the
   same count and the same sha256 of the BSON stream, i.e. byte-identical documents.
   This runs before any index exists, so TTL indexes cannot remove expired documents
   (old refresh tokens) before they are counted;
5. indexes: the declared ones (:data:`INDEXES`, one ``createIndexes`` per collection),
   then any other index the backup lists, then ``init_database`` (validators, anything
   still missing). Building indexes after loading is faster than loading into indexed
   collections;
6. with files in the backup (and ``files`` true), each file is written to the active
   storage and its sha256 compared with the backup's list; a file already there with the
   same size and sha256 is left alone, so an interrupted restore can be run again.

A backup made by a newer jwstdata (a higher record schema version) is refused; an older
one is restored as it is and ``jwstdata db migrate`` brings it up to date (the report
lists the pending migrations).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bson.raw_bson import RawBSONDocument

from jwstdata.db.backup_store import RestoreWriter
from jwstdata.db.connection import DatabaseHandle
from jwstdata.db.indexes import COUNTS, COUNTS_HEAVY, INDEXES
from jwstdata.db.migrations import pending_migrations
from jwstdata.db.setup import init_database
from jwstdata.db.validator import VALIDATORS
from jwstdata.digests import sha256_of
from jwstdata.errors import ConflictError, DatabaseError, NotFoundError
from jwstdata.models.record import SCHEMA_VERSION
from jwstdata.services.backup_format import (
    ID_INDEX,
    BackupError,
    BackupProgress,
    from_json_value,
    iter_documents,
    read_files_list,
    read_manifest,
    split_documents,
)
from jwstdata.services.storage_walk import stream_sha256
from jwstdata.storage import LocalStorage, StorageProvider

INSERT_BATCH = 1000
_VALIDATION_OPTIONS = ("validator", "validationLevel", "validationAction")


@dataclass
class RestoreReport:
    database: str
    collections: dict[str, int] = field(default_factory=dict)
    bson_bytes: int = 0
    files_written: int = 0
    files_present: int = 0
    file_bytes: int = 0
    indexes_created: int = 0
    index_failures: list[dict[str, str]] = field(default_factory=list)
    pending_migrations: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def documents(self) -> int:
        return sum(self.collections.values())

    def to_json(self) -> dict[str, Any]:
        total = sum(self.seconds.values())
        return {
            "database": self.database,
            "verified": True,
            "collections": self.collections,
            "documents": self.documents,
            "bsonBytes": self.bson_bytes,
            "filesWritten": self.files_written,
            "filesAlreadyPresent": self.files_present,
            "fileBytes": self.file_bytes,
            "indexesCreated": self.indexes_created,
            "indexFailures": self.index_failures,
            "pendingMigrations": self.pending_migrations,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "documentsPerSecond": round(self.documents / total) if total else None,
        }


def _batches(path: Path, size: int) -> Iterator[list[RawBSONDocument]]:
    batch: list[RawBSONDocument] = []
    for raw in iter_documents(path):
        batch.append(RawBSONDocument(raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class RestoreService:
    def __init__(self, handle: DatabaseHandle, storage: StorageProvider, workers: int = 4):
        self.handle = handle
        self.target = RestoreWriter(handle)
        self.storage = storage
        self.workers = workers

    def restore(
        self,
        dest: Path,
        *,
        force: bool = False,
        files: bool = True,
        progress: BackupProgress | None = None,
    ) -> RestoreReport:
        dest = Path(dest)
        manifest = read_manifest(dest)
        if int(manifest.get("schemaVersion", 1)) > SCHEMA_VERSION:
            raise BackupError(
                f"this backup holds record schema version {manifest['schemaVersion']}; this "
                f"jwstdata knows up to {SCHEMA_VERSION}: upgrade jwstdata to restore it"
            )
        report = RestoreReport(database=self.target.database_name)
        clock = time.monotonic()
        for entry in manifest["collections"].values():
            if sha256_of(dest / entry["file"])[1] != entry["sha256"]:
                raise BackupError(f"{entry['file']} does not match its sha256: damaged backup")
        self._empty_target(force)
        report.seconds["check"] = time.monotonic() - clock
        clock = time.monotonic()
        for name, entry in manifest["collections"].items():
            self._load(dest, name, entry, progress)
        report.seconds["insert"] = time.monotonic() - clock
        clock = time.monotonic()
        for name, entry in manifest["collections"].items():
            report.collections[name] = self._verify(name, entry)
            report.bson_bytes += entry["bytes"]
        report.seconds["verify"] = time.monotonic() - clock
        clock = time.monotonic()
        self._indexes(manifest, report, progress)
        report.seconds["indexes"] = time.monotonic() - clock
        if files and manifest.get("files"):
            clock = time.monotonic()
            self._restore_files(dest, manifest["files"], report, progress)
            report.seconds["files"] = time.monotonic() - clock
        clock = time.monotonic()
        report.pending_migrations = [m.to_json() for m in pending_migrations(self.handle)]
        report.seconds["migrationCheck"] = time.monotonic() - clock
        return report

    # --- the steps ------------------------------------------------------------------------
    def _empty_target(self, force: bool) -> None:
        names = self.target.all_collection_names()
        # The counters are derived from the records (``db init`` makes them for an empty
        # database): they alone do not make a database hold data.
        holding = self.target.holding_documents(n for n in names if n not in (COUNTS, COUNTS_HEAVY))
        if holding and not force:
            raise ConflictError(
                f"database {self.target.database_name!r} is not empty ({len(holding)} "
                f"collection(s) hold documents, e.g. {holding[0]!r}): restore into an empty "
                "database (--database NAME) or pass --force to replace its contents",
                details={"collections": holding},
            )
        self.target.drop(names)

    def _load(
        self, dest: Path, name: str, entry: dict[str, Any], progress: BackupProgress | None
    ) -> None:
        options = from_json_value(entry.get("options") or {})
        creatable = {k: v for k, v in options.items() if k not in _VALIDATION_OPTIONS}
        self.target.create(name, creatable)
        loaded = 0
        for batch in _batches(dest / entry["file"], INSERT_BATCH):
            refused = self.target.insert_raw(name, batch)
            if refused is not None:
                raise DatabaseError(
                    f"restore of {name} failed after {loaded} documents: {refused[:200]}"
                )
            loaded += len(batch)
            if progress:
                progress(name, loaded, entry["count"])

    def _verify(self, name: str, entry: dict[str, Any]) -> int:
        digest = hashlib.sha256()
        count = 0
        for batch in self.target.raw_batches(name):
            digest.update(batch)
            count += sum(1 for _ in split_documents(batch))
        if count != entry["count"] or digest.hexdigest() != entry["bsonSha256"]:
            raise DatabaseError(
                f"restore verification failed for {name}: {count} documents read back "
                f"(expected {entry['count']})"
                + ("" if count != entry["count"] else ", but their bytes differ")
            )
        return count

    def _indexes(
        self, manifest: dict[str, Any], report: RestoreReport, progress: BackupProgress | None
    ) -> None:
        for name, entry in manifest["collections"].items():
            if progress:
                progress(f"indexes of {name}", 0, None)
            # The declared indexes: init_database below (one createIndexes per collection).
            names = {spec.name for spec in INDEXES.get(name, ())} | {ID_INDEX}
            for spec in entry.get("indexes", []):
                if spec["name"] not in names:
                    self._create_listed_index(name, from_json_value(spec), report)
            options = from_json_value(entry.get("options") or {})
            validation = {k: options[k] for k in _VALIDATION_OPTIONS if k in options}
            if "validator" in validation and name not in VALIDATORS:
                self.target.set_validation(name, validation)
        init = init_database(self.handle)
        report.index_failures += [
            {"collection": f["index"], "error": f["error"]} for f in init.indexes_failed
        ]
        report.indexes_created = sum(
            1
            for name in manifest["collections"]
            for index in self.target.indexes(name)
            if index["name"] != ID_INDEX
        )

    def _create_listed_index(
        self, collection: str, spec: dict[str, Any], report: RestoreReport
    ) -> None:
        """An index the backup lists that is not declared (made by hand or an older version)."""
        refused = self.target.create_listed_index(collection, spec)
        if refused is not None:
            report.index_failures.append(
                {"collection": collection, "index": spec["name"], "error": refused[:200]}
            )

    def _restore_files(
        self,
        dest: Path,
        files: dict[str, Any],
        report: RestoreReport,
        progress: BackupProgress | None,
    ) -> None:
        if sha256_of(dest / files["list"])[1] != files["sha256"]:
            raise BackupError(f"{files['list']} does not match its sha256: damaged backup")
        source = LocalStorage(dest / files["directory"])
        items = list(read_files_list(dest))

        def restore_one(item: dict[str, Any]) -> bool:
            """True when written, False when the same file was already there."""
            expected = (item["size"], item["sha256"])
            try:
                if self.storage.size(item["key"]) == item["size"] and (
                    stream_sha256(self.storage, item["key"]) == expected
                ):
                    return False
            except NotFoundError:
                pass
            with source.open_read(item["key"]) as stream:
                written = self.storage.write_stream(item["key"], stream)
            if (written.size, written.sha256) != expected:
                raise BackupError(
                    f"file {item['key']!r} in the backup does not match its sha256 (damaged)"
                )
            return True

        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for done, (item, written) in enumerate(
                zip(items, pool.map(restore_one, items), strict=True), start=1
            ):
                report.files_written += written
                report.files_present += not written
                report.file_bytes += item["size"]
                if progress:
                    progress("files", done, len(items))
