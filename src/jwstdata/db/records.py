"""The record repository: every query on ``jwst_data`` lives here.

Reads take an :class:`AccessContext` and scope the query with it; a record the caller
may not see is indistinguishable from a missing one (``NotFoundError``). Updates are
optimistic: they match on ``version`` and increment it. Lookups by key (id, storage key,
checksum) are inherited from :class:`~jwstdata.db.record_lookups.RecordLookups`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pydantic import ValidationError as PydanticValidationError
from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from jwstdata.db.connection import translate_errors, translate_write_error
from jwstdata.db.counter_snapshot import Snapshot
from jwstdata.db.counters import RecordCounters, apply_set, touches_counters
from jwstdata.db.hints import ID_INDEX, index_hint
from jwstdata.db.indexes import RECORD_INDEXES, RECORDS
from jwstdata.db.portable import name_duplicate
from jwstdata.db.query import encode_cursor, search_keys
from jwstdata.db.record_lookups import RecordLookups
from jwstdata.db.record_search import RecordSearch
from jwstdata.db.sky import ConeResolver, sky_keys, stored_sky, with_sky
from jwstdata.errors import (
    DuplicateError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
    ValidationError,
    pydantic_to_validation_error,
)
from jwstdata.models.access import AccessContext
from jwstdata.models.base import utcnow
from jwstdata.models.record import JwstDataModel
from jwstdata.models.search import FacetName, SearchQuery
from jwstdata.sky.cells import FIELD as SKY_CELLS

# Fields a caller may never set through ``update`` (bookkeeping owned by the repository).
PROTECTED_FIELDS = frozenset({"id", "_id", "version", "createdAt", "updatedAt", "schemaVersion"})


def to_stored(record: JwstDataModel) -> dict[str, Any]:
    doc = with_sky(record).to_document()
    doc["_norm"] = search_keys(doc)
    doc["sky"] = stored_sky(doc.get("sky"))
    doc[SKY_CELLS] = sky_keys(doc.get("sky"))
    return doc


@dataclass
class SearchPage:
    items: list[JwstDataModel]
    next_cursor: str | None
    total: int | None = None


@dataclass
class BulkInsertReport:
    inserted_ids: list[ObjectId] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # {index, code, message}


class RecordRepository(RecordLookups):
    def __init__(self, collection: Collection, redacted_uri: str = "") -> None:
        super().__init__(collection, redacted_uri)
        self.counters = RecordCounters(collection.database, redacted_uri)
        self.searches = RecordSearch(collection, self.counters, redacted_uri)
        self.cones = ConeResolver(collection, redacted_uri)

    @classmethod
    def for_database(cls, handle: Any) -> RecordRepository:
        return cls(handle.db[RECORDS], handle.redacted_uri)

    # --- create -------------------------------------------------------------------------
    def create(self, record: JwstDataModel) -> JwstDataModel:
        record = with_sky(record.model_copy(update={"id": record.id or ObjectId()}))
        doc = to_stored(record)
        try:
            with translate_errors(self._uri):
                self.collection.insert_one(doc)
        except DuplicateError as exc:
            with translate_errors(self._uri):
                exc = name_duplicate(exc, self.collection, doc, RECORD_INDEXES)
            raise exc from None
        self.counters.apply([(None, doc)])
        return record

    def bulk_insert(self, records: Iterable[JwstDataModel | dict[str, Any]]) -> BulkInsertReport:
        """Insert unordered: every valid item goes in; failures are reported per index."""
        report = BulkInsertReport()
        documents: list[dict[str, Any]] = []
        positions: list[int] = []
        for index, item in enumerate(records):
            try:
                record = (
                    item if isinstance(item, JwstDataModel) else JwstDataModel.model_validate(item)
                )
            except PydanticValidationError as exc:
                err = pydantic_to_validation_error(exc)
                report.failed.append({"index": index, "code": err.code, "message": err.message})
                continue
            if record.id is None:
                record = record.model_copy(update={"id": ObjectId()})
            documents.append(to_stored(record))
            positions.append(index)
        if not documents:
            return report
        failed_local: set[int] = set()
        try:
            with translate_errors(self._uri):
                self.collection.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            for error in exc.details.get("writeErrors", []):
                local = error["index"]
                failed_local.add(local)
                translated = translate_write_error(error)
                if isinstance(translated, DuplicateError):
                    with translate_errors(self._uri):
                        translated = name_duplicate(
                            translated, self.collection, documents[local], RECORD_INDEXES
                        )
                report.failed.append(
                    {
                        "index": positions[local],
                        "code": translated.code,
                        "message": translated.message,
                    }
                )
        report.inserted_ids = [d["_id"] for i, d in enumerate(documents) if i not in failed_local]
        self.counters.apply((None, d) for i, d in enumerate(documents) if i not in failed_local)
        report.failed.sort(key=lambda f: f["index"])
        return report

    # --- search -------------------------------------------------------------------------
    def search(
        self,
        query: SearchQuery,
        ctx: AccessContext,
        *,
        with_total: bool = False,
        snapshot: Snapshot | None = None,
    ) -> SearchPage:
        """One keyset page (windowed on the sort key, see :mod:`jwstdata.db.search_plan`;
        a positional search's page is cut from its matches, see :mod:`jwstdata.db.sky`)."""
        if query.has_cone and query.cone_ids is None:
            query, docs = self.cones.page(query, ctx)
        else:
            if snapshot is None:
                snapshot = self.searches.snapshot(ctx, query)
            docs = self.searches.page(query, ctx, snapshot)
        total = self._count(query, ctx, snapshot) if with_total else None
        more = len(docs) > query.limit
        docs = docs[: query.limit]
        next_cursor = encode_cursor(query, ctx, docs[-1]) if more and docs else None
        return SearchPage(
            items=[JwstDataModel.from_document(d) for d in docs],
            next_cursor=next_cursor,
            total=total,
        )

    def iterate(self, query: SearchQuery, ctx: AccessContext) -> Iterator[JwstDataModel]:
        """Every matching record, page by page (keyset), for exports and scripts."""
        while True:
            page = self.search(query, ctx)
            yield from page.items
            if page.next_cursor is None:
                return
            query = query.model_copy(update={"cursor": page.next_cursor})

    def count(self, query: SearchQuery, ctx: AccessContext) -> int:
        return self._count(self.cones.resolve(query, ctx), ctx)

    def _count(
        self, query: SearchQuery, ctx: AccessContext, snapshot: Snapshot | None = None
    ) -> int:
        # A resolved cone's ids already hold every filter and the access scope.
        if query.cone_ids is not None:
            return len(query.cone_ids)
        return self.searches.count(query, ctx, snapshot)

    def facets(
        self, query: SearchQuery, ctx: AccessContext, names: Iterable[FacetName] = tuple(FacetName)
    ) -> dict[str, list[dict[str, Any]]]:
        """Counts per value of each facet, over what the caller can see."""
        return self.searches.facets(self.cones.resolve(query, ctx), ctx, names)

    def stats(self, query: SearchQuery, ctx: AccessContext) -> dict[str, Any]:
        """Count and bytes, by processing level and data type, over what ``ctx`` sees."""
        return self.searches.stats(self.cones.resolve(query, ctx), ctx)

    # --- update -------------------------------------------------------------------------
    def update(
        self,
        record_id: ObjectId,
        changes: dict[str, Any],
        ctx: AccessContext,
        *,
        expected_version: int | None = None,
    ) -> JwstDataModel:
        """Apply camelCase ``changes``; validated against the model; version-checked."""
        if bad := sorted(set(changes) & PROTECTED_FIELDS):
            raise ValidationError.from_fields(
                [{"field": f, "message": "cannot be changed"} for f in bad]
            )
        current = self.get(record_id, ctx)
        if not ctx.can_write_owner(current.user_id):
            raise PermissionDeniedError(f"you may not modify record {record_id}")
        if expected_version is not None and expected_version != current.version:
            raise StaleVersionError(
                f"record {record_id} is at version {current.version}, not {expected_version}",
                details={"currentVersion": current.version},
            )
        merged = {**current.to_json(), **changes, "updatedAt": utcnow()}
        try:
            updated = JwstDataModel.model_validate(merged)
        except PydanticValidationError as exc:
            raise pydantic_to_validation_error(exc) from None
        doc = to_stored(updated)
        for key in ("_id", "version", "createdAt"):
            doc.pop(key, None)
        with translate_errors(self._uri):
            result = self.collection.find_one_and_update(
                {"_id": record_id, "version": current.version},
                {"$set": doc, "$inc": {"version": 1}},
                return_document=ReturnDocument.AFTER,
                hint=index_hint(self.collection, ID_INDEX),
            )
        if result is None:
            raise StaleVersionError(
                f"record {record_id} was changed by someone else; reload and retry"
            )
        self.counters.apply([(to_stored(current), result)])
        return JwstDataModel.from_document(result)

    def set_fields(self, record_id: ObjectId, fields: dict[str, Any]) -> None:
        """Internal bookkeeping writes (lineage links, status) that bump the version."""
        update = {"$set": {**fields, "updatedAt": utcnow()}, "$inc": {"version": 1}}
        with translate_errors(self._uri):
            if not touches_counters(fields):
                self.collection.update_one({"_id": record_id}, update)
                return
            before = self.collection.find_one_and_update(
                {"_id": record_id}, update, return_document=ReturnDocument.BEFORE
            )
        if before is not None:
            self.counters.apply([(before, apply_set(before, fields))])

    # --- delete -------------------------------------------------------------------------
    def delete(self, record_id: ObjectId, ctx: AccessContext) -> JwstDataModel:
        """Delete and return the record (the caller removes its file)."""
        current = self.get(record_id, ctx)
        if not ctx.can_write_owner(current.user_id):
            raise PermissionDeniedError(f"you may not delete record {record_id}")
        with translate_errors(self._uri):
            doc = self.collection.find_one_and_delete(
                {"_id": record_id}, hint=index_hint(self.collection, ID_INDEX)
            )
        if doc is None:
            raise NotFoundError(f"record {record_id} not found")
        self.counters.apply([(doc, None)])
        return JwstDataModel.from_document(doc)


__all__ = [
    "BulkInsertReport",
    "RecordRepository",
    "SearchPage",
]
