"""``jwstdata backup create``: every collection of the database, and optionally the files.

Consistency. Each collection is read by one cursor in ``_id`` order, ``jwst_data`` first;
every document is read whole as it was at one moment (a write never shows half done). A
backup taken while nothing writes is a point-in-time copy. While writers run (ingest, the
API, workers), the collections are not frozen at one instant together: a record added
during the backup may or may not be in it. What holds regardless, with ``--with-files``,
is that **every record in the backup has its file, with the checksum the record states**:
files are copied after the records were read (ingest stores a file before it writes the
record, so a record that was read already has its file), and each copy is checked against
its records. A record whose file was deleted or replaced in the meantime (the record was
deleted or re-ingested after it was read) is read again: a deleted record leaves the
backup, a changed one enters it in its new version with its new file. Files written after
the records were read belong to records the backup does not hold and are not copied. For
one exact instant across collections on a production replica set use ``mongodump
--oplog`` or the provider's snapshots (see the README).

Memory: the key and checksum of each record with a file is held while files are copied
(about 250 bytes per record).
"""

from __future__ import annotations

import gzip
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bson.raw_bson import RawBSONDocument

import jwstdata
from jwstdata.config import Settings
from jwstdata.db.backup_store import BackupReader
from jwstdata.db.connection import DatabaseHandle
from jwstdata.db.indexes import INDEXES, RECORDS
from jwstdata.digests import sha256_of
from jwstdata.errors import NotFoundError
from jwstdata.models import utcnow
from jwstdata.models.record import SCHEMA_VERSION
from jwstdata.services.backup_format import (
    COLLECTIONS_DIR,
    FILES_DIR,
    FILES_LIST,
    FORMAT,
    MANIFEST,
    BackupError,
    BackupProgress,
    DumpWriter,
    iter_documents,
    split_documents,
    to_json_value,
)
from jwstdata.services.storage_walk import stream_sha256
from jwstdata.storage import LocalStorage, StorageProvider

_FIX_ATTEMPTS = 3


@dataclass
class NeededFiles:
    """The files the backed-up records point to: key -> {record id: (checksum, size)}."""

    by_key: dict[str, dict[Any, tuple[str | None, int | None]]] = field(default_factory=dict)
    key_of: dict[Any, str] = field(default_factory=dict)
    marked_missing: list[Any] = field(default_factory=list)

    def add(self, doc: RawBSONDocument) -> str | None:
        """Note the file of one record; its key, or None when it has none to copy."""
        key = doc.get("filePath")
        if not isinstance(key, str):
            return None
        if doc.get("fileMissing"):  # known missing (``storage verify --repair``)
            self.marked_missing.append(doc["_id"])
            return None
        self.by_key.setdefault(key, {})[doc["_id"]] = (doc.get("checksum"), doc.get("fileSize"))
        self.key_of[doc["_id"]] = key
        return key

    def remove(self, record_id: Any) -> None:
        key = self.key_of.pop(record_id, None)
        if key is not None:
            self.by_key[key].pop(record_id, None)


@dataclass
class BackupReport:
    manifest: dict[str, Any]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        docs = sum(c["count"] for c in self.manifest["collections"].values())
        raw = sum(c["bytes"] for c in self.manifest["collections"].values())
        files = self.manifest.get("files") or {}
        return {
            "database": self.manifest["database"],
            "collections": {n: c["count"] for n, c in self.manifest["collections"].items()},
            "documents": docs,
            "bsonBytes": raw,
            "files": files.get("count", 0),
            "fileBytes": files.get("bytes", 0),
            "missingFiles": self.manifest.get("missingFiles", []),
            "seconds": round(self.seconds, 3),
            "documentsPerSecond": round(docs / self.seconds) if self.seconds else None,
        }


class BackupService:
    def __init__(
        self, handle: DatabaseHandle, storage: StorageProvider, settings: Settings
    ) -> None:
        self.handle = handle
        self.reader = BackupReader(handle)
        self.storage = storage
        self.level = settings.backup_compression_level
        self.workers = settings.backup_workers

    def create(
        self, dest: Path, *, with_files: bool = False, progress: BackupProgress | None = None
    ) -> BackupReport:
        dest = Path(dest)
        if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
            raise BackupError(f"{dest} exists and is not an empty directory")
        dest.mkdir(parents=True, exist_ok=True)
        clock = time.monotonic()
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "tool": {"name": "jwstdata", "version": jwstdata.__version__},
            "schemaVersion": SCHEMA_VERSION,
            "database": self.reader.database_name,
            "startedAt": utcnow().isoformat(),
            "compression": f"gzip level {self.level}",
            "withFiles": with_files,
            "collections": {},
        }
        needed = NeededFiles()
        for name in self.reader.collection_names():
            entry = self._dump(dest, name, needed if with_files and name == RECORDS else None)
            manifest["collections"][name] = entry
            if progress:
                progress(name, entry["count"], entry["count"])
        if with_files:
            missing = FileCopier(self, dest, needed, manifest, progress).run()
            manifest["missingFiles"] = missing
        manifest["finishedAt"] = utcnow().isoformat()
        tmp = dest / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, dest / MANIFEST)
        return BackupReport(manifest, time.monotonic() - clock)

    def _dump(self, dest: Path, name: str, needed: NeededFiles | None) -> dict[str, Any]:
        options = self.reader.options(name)
        indexes = [to_json_value(ix) for ix in self.reader.indexes(name)]
        path = dest / COLLECTIONS_DIR / f"{name}.bson.gz"
        with DumpWriter(path, self.level) as writer:
            for batch in self.reader.raw_batches(name):
                docs = list(split_documents(batch))
                if needed is not None:
                    for doc in docs:
                        needed.add(RawBSONDocument(bytes(doc)))
                writer.write(batch, len(docs))
        return {
            **writer.entry(),
            "options": to_json_value(options),
            "indexes": indexes,
            "declaredIndexes": [spec.name for spec in INDEXES.get(name, ())],
        }


class FileCopier:
    """Copies the files of the backed-up records, repairing records that moved on."""

    def __init__(
        self,
        service: BackupService,
        dest: Path,
        needed: NeededFiles,
        manifest: dict[str, Any],
        progress: BackupProgress | None,
    ) -> None:
        self.service = service
        self.dest = dest
        self.needed = needed
        self.manifest = manifest
        self.progress = progress
        self.store = LocalStorage(dest / FILES_DIR)
        self.copied: dict[str, tuple[int, str]] = {}  # key -> (size, sha256)

    def run(self) -> list[dict[str, str]]:
        """Copy every needed file; returns the records whose file could not be had."""
        missing: dict[Any, str] = {
            record_id: "marked missing (see `jwstdata storage verify`)"
            for record_id in self.needed.marked_missing
        }
        stale = self._copy_all(sorted(self.needed.by_key))
        replaced: dict[Any, bytes | None] = {}
        for _attempt in range(_FIX_ATTEMPTS):
            if not stale:
                break
            stale = self._refetch(stale, replaced, missing)
        for record_id in stale:
            missing[record_id] = "its file kept changing while the backup ran"
        if replaced:
            self._rewrite_records(replaced)
        self._drop_unneeded_files()
        self._write_list()
        return [{"id": str(i), "reason": why} for i, why in missing.items()]

    def _copy_all(self, keys: list[str]) -> list[Any]:
        """Copy ``keys``; the ids of records whose file is gone or differs from the record."""
        stale: list[Any] = []
        with ThreadPoolExecutor(max_workers=self.service.workers) as pool:
            for done, (key, got) in enumerate(
                zip(keys, pool.map(self._copy_one, keys), strict=True), start=1
            ):
                for record_id, (checksum, size) in self.needed.by_key[key].items():
                    if got is None or checksum not in (None, got[1]) or size not in (None, got[0]):
                        stale.append(record_id)
                if self.progress:
                    self.progress("files", done, len(keys))
        return stale

    def _copy_one(self, key: str) -> tuple[int, str] | None:
        try:
            with self.service.storage.open_read(key) as stream:
                written = self.store.write_stream(key, stream)
        except NotFoundError:
            return None
        if stream_sha256(self.store, key) != (written.size, written.sha256):
            raise BackupError(f"the backup copy of {key!r} reads back differently")
        self.copied[key] = (written.size, written.sha256)
        return written.size, written.sha256

    def _refetch(
        self, ids: list[Any], replaced: dict[Any, bytes | None], missing: dict[Any, str]
    ) -> list[Any]:
        """Read records again; copy the files of changed ones; return ids still stale."""
        current = self.service.reader.records_by_id(ids)
        keys: set[str] = set()
        for record_id in ids:
            self.needed.remove(record_id)
            doc = current.get(record_id)
            replaced[record_id] = doc.raw if doc is not None else None
            if doc is not None:
                key = self.needed.add(doc)
                if key is not None:
                    keys.add(key)
                elif doc.get("fileMissing"):
                    missing[record_id] = "marked missing (see `jwstdata storage verify`)"
        return self._copy_all(sorted(keys)) if keys else []

    def _rewrite_records(self, replaced: dict[Any, bytes | None]) -> None:
        """Apply re-read records (new version, or gone) to the records dump."""
        entry = self.manifest["collections"][RECORDS]
        path = self.dest / entry["file"]
        tmp = path.with_name(path.name + ".tmp")
        with DumpWriter(tmp, self.service.level) as writer:
            for raw in iter_documents(path):
                record_id = RawBSONDocument(raw)["_id"]
                new = replaced.get(record_id, raw)  # None: deleted meanwhile
                if new is not None:
                    writer.write(new, 1)
        os.replace(tmp, path)
        entry.update({k: v for k, v in writer.entry().items() if k != "file"})

    def _drop_unneeded_files(self) -> None:
        """Files copied for records that have since left the backup (or moved to a new key)."""
        for key in [k for k, users in self.needed.by_key.items() if not users]:
            del self.needed.by_key[key]
            if self.copied.pop(key, None) is not None:
                self.store.delete(key)

    def _write_list(self) -> None:
        path = self.dest / FILES_LIST
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=self.service.level) as out:
            for key in sorted(self.copied):
                size, sha256 = self.copied[key]
                out.write(json.dumps({"key": key, "size": size, "sha256": sha256}) + "\n")
        self.manifest["files"] = {
            "list": FILES_LIST,
            "directory": FILES_DIR,
            "count": len(self.copied),
            "bytes": sum(size for size, _ in self.copied.values()),
            "sha256": sha256_of(path)[1],
        }
