"""The records of processing outputs, and the results a run leaves on its source.

:mod:`jwstdata.services.derived` (outputs follow their source) and
:mod:`jwstdata.services.processing_run` / :mod:`~jwstdata.services.processing_outputs`
(storing a run) decide what to keep; this store finds, replaces and deletes the records,
keeping the search counters in step with every write it makes.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from jwstdata.db.connection import translate_errors
from jwstdata.db.derived import outputs_of
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.records import RecordRepository, to_stored
from jwstdata.models import JwstDataModel, utcnow

# What a re-run leaves as it was on the record it replaces.
_KEPT_ON_REPLACE = ("_id", "version", "createdAt", "tags")


class OutputStore:
    def __init__(self, repo: RecordRepository) -> None:
        self.repo = repo
        self.collection = repo.collection

    # --- reads --------------------------------------------------------------------------
    def outputs_of(self, source_id: ObjectId) -> list[dict[str, Any]]:
        """The processing outputs made directly from ``source_id`` (stored documents)."""
        return self.matching(outputs_of(source_id))

    def matching(self, group: dict[str, Any]) -> list[dict[str, Any]]:
        """The records of an output group (a query on ``derivedFrom`` and more)."""
        with translate_errors():
            return list(
                self.collection.find(group, hint=index_hint(self.collection, "derived_from"))
            )

    def path_in_use(self, key: str) -> bool:
        """Whether any record still points to the storage key ``key``."""
        with translate_errors():
            shared = self.collection.find_one(
                {"filePath": key}, {"_id": 1}, hint=index_hint(self.collection, "file_path")
            )
        return shared is not None

    # --- writes -------------------------------------------------------------------------
    def take(self, record_id: ObjectId) -> dict[str, Any] | None:
        """Delete a record and return what it was; None if it was already gone."""
        with translate_errors():
            gone = self.collection.find_one_and_delete(
                {"_id": record_id}, hint=index_hint(self.collection, ID_INDEX)
            )
        if gone is not None:
            self.repo.counters.apply([(gone, None)])
        return gone

    def delete(self, doc: dict[str, Any]) -> bool:
        """Delete the record ``doc`` (as read); False if it was already gone."""
        with translate_errors():
            gone = self.collection.delete_one(
                {"_id": doc["_id"]}, hint=index_hint(self.collection, ID_INDEX)
            )
        if gone.deleted_count:
            self.repo.counters.apply([(doc, None)])
        return bool(gone.deleted_count)

    def replace(self, existing: JwstDataModel, record: JwstDataModel) -> ObjectId:
        """Overwrite ``existing`` with ``record``, keeping its id, ``createdAt`` and tags
        (the version bumps); the id."""
        doc = to_stored(record)
        for field in _KEPT_ON_REPLACE:
            doc.pop(field, None)
        doc["updatedAt"] = utcnow()
        with translate_errors():
            self.collection.update_one(
                {"_id": existing.object_id},
                {"$set": doc, "$inc": {"version": 1}},
                hint=index_hint(self.collection, ID_INDEX),
            )
        before = to_stored(existing)
        self.repo.counters.apply([(before, {**before, **doc})])
        return existing.object_id

    def append_result(self, record_id: ObjectId, result: dict[str, Any], keep: int) -> bool:
        """``$push`` a processing result, keeping the last ``keep``; False when the record
        is gone."""
        with translate_errors():
            outcome = self.collection.update_one(
                {"_id": record_id},
                {
                    "$push": {"processingResults": {"$each": [result], "$slice": -keep}},
                    "$set": {"updatedAt": utcnow()},
                    "$inc": {"version": 1},
                },
                hint=index_hint(self.collection, ID_INDEX),
            )
        return outcome.matched_count == 1
