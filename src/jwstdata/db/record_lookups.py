"""Record lookups by key: by id (access-scoped), by storage key, by owner and checksum.

A read takes an :class:`AccessContext` and scopes the query with it, on the server; a
processing output is readable only while its source is (see :meth:`_sources_readable`).
The unscoped lookups serve ingest and import, which decide on access themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import index_hint
from jwstdata.errors import NotFoundError
from jwstdata.models.access import AccessContext
from jwstdata.models.record import JwstDataModel

MAX_SOURCE_DEPTH = 8  # outputs of outputs; the bound only guards against a forged cycle


def by_id_pipeline(ids: list[ObjectId], ctx: AccessContext) -> list[dict[str, Any]]:
    """Locate by primary key, then scope by access, both on the server.

    Two ``$match`` stages: MongoDB coalesces them into one query on the ``_id`` index;
    servers that do not still run the first stage as an ``_id`` lookup instead of
    evaluating the access clause over the collection.
    """
    locate = {"_id": ids[0]} if len(ids) == 1 else {"_id": {"$in": ids}}
    access = ctx.read_filter()
    return [{"$match": locate}, *([{"$match": access}] if access else [])]


def is_processing_output(doc: dict[str, Any]) -> bool:
    """A file made by processing another record (preview, thumbnail, source list, ...)."""
    metadata = doc.get("metadata") or {}
    return metadata.get("source") == "processing" and bool(doc.get("derivedFrom"))


class RecordLookups:
    def __init__(self, collection: Collection, redacted_uri: str = "") -> None:
        self.collection = collection
        self._uri = redacted_uri

    def get(self, record_id: ObjectId, ctx: AccessContext) -> JwstDataModel:
        found = self.get_many([record_id], ctx)
        if not found:
            raise NotFoundError(f"record {record_id} not found")
        return found[0]

    def get_many(self, ids: Iterable[ObjectId], ctx: AccessContext) -> list[JwstDataModel]:
        """Records by id that the caller may see (the others are simply absent)."""
        return self._get_many(list(ids), ctx, depth=0)

    def _get_many(self, ids: list[ObjectId], ctx: AccessContext, depth: int) -> list[JwstDataModel]:
        if not ids:
            return []
        with translate_errors(self._uri):
            docs = list(self.collection.aggregate(by_id_pipeline(ids, ctx)))
        return [JwstDataModel.from_document(d) for d in self._sources_readable(docs, ctx, depth)]

    def _sources_readable(
        self, docs: list[dict[str, Any]], ctx: AccessContext, depth: int
    ) -> list[dict[str, Any]]:
        """Drop processing outputs whose source ``ctx`` cannot read (now).

        Outputs follow their source's visibility when it changes; this check makes a read
        pass the source's access too, so no interrupted update can leak a private source.
        """
        if ctx.is_admin:
            return docs
        sources = {s for d in docs if is_processing_output(d) for s in d.get("derivedFrom") or []}
        if not sources:
            return docs
        readable = (
            {r.object_id for r in self._get_many(sorted(sources), ctx, depth + 1)}
            if depth < MAX_SOURCE_DEPTH
            else set()
        )
        return [
            d
            for d in docs
            if not is_processing_output(d) or set(d.get("derivedFrom") or []) <= readable
        ]

    def find_scoped(
        self,
        flt: dict[str, Any],
        ctx: AccessContext,
        *,
        index: str,
        limit: int,
        sort: list[tuple[str, int]] | None = None,
    ) -> list[JwstDataModel]:
        """Records matching one flat, indexed clause that ``ctx`` may see.

        The clause runs first on its own (``index`` serves it; named where hints are
        cheap), then the access clause, so servers that never plan an ``$or`` still seek.
        """
        access = ctx.read_filter()
        pipeline: list[dict[str, Any]] = [
            {"$match": flt},
            *([{"$match": access}] if access else []),
        ]
        pipeline += [{"$sort": dict(sort or [("_id", 1)])}, {"$limit": limit}]
        hint = index_hint(self.collection, index)
        with translate_errors(self._uri):
            docs = list(self.collection.aggregate(pipeline, **({"hint": hint} if hint else {})))
        return [JwstDataModel.from_document(d) for d in self._sources_readable(docs, ctx, 0)]

    def find_by_path(self, user_id: ObjectId | None, file_path: str) -> JwstDataModel | None:
        """The record stored under (owner, key), if any (unscoped: for ingest/import)."""
        with translate_errors(self._uri):
            doc = self.collection.find_one(
                {"userId": user_id, "filePath": file_path},
                hint=index_hint(self.collection, "owner_path_unique"),
            )
        return JwstDataModel.from_document(doc) if doc else None

    def keys_in_use(self, keys: Iterable[str], *, except_id: ObjectId | None = None) -> set[str]:
        """The storage keys of ``keys`` that some record (other than ``except_id``) points
        to: a file is deleted only when nothing uses it any more. On the ``file_path`` index."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return set()
        flt: dict[str, Any] = {"filePath": keys[0] if len(keys) == 1 else {"$in": keys}}
        if except_id is not None:
            flt["_id"] = {"$ne": except_id}
        with translate_errors(self._uri):
            docs = self.collection.find(
                flt, {"_id": 0, "filePath": 1}, hint=index_hint(self.collection, "file_path")
            )
            if len(keys) == 1:
                docs = docs.limit(1)
            return {d["filePath"] for d in docs}

    def key_in_use(self, key: str, *, except_id: ObjectId | None = None) -> bool:
        """Whether some record (other than ``except_id``) points to the storage key ``key``."""
        return bool(self.keys_in_use([key], except_id=except_id))

    def find_own_by_checksum(self, user_id: ObjectId, checksum: str) -> JwstDataModel | None:
        """The oldest record of ``user_id`` with this content (sha256), if any.

        The checksum alone drives the query (its own index, few matches), the owner after.
        """
        pipeline: list[dict[str, Any]] = [
            {"$match": {"checksum": checksum}},
            {"$match": {"userId": user_id}},
            {"$sort": {"_id": 1}},
            {"$limit": 1},
        ]
        hint = index_hint(self.collection, "checksum")
        with translate_errors(self._uri):
            docs = list(self.collection.aggregate(pipeline, **({"hint": hint} if hint else {})))
        return JwstDataModel.from_document(docs[0]) if docs else None
