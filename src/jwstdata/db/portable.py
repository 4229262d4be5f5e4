"""Portable forms of the few operations some MongoDB-compatible servers lack.

Each helper asks :func:`jwstdata.db.features.server_features` and, where the server has
the feature (MongoDB, SecantusDB), does exactly what the plain pymongo call would do.
The fallbacks keep results correct; README "Compatibility: FerretDB" lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from jwstdata.db.connection import duplicate_of
from jwstdata.db.features import server_features
from jwstdata.db.index_spec import IndexSpec
from jwstdata.errors import DuplicateError
from jwstdata.models.base import utcnow

# Index options that may be left out where unsupported because no query depends on them:
# TTL only deletes expired documents, and the code compares ``expiresAt`` itself (the
# clean-up is then done by :func:`purge_expired`). Options that change what a query or a
# unique constraint means (partialFilterExpression, collation) are never dropped.
DEGRADABLE_INDEX_OPTIONS = {"expireAfterSeconds": "ttl_indexes"}


def create_index(
    collection: Collection,
    keys: str | list[tuple[str, int]],
    *,
    name: str,
    unique: bool = False,
    **options: Any,
) -> list[str]:
    """``collection.create_index`` minus degradable options the server lacks (returned)."""
    features = server_features(collection.database)
    dropped = [
        option
        for option, flag in DEGRADABLE_INDEX_OPTIONS.items()
        if option in options and not getattr(features, flag)
    ]
    kept = {key: value for key, value in options.items() if key not in dropped}
    collection.create_index(keys, name=name, unique=unique, **kept)
    return dropped


def purge_expired(db: Database, indexes: Mapping[str, Iterable[IndexSpec]]) -> dict[str, int]:
    """Without TTL indexes, delete what the declared TTL indexes would have deleted.

    Run by ``jwstdata db init`` (so at every API server start); a no-op on servers with
    TTL indexes. Returns ``{collection.index: documents deleted}``.
    """
    if server_features(db).ttl_indexes:
        return {}
    deleted: dict[str, int] = {}
    for collection, specs in indexes.items():
        for spec in specs:
            seconds = spec.options.get("expireAfterSeconds")
            if seconds is None:
                continue
            field = spec.keys[0][0]
            cutoff = utcnow() - timedelta(seconds=seconds)
            result = db[collection].delete_many({field: {"$lt": cutoff}})
            deleted[f"{collection}.{spec.name}"] = result.deleted_count
    return deleted


def find_one_and_update(
    collection: Collection,
    filter: dict[str, Any],
    update: dict[str, Any],
    *,
    projection: Mapping[str, Any],
    return_document: bool = ReturnDocument.BEFORE,
    **kwargs: Any,
) -> dict[str, Any] | None:
    """``find_one_and_update`` with a projection, applied here if the server cannot."""
    if server_features(collection.database).find_and_modify_projection:
        return collection.find_one_and_update(
            filter, update, projection=projection, return_document=return_document, **kwargs
        )
    doc = collection.find_one_and_update(filter, update, return_document=return_document, **kwargs)
    return project(doc, projection) if doc is not None else None


def trim_array(collection: Collection, filter: dict[str, Any], field: str, keep: int) -> None:
    """Finish a ``$push`` with ``{$each, $slice: -keep}`` on servers that ignore ``$slice``.

    A no-op where ``$slice`` works. Elsewhere: read, then keep the last ``keep`` items (for
    arrays with one writer, such as a job's log tail written by the worker that owns it).
    """
    if server_features(collection.database).push_slice:
        return
    doc = collection.find_one(filter, {field: 1})
    items = (doc or {}).get(field)
    if isinstance(items, list) and len(items) > keep:
        collection.update_one({"_id": doc["_id"]}, {"$set": {field: items[-keep:]}})


def project(doc: dict[str, Any], projection: Mapping[str, Any]) -> dict[str, Any]:
    """A top-level inclusion or exclusion projection, as the server would apply it."""
    include = {key for key, value in projection.items() if value and key != "_id"}
    if include:
        keep = include | ({"_id"} if projection.get("_id", 1) else set())
        return {key: value for key, value in doc.items() if key in keep}
    drop = {key for key, value in projection.items() if not value}
    return {key: value for key, value in doc.items() if key not in drop}


def group(
    collection: Collection,
    match: dict[str, Any],
    group_id: Any,
    accumulators: dict[str, dict[str, Any]],
    *,
    hint: str | None = None,
) -> list[dict[str, Any]]:
    """``[{$match}, {$group: {_id: group_id, **accumulators}}]``, on every server.

    FerretDB v1 computes only the first accumulator of a ``$group`` (the others come back
    as 0: FerretDB issue #4616); there each accumulator gets its own pipeline and the rows
    are merged by ``_id``. Those pipelines are separate reads, not one snapshot.
    """
    options = {"hint": hint} if hint else {}
    if len(accumulators) == 1 or server_features(collection.database).group_accumulators:
        pipeline = [{"$match": match}, {"$group": {"_id": group_id, **accumulators}}]
        return list(collection.aggregate(pipeline, **options))
    merged: dict[str, dict[str, Any]] = {}
    for name, accumulator in accumulators.items():
        pipeline = [{"$match": match}, {"$group": {"_id": group_id, name: accumulator}}]
        for row in collection.aggregate(pipeline, **options):
            merged.setdefault(repr(row["_id"]), {"_id": row["_id"]})[name] = row[name]
    return list(merged.values())


def name_duplicate(
    exc: DuplicateError, collection: Collection, doc: Mapping[str, Any], specs: Iterable[IndexSpec]
) -> DuplicateError:
    """A duplicate error that names its fields, when the server's error does not.

    Servers without ``duplicate_key_details`` (FerretDB) say only "E11000 duplicate key
    error"; the conflicting unique key is then found by looking each one up.
    """
    if (exc.details or {}).get("fields"):
        return exc
    for spec in (IndexSpec("_id_", (("_id", 1),), "primary key", unique=True), *specs):
        if not spec.unique:
            continue
        names = [key for key, _ in spec.keys]
        if spec.options.get("sparse") and any(name not in doc for name in names):
            continue
        query = {name: doc.get(name) for name in names}
        if collection.find_one(query, {"_id": 1}) is not None:
            return duplicate_of(names)
    return exc
