"""Conditional updates of one job: the primitive every state change of ``JobRepository``
is built from (a filter naming the state or lease it starts from, one update, the log tail
trimmed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.collection import Collection

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.job_queries import owned
from jwstdata.db.portable import trim_array
from jwstdata.models.base import utcnow
from jwstdata.models.job import LOG_TAIL_LINES, Job, JobState, stamp_line


class JobStore:
    def __init__(
        self,
        collection: Collection,
        redacted_uri: str = "",
        *,
        retry_delay: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.collection = collection
        self.retry_delay = retry_delay  # first back-off after a failed attempt; doubles
        self.clock = clock  # leases, back-offs and log stamps (tests move it instead of sleeping)
        self._uri = redacted_uri

    def _find_owned(self, job_id: ObjectId, worker_id: str) -> Job | None:
        with translate_errors(self._uri):
            doc = self.collection.find_one(
                owned(job_id, worker_id), hint=index_hint(self.collection, ID_INDEX)
            )
        return Job.from_document(doc) if doc else None

    def _owned_update(
        self,
        job_id: ObjectId,
        worker_id: str,
        update: dict[str, Any],
        *,
        log: Sequence[str] = (),
        extra: dict[str, Any] | None = None,
    ) -> Job | None:
        return self._apply({**owned(job_id, worker_id), **(extra or {})}, update, log)

    def _transition(
        self,
        job_id: ObjectId,
        state: JobState,
        update: dict[str, Any],
        *,
        log: Sequence[str],
        extra: dict[str, Any] | None = None,
    ) -> Job | None:
        flt = {"_id": job_id, "state": state.value, **(extra or {})}
        return self._apply(flt, update, log)

    def _apply(self, flt: dict[str, Any], update: dict[str, Any], log: Sequence[str]) -> Job | None:
        """One conditional update; the job after it, or None when the filter matched nothing."""
        if log:
            now = self.clock()
            lines = [stamp_line(now, line) for line in log]
            update = {**update, "$push": {"logTail": {"$each": lines, "$slice": -LOG_TAIL_LINES}}}
        with translate_errors(self._uri):
            doc = self.collection.find_one_and_update(
                flt,
                update,
                hint=index_hint(self.collection, ID_INDEX),
                return_document=ReturnDocument.AFTER,
            )
            if doc and log:
                trim_array(self.collection, {"_id": doc["_id"]}, "logTail", LOG_TAIL_LINES)
                doc["logTail"] = doc.get("logTail", [])[-LOG_TAIL_LINES:]
        return Job.from_document(doc) if doc else None
