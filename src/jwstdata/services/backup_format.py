"""The backup format: a directory of gzip-compressed BSON dumps and a manifest.

Layout of a backup directory::

    manifest.json                 written last: a backup without it is incomplete
    collections/<name>.bson.gz    every document of a collection, in ``_id`` order
    files/<storage key>           with ``--with-files``: each file a record points to
    files.jsonl.gz                with ``--with-files``: key, size and sha256 per file

A ``.bson`` stream is mongodump's format: BSON documents back to back, each starting with
its own length (``gunzip`` one and ``bsondump`` reads it). Documents are read and written as
raw bytes, never decoded into Python values and encoded again, so a restored document is
byte-for-byte the one backed up. The manifest names the format, the tool version, the record
schema version, the database and the times; per collection, the document count, the sha256
of the compressed file and of the uncompressed stream (restore compares the latter with the
restored collection read back in ``_id`` order), the collection options and its indexes;
and, with files, the count, total size and sha256 of ``files.jsonl.gz``.

:func:`verify_backup` re-reads everything and compares it with the manifest.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from bson import json_util
from bson.errors import InvalidBSON
from bson.json_util import RELAXED_JSON_OPTIONS
from bson.raw_bson import RawBSONDocument

from jwstdata.digests import sha256_of
from jwstdata.errors import NotFoundError, ValidationError
from jwstdata.services.storage_walk import stream_sha256
from jwstdata.storage import LocalStorage

FORMAT = "jwstdata-backup/1"
MANIFEST = "manifest.json"
COLLECTIONS_DIR = "collections"
FILES_DIR = "files"
FILES_LIST = "files.jsonl.gz"
ID_INDEX = "_id_"
MAX_DOCUMENT = 48 * 1024 * 1024
_CHUNK = 1024 * 1024
# progress(phase, done, total): phase names a collection or "files"; total None if unknown
BackupProgress = Callable[[str, int, int | None], None]


class BackupError(ValidationError):
    """A backup directory that is missing, incomplete or damaged."""

    code = "backup_error"


# --- BSON streams -------------------------------------------------------------------------
def split_documents(data: bytes | memoryview) -> Iterator[memoryview]:
    """The documents of a buffer of back-to-back BSON documents (length-prefixed)."""
    view = memoryview(data)
    offset = 0
    while offset < len(view):
        (size,) = struct.unpack_from("<i", view, offset)
        if size < 5 or offset + size > len(view):
            raise BackupError("damaged BSON stream: a document length is out of range")
        yield view[offset : offset + size]
        offset += size


def iter_documents(path: Path) -> Iterator[bytes]:
    """Every document of a ``.bson.gz`` file, as raw bytes, reading 1 MiB at a time."""
    buffer = bytearray()
    with gzip.open(path, "rb") as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if chunk:
                buffer += chunk
            offset = 0
            while len(buffer) - offset >= 4:
                (size,) = struct.unpack_from("<i", buffer, offset)
                if size < 5 or size > MAX_DOCUMENT:
                    raise BackupError(f"{path.name}: damaged BSON stream (bad document length)")
                if len(buffer) - offset < size:
                    break
                yield bytes(buffer[offset : offset + size])
                offset += size
            del buffer[:offset]
            if not chunk:
                if buffer:
                    raise BackupError(f"{path.name}: truncated (the last document is cut off)")
                return


class _HashingFile:
    """A write-only file that hashes what passes through (the compressed bytes)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


@dataclass
class DumpWriter:
    """Writes one collection's ``.bson.gz`` and keeps its count and checksums."""

    path: Path
    level: int
    count: int = 0
    bytes: int = 0
    stream_sha256: Any = field(default_factory=hashlib.sha256)

    def __enter__(self) -> DumpWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "wb")
        self._hashing = _HashingFile(self._file)
        self._gzip = gzip.GzipFile(fileobj=self._hashing, mode="wb", compresslevel=self.level)  # type: ignore[arg-type]
        return self

    def write(self, data: bytes | memoryview, count: int) -> None:
        self._gzip.write(data)
        self.stream_sha256.update(data)
        self.count += count
        self.bytes += len(data)

    def __exit__(self, *exc: object) -> None:
        self._gzip.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def entry(self) -> dict[str, Any]:
        return {
            "file": f"{COLLECTIONS_DIR}/{self.path.name}",
            "count": self.count,
            "bytes": self.bytes,
            "compressedBytes": self._hashing.size,
            "sha256": self._hashing.sha256.hexdigest(),
            "bsonSha256": self.stream_sha256.hexdigest(),
        }


def to_json_value(value: Any) -> Any:
    """BSON values (index options, collection options) as plain JSON, types kept."""
    return json.loads(json_util.dumps(value, json_options=RELAXED_JSON_OPTIONS))


def from_json_value(value: Any) -> Any:
    return json_util.loads(json.dumps(value))


def read_manifest(dest: Path) -> dict[str, Any]:
    path = Path(dest) / MANIFEST
    if not Path(dest).is_dir():
        raise BackupError(f"no backup at {dest}: not a directory")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{dest} holds no {MANIFEST}: the backup is incomplete (interrupted?) or not a backup"
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a {FORMAT} manifest")
    return manifest


def read_files_list(dest: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(Path(dest) / FILES_LIST, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


# --- verifying ----------------------------------------------------------------------------
@dataclass
class VerifyReport:
    dest: str
    collections: dict[str, int] = field(default_factory=dict)
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "backup": self.dest,
            "ok": self.ok,
            "collections": self.collections,
            "files": self.files,
            "problems": self.problems,
        }


def verify_backup(dest: Path, progress: BackupProgress | None = None) -> VerifyReport:
    """Re-hash and re-count everything the manifest lists; report every difference."""
    dest = Path(dest)
    manifest = read_manifest(dest)
    report = VerifyReport(str(dest))
    for name, entry in manifest["collections"].items():
        report.collections[name] = check_dump(dest, name, entry, report.problems)
        if progress:
            progress(name, report.collections[name], entry["count"])
    files = manifest.get("files")
    if files:
        report.files = check_files(dest, files, report.problems, progress)
    return report


def check_dump(dest: Path, name: str, entry: dict[str, Any], problems: list[str]) -> int:
    path = dest / entry["file"]
    if not path.is_file():
        problems.append(f"{name}: {entry['file']} is missing")
        return 0
    if sha256_of(path)[1] != entry["sha256"]:
        problems.append(f"{name}: {entry['file']} does not match its sha256 (damaged)")
    digest = hashlib.sha256()
    count = 0
    try:
        for raw in iter_documents(path):
            RawBSONDocument(raw).items()  # decodes the top level: catches damaged documents
            digest.update(raw)
            count += 1
    except (BackupError, OSError, EOFError, zlib.error, InvalidBSON) as exc:
        problems.append(f"{name}: cannot read {entry['file']}: {exc}")
        return count
    if count != entry["count"]:
        problems.append(f"{name}: {count} documents, the manifest says {entry['count']}")
    if digest.hexdigest() != entry["bsonSha256"]:
        problems.append(f"{name}: the documents do not match the manifest's bsonSha256")
    return count


def check_files(
    dest: Path, files: dict[str, Any], problems: list[str], progress: BackupProgress | None
) -> int:
    list_path = dest / files["list"]
    if not list_path.is_file() or sha256_of(list_path)[1] != files["sha256"]:
        problems.append(f"files: {files['list']} is missing or does not match its sha256")
        return 0
    store = LocalStorage(dest / files["directory"])
    count = 0
    for item in read_files_list(dest):
        count += 1
        try:
            size, sha256 = stream_sha256(store, item["key"])
        except NotFoundError:
            problems.append(f"file {item['key']!r} is missing")
            continue
        if (size, sha256) != (item["size"], item["sha256"]):
            problems.append(f"file {item['key']!r} does not match its size or sha256")
        if progress:
            progress("files", count, files["count"])
    if count != files["count"]:
        problems.append(f"files: {count} listed, the manifest says {files['count']}")
    return count
