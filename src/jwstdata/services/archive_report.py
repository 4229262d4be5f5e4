"""What an archive run is asked to do, and what it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from jwstdata.db.archive_store import ArchiveCriteria
from jwstdata.models import JwstDataModel


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


__all__ = ["ArchiveCriteria", "ArchiveReport", "MoveOutcome"]
