"""What an archive run is asked to do, and what it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId

from jwstdata.models import JwstDataModel, ProcessingLevel


@dataclass(frozen=True)
class ArchiveCriteria:
    """Which records an archive run selects (all given conditions must hold)."""

    older_than: timedelta | None = None  # by uploadDate: when the record entered the catalog
    level: ProcessingLevel | None = None
    observation: str | None = None

    def query(self, now: datetime) -> dict[str, Any]:
        flt: dict[str, Any] = {"isArchived": False}
        if self.older_than is not None:
            flt["uploadDate"] = {"$lt": now - self.older_than}
        if self.level is not None:
            flt["processingLevel"] = ProcessingLevel(self.level).value
        if self.observation:
            flt["observationBaseId"] = self.observation
        return flt

    def hint(self) -> str:
        if self.observation:
            return "observation"
        if self.level is not None:
            return "level"
        return "recent" if self.older_than is not None else "archived"


@dataclass
class MoveOutcome:
    record: JwstDataModel
    status: str  # archived | unarchived | already archived | not archived
    moved: bool = False
    reused_copy: bool = False
    bytes: int = 0
    storage_class: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.record.id),
            "status": self.status,
            "filePath": self.record.file_path,
            "fileMoved": self.moved,
            "reusedCopy": self.reused_copy,
            "bytes": self.bytes,
            "storageClass": self.storage_class,
        }


@dataclass
class ArchiveReport:
    dry_run: bool
    criteria: dict[str, Any]
    matched: int = 0
    bytes_matched: int = 0
    archived: int = 0
    files_moved: int = 0
    bytes_moved: int = 0
    reused_copies: int = 0
    resumed: int = 0
    storage_class: str | None = None
    failed: list[dict[str, str]] = field(default_factory=list)
    failed_count: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    limit: int = 1000

    def fail(self, record_id: ObjectId, message: str) -> None:
        self.failed_count += 1
        if len(self.failed) < self.limit:
            self.failed.append({"id": str(record_id), "error": message})

    def to_json(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "criteria": self.criteria,
            "matched": self.matched,
            "bytesMatched": self.bytes_matched,
            "archived": self.archived,
            "filesMoved": self.files_moved,
            "bytesMoved": self.bytes_moved,
            "reusedCopies": self.reused_copies,
            "resumedMoves": self.resumed,
            "storageClass": self.storage_class,
            "failedCount": self.failed_count,
            "failed": self.failed,
            "sample": self.sample,
            "seconds": round(self.seconds, 3),
        }
