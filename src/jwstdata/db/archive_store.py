"""The queries of archiving: which records a run selects, the move notes, the record update.

A move note (``archive_moves``, ``_id`` = record id) says a file is on its way from one key
to another, so a crash leaves something the next run can finish. The order of the steps
and what a note means when found again are :mod:`jwstdata.services.archive`'s rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.indexes import ARCHIVE_MOVES
from jwstdata.models.base import utcnow
from jwstdata.models.enums import ProcessingLevel

if TYPE_CHECKING:
    from jwstdata.db.records import RecordRepository

CANDIDATE_PROJECTION = {"filePath": 1, "fileSize": 1, "fileName": 1, "uploadDate": 1}


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


@dataclass(frozen=True, slots=True)
class MoveNote:
    record_id: ObjectId
    op: str  # archive | unarchive
    from_key: str
    to_key: str
    started_at: datetime


class ArchiveMoves:
    """The notes of moves in progress (``archive_moves``)."""

    def __init__(self, database: Database, redacted_uri: str = "") -> None:
        self.collection = database[ARCHIVE_MOVES]
        self._uri = redacted_uri

    @classmethod
    def beside(cls, repo: RecordRepository) -> ArchiveMoves:
        """The notes in the database of ``repo``'s records."""
        return cls(repo.collection.database)

    def note(self, record_id: ObjectId, op: str, from_key: str, to_key: str) -> None:
        """Note (or replace the note of) a move of ``record_id``'s file, started now."""
        doc = {"op": op, "fromKey": from_key, "toKey": to_key, "startedAt": utcnow()}
        with translate_errors(self._uri):
            self.collection.replace_one(
                {"_id": record_id}, doc, upsert=True, hint=index_hint(self.collection, ID_INDEX)
            )

    def clear(self, record_id: ObjectId) -> None:
        with translate_errors(self._uri):
            self.collection.delete_one(
                {"_id": record_id}, hint=index_hint(self.collection, ID_INDEX)
            )

    def note_of(self, record_id: ObjectId) -> MoveNote | None:
        """The note of a move of ``record_id``'s file still in progress (or interrupted)."""
        with translate_errors(self._uri):
            doc = self.collection.find_one(
                {"_id": record_id}, hint=index_hint(self.collection, ID_INDEX)
            )
        return _note(doc) if doc is not None else None

    def every_note(self) -> list[MoveNote]:
        """Every move in progress or interrupted."""
        with translate_errors(self._uri):
            docs = list(self.collection.find({}, hint=index_hint(self.collection, ID_INDEX)))
        return [_note(doc) for doc in docs]


def _note(doc: dict[str, Any]) -> MoveNote:
    return MoveNote(doc["_id"], doc["op"], doc["fromKey"], doc["toKey"], doc["startedAt"])


class ArchiveRecords:
    """The record side of archiving: selecting records, and committing a move."""

    def __init__(self, collection: Collection, redacted_uri: str = "") -> None:
        self.collection = collection
        self._uri = redacted_uri

    @classmethod
    def of(cls, repo: RecordRepository) -> ArchiveRecords:
        return cls(repo.collection)

    def candidates(self, criteria: ArchiveCriteria, now: datetime) -> list[dict[str, Any]]:
        """The records ``criteria`` selects: ``_id``, ``filePath``, ``fileSize``,
        ``fileName`` and ``uploadDate`` of each."""
        with translate_errors(self._uri):
            return list(
                self.collection.find(
                    criteria.query(now),
                    CANDIDATE_PROJECTION,
                    hint=index_hint(self.collection, criteria.hint()),
                ).batch_size(1000)
            )

    def commit_move(
        self,
        record_id: ObjectId,
        *,
        version: int,
        file_path: str | None,
        was_archived: bool,
        changes: dict[str, Any],
    ) -> dict[str, Any] | None:
        """Apply ``changes`` (``isArchived``, and ``filePath``/``archivedFrom`` for a moved
        file) if the record is still at ``version``, ``file_path`` and ``was_archived``;
        the record after it, or None when it changed meanwhile."""
        now = utcnow()
        archived = bool(changes["isArchived"])
        update: dict[str, Any] = {
            "$set": {**changes, "archivedDate": now if archived else None, "updatedAt": now},
            "$inc": {"version": 1},
        }
        if not archived:
            update["$unset"] = {"metadata.archivedFrom": ""}
            update["$set"]["archivedFrom"] = None
        expected = {"_id": record_id, "version": version, "filePath": file_path}
        with translate_errors(self._uri):
            return self.collection.find_one_and_update(
                {**expected, "isArchived": was_archived},
                update,
                return_document=ReturnDocument.AFTER,
                hint=index_hint(self.collection, ID_INDEX),
            )
