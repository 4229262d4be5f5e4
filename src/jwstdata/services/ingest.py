"""Ingest local files: describe them in parallel, store them, write records in bulk, link.

Each file's name and headers are read in worker processes (both cores); the bytes are
copied through the storage provider, which computes the sha256 in the same pass; records
are written a batch at a time. A file is stored before its record is written, and removed
again when its record cannot be written, so a failure leaves neither a record nor an
orphan file. Ingesting the same file again updates its record (same owner and storage
key), never duplicates it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bson import ObjectId
from pydantic import ValidationError as PydanticValidationError

from jwstdata.db.records import RecordRepository
from jwstdata.errors import JwstDataError, ValidationError, pydantic_to_validation_error
from jwstdata.inflate import InflateLimits
from jwstdata.keys import ingest_key
from jwstdata.models import JwstDataModel, ProcessingStatus, utcnow
from jwstdata.services.describe import describe_file
from jwstdata.services.lineage import LineageLinker, prelink
from jwstdata.services.record_writer import RecordWriter
from jwstdata.storage import LocalStorage, StorageProvider

Progress = Callable[[int, int], None]
_INLINE_BELOW = 16  # fewer files than this are described in-process (no pool start-up)


@dataclass
class IngestOptions:
    recursive: bool = False
    in_place: bool = False
    owner_id: ObjectId | None = None
    public: bool = False
    tags: list[str] = field(default_factory=list)
    workers: int = max(1, os.cpu_count() or 1)
    batch_size: int = 250
    inflate: InflateLimits = field(default_factory=InflateLimits)  # bounds for .fits.gz headers


@dataclass
class IngestReport:
    ingested: int = 0
    updated: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    record_ids: list[ObjectId] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"ingested": self.ingested, "updated": self.updated, "failed": self.failed}


def discover(
    paths: Iterable[str | Path], recursive: bool
) -> tuple[list[Path], list[dict[str, str]]]:
    """Files to ingest (sorted, hidden files skipped) and paths that do not exist."""
    found: list[Path] = []
    missing: list[dict[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            walker = path.rglob("*") if recursive else path.iterdir()
            found += sorted(
                p
                for p in walker
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            missing.append({"path": str(path), "error": "no such file or directory"})
    return found, missing


def _describe_job(
    args: tuple[str, bool, InflateLimits],
) -> tuple[str, dict[str, Any] | None, str | None]:
    """Worker-process entry point: (path, fields or None, error or None)."""
    path, checksum, inflate = args
    try:
        description = describe_file(path, checksum=checksum, inflate=inflate)
        return path, description.fields, None
    except JwstDataError as exc:
        return path, None, exc.message
    except OSError as exc:
        return path, None, f"cannot read file: {exc.strerror or exc}"


class IngestService:
    def __init__(
        self, repo: RecordRepository, storage: StorageProvider, linker: LineageLinker | None = None
    ) -> None:
        self.repo = repo
        self.storage = storage
        self.writer = RecordWriter(repo, storage)
        self.linker = linker or LineageLinker(repo)

    def ingest(
        self, paths: Iterable[str | Path], options: IngestOptions, progress: Progress | None = None
    ) -> IngestReport:
        files, missing = discover(paths, options.recursive)
        report = IngestReport(failed=list(missing))
        root = self._in_place_root() if options.in_place else None
        total = len(files)
        batch: list[tuple[Path, dict[str, Any]]] = []
        for done, (path, fields, error) in enumerate(self._describe_all(files, options), start=1):
            if error is not None:
                report.failed.append({"path": str(path), "error": error})
            else:
                batch.append((path, fields))
            if len(batch) >= options.batch_size:
                self._write_batch(batch, options, root, report)
                batch = []
            if progress:
                progress(done, total)
        if batch:
            self._write_batch(batch, options, root, report)
        if report.record_ids:
            self.linker.link(report.record_ids)
        return report

    # --- stages -------------------------------------------------------------------------
    def _describe_all(
        self, files: list[Path], options: IngestOptions
    ) -> Iterator[tuple[Path, dict[str, Any] | None, str | None]]:
        jobs = [(str(p), options.in_place, options.inflate) for p in files]
        if len(jobs) < _INLINE_BELOW or options.workers <= 1:
            for job in jobs:
                path, fields, error = _describe_job(job)
                yield Path(path), fields, error
            return
        with ProcessPoolExecutor(max_workers=options.workers) as pool:
            chunk = max(1, min(64, len(jobs) // (options.workers * 8) or 1))
            for path, fields, error in pool.map(_describe_job, jobs, chunksize=chunk):
                yield Path(path), fields, error

    def _in_place_root(self) -> Path:
        if not isinstance(self.storage, LocalStorage):
            raise ValidationError("--in-place needs the local storage provider")
        return self.storage.root.resolve()

    def _key_for(self, path: Path, fields: dict[str, Any], root: Path | None) -> str:
        if root is None:
            program = _program_of(fields) or fields.get("imageInfo", {}).get("proposalId")
            return ingest_key(program, fields["fileName"])
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            raise ValidationError(
                f"--in-place: {path} is not under the storage root {root}"
            ) from None

    def _write_batch(
        self,
        batch: list[tuple[Path, dict[str, Any]]],
        options: IngestOptions,
        root: Path | None,
        report: IngestReport,
    ) -> None:
        prepared: list[tuple[Path, str, dict[str, Any]]] = []
        for path, fields in batch:
            try:
                key = self._key_for(path, fields, root)
            except JwstDataError as exc:
                report.failed.append({"path": str(path), "error": exc.message})
                continue
            prepared.append((path, key, fields))
        # Copy files (I/O and hashing release the GIL: threads suffice).
        stored: list[tuple[Path, str, dict[str, Any]]] = []
        if root is None:
            with ThreadPoolExecutor(max_workers=max(2, options.workers)) as pool:
                outcomes = pool.map(lambda item: self._store(*item), prepared)
                for (path, key, fields), error in zip(prepared, outcomes, strict=True):
                    if error:
                        report.failed.append({"path": str(path), "error": error})
                    else:
                        stored.append((path, key, fields))
        else:
            stored = prepared
        records: list[tuple[Path, JwstDataModel]] = []
        for path, key, fields in stored:
            try:
                records.append((path, self._record(key, fields, options)))
            except ValidationError as exc:
                report.failed.append({"path": str(path), "error": exc.message})
                if root is None:
                    self.writer.discard_file(key)
        outcome = self.writer.upsert(
            prelink([r for _, r in records]),
            owner=options.owner_id,
            remove_files_on_failure=root is None,
        )
        for index, message in outcome.failed.items():
            report.failed.append({"path": str(records[index][0]), "error": message})
        report.ingested += outcome.inserted
        report.updated += outcome.updated
        report.record_ids += outcome.ids

    def _store(self, path: Path, key: str, fields: dict[str, Any]) -> str | None:
        try:
            result = self.storage.write_path(key, path)
        except JwstDataError as exc:
            return exc.message
        except OSError as exc:
            return f"cannot read file: {exc.strerror or exc}"
        fields["fileSize"], fields["checksum"] = result.size, result.sha256
        return None

    @staticmethod
    def _record(key: str, fields: dict[str, Any], options: IngestOptions) -> JwstDataModel:
        now = utcnow()
        data = {
            **fields,
            "filePath": key,
            "userId": options.owner_id,
            "isPublic": options.public,
            "tags": options.tags,
            "uploadDate": now,
            "processingStatus": ProcessingStatus.completed,  # nothing queued (yet)
            "metadata": {**fields.get("metadata", {}), "source": "ingest"},
        }
        try:
            return JwstDataModel.model_validate({**data, "id": ObjectId()})
        except PydanticValidationError as exc:
            raise pydantic_to_validation_error(exc) from None


def _program_of(fields: dict[str, Any]) -> str | None:
    exposure = fields.get("exposureId") or ""
    base = fields.get("observationBaseId") or ""
    for text in (exposure, base):
        if text.startswith("jw") and text[2:7].isdigit():
            return text[2:7]
    return None


__all__ = ["IngestOptions", "IngestReport", "IngestService", "discover"]
