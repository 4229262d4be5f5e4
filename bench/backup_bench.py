"""Backup throughput: create, verify and restore ``--records`` realistic records, as JSON.

    python bench/backup_bench.py [--records 100000] [--files 1000] [--file-kib 256] [--uri ...]

Without ``--uri`` it starts its own embedded SecantusDB. The source database is loaded
with raw ``insert_many`` (no secondary indexes: backup reads in ``_id`` order and does not
use them); restore then builds every declared index, which is most of its time on the
embedded server. Phases are timed separately. A second, small dataset of ``--files``
records with a ``--file-kib`` file each measures ``--with-files`` (copy, sha256 checks,
restore of the files into a fresh local storage).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bson import ObjectId

from _common import database_uri, emit
from db_bench import realistic_records
from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, open_database
from jwstdata.db.records import to_stored
from jwstdata.services.backup import BackupService
from jwstdata.services.backup_format import verify_backup
from jwstdata.services.backup_restore import RestoreService
from jwstdata.storage import LocalStorage

MB = 1e6


def load(handle: DatabaseHandle, n: int, batch: int = 1000) -> float:
    documents = [to_stored(r.model_copy(update={"id": ObjectId()})) for r in realistic_records(n)]
    started = time.perf_counter()
    for i in range(0, n, batch):
        handle.db["jwst_data"].insert_many(documents[i : i + batch], ordered=False)
    return time.perf_counter() - started


def measure(
    source: DatabaseHandle,
    target: DatabaseHandle,
    storage: LocalStorage,
    restored_storage: LocalStorage,
    settings: Settings,
    dest: Path,
    with_files: bool,
) -> dict[str, Any]:
    started = time.perf_counter()
    backup = BackupService(source, storage, settings).create(dest, with_files=with_files)
    create_s = time.perf_counter() - started
    summary = backup.to_json()
    started = time.perf_counter()
    verified = verify_backup(dest)
    verify_s = time.perf_counter() - started
    assert verified.ok, verified.problems
    started = time.perf_counter()
    restored = RestoreService(target, restored_storage, settings.backup_workers).restore(dest)
    restore_s = time.perf_counter() - started
    docs = summary["documents"]
    bson_mb = summary["bsonBytes"] / MB
    compressed = sum(p.stat().st_size for p in (dest / "collections").iterdir())
    phases = restored.to_json()["seconds"]
    load_s = phases["insert"] + phases["verify"]
    result: dict[str, Any] = {
        "documents": docs,
        "bson_mb": round(bson_mb, 1),
        "compressed_mb": round(compressed / MB, 1),
        "create": {
            "seconds": round(create_s, 2),
            "documents_per_second": round(docs / create_s),
            "bson_mb_per_second": round(bson_mb / create_s, 1),
        },
        "verify": {
            "seconds": round(verify_s, 2),
            "documents_per_second": round(docs / verify_s),
        },
        "restore": {
            "seconds": round(restore_s, 2),
            "documents_per_second": round(docs / restore_s),
            "phases_seconds": phases,
            "load_and_verify_documents_per_second": round(docs / load_s) if load_s else None,
            "indexes_created": restored.indexes_created,
        },
    }
    if with_files:
        file_mb = summary["fileBytes"] / MB
        result["files"] = {
            "count": summary["files"],
            "mb": round(file_mb, 1),
            "create_with_files_mb_per_second": round(file_mb / create_s, 1),
            "restore_files_seconds": phases.get("files"),
            "restore_files_mb_per_second": round(file_mb / phases["files"], 1)
            if phases.get("files")
            else None,
        }
    return result


def file_dataset(handle: DatabaseHandle, storage: LocalStorage, n: int, kib: int) -> None:
    documents = []
    for record in realistic_records(n, seed=2):
        written = storage.write_stream(record.file_path, _Random(kib * 1024))
        stored = record.model_copy(
            update={"id": ObjectId(), "checksum": written.sha256, "file_size": written.size}
        )
        documents.append(to_stored(stored))
    handle.db["jwst_data"].insert_many(documents, ordered=False)


class _Random:
    """``size`` random bytes as a stream (no temporary file)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return os.urandom(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--file-kib", type=int, default=256)
    parser.add_argument("--uri")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="jwstdata-backup-bench-"))
    names: list[str] = []
    handles: list[DatabaseHandle] = []
    try:
        with database_uri(args.uri) as uri:
            settings = Settings(mongodb_uri=uri, home=work / "home")

            def fresh() -> DatabaseHandle:
                names.append(f"bench_backup_{uuid.uuid4().hex[:6]}")
                handles.append(open_database(settings, database=names[-1]))
                return handles[-1]

            source, target = fresh(), fresh()
            load_s = load(source, args.records)
            records = measure(
                source,
                target,
                LocalStorage(work / "unused"),
                LocalStorage(work / "unused-restored"),
                settings,
                work / "backup-records",
                with_files=False,
            )
            records["source_load_seconds"] = round(load_s, 2)
            files: dict[str, Any] | None = None
            if args.files:
                file_source, file_target = fresh(), fresh()
                storage = LocalStorage(work / "files")
                file_dataset(file_source, storage, args.files, args.file_kib)
                files = measure(
                    file_source,
                    file_target,
                    storage,
                    LocalStorage(work / "files-restored"),
                    settings,
                    work / "backup-files",
                    with_files=True,
                )
            server = source.client.admin.command("buildInfo")
            for handle, name in zip(handles, names, strict=True):
                handle.client.drop_database(name)
                handle.close()
            handles.clear()
    finally:
        for handle in handles:
            handle.close()
        shutil.rmtree(work, ignore_errors=True)

    emit(
        "backup",
        {
            "server": (server.get("secantusVersion") and f"SecantusDB {server['secantusVersion']}")
            or f"MongoDB-compatible {server.get('version')}",
            "records": args.records,
            "database_only": records,
            "with_files": files,
        },
    )


if __name__ == "__main__":
    main()
