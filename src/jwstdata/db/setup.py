"""``jwstdata db init``: collections, the validator and every declared index, idempotently.

Safe to run twice. A server that lacks a feature (e.g. ``$jsonSchema`` validators, or an
index option) is reported in the result and skipped; the run carries on. The features are
probed first (:mod:`jwstdata.db.features`): a missing ``$jsonSchema`` validator is not
attempted, a TTL index is created without its TTL (and expired documents are purged here
instead), and any other failure is still reported per index.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pymongo import IndexModel
from pymongo.database import Database
from pymongo.errors import CollectionInvalid, OperationFailure

from jwstdata.db.connection import DatabaseHandle, translate_errors
from jwstdata.db.counters import RecordCounters
from jwstdata.db.features import server_features
from jwstdata.db.indexes import INDEXES, RECORDS, IndexSpec, declared_indexes
from jwstdata.db.portable import DEGRADABLE_INDEX_OPTIONS, create_index, purge_expired
from jwstdata.db.validator import VALIDATORS
from jwstdata.errors import DatabaseError

_INDEX_CONFLICT_CODES = {85, 86}  # IndexOptionsConflict, IndexKeySpecsConflict


@dataclass
class InitReport:
    collections_created: list[str] = field(default_factory=list)
    validators: dict[str, str] = field(
        default_factory=dict
    )  # collection -> applied|unsupported: why
    indexes_created: list[str] = field(default_factory=list)
    indexes_existing: list[str] = field(default_factory=list)
    indexes_failed: list[dict[str, str]] = field(default_factory=list)
    # Indexes created without options the server lacks: {index, without: [option, ...]}.
    indexes_degraded: list[dict[str, Any]] = field(default_factory=list)
    expired_purged: dict[str, int] = field(default_factory=dict)  # index -> documents
    missing_features: list[str] = field(default_factory=list)
    counters_rebuilt: dict[str, int] | None = None  # set when the counters were made anew

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def raise_failures(self) -> None:
        if self.indexes_failed:
            failed = ", ".join(f["index"] for f in self.indexes_failed)
            raise DatabaseError(
                f"could not create index(es) {failed}: {self.indexes_failed[0]['error']}",
                details={"failed": self.indexes_failed},
            )


def ensure_indexes(
    db: Database, collections: Iterable[str], report: InitReport | None = None
) -> InitReport:
    """Create the declared indexes of ``collections`` that are missing: the one code path
    that creates declared indexes (``db init``, and repositories that may run before it).

    Failures are reported per index, not raised: call :meth:`InitReport.raise_failures` where
    a missing index must stop the caller (a unique constraint, say).
    """
    report = report if report is not None else InitReport()
    for name in collections:
        collection = db[name]
        present = {ix["name"] for ix in collection.list_indexes()}
        missing = [spec for spec in declared_indexes(name) if spec.name not in present]
        if len(missing) > 1 and _create_together(collection, missing):
            report.indexes_created += [f"{name}.{spec.name}" for spec in missing]
            continue
        present = {ix["name"] for ix in collection.list_indexes()} if missing else present
        for spec in declared_indexes(name):
            label = f"{name}.{spec.name}"
            if spec.name in present:
                report.indexes_existing.append(label)
                continue
            try:
                if dropped := _create_index(collection, spec):
                    report.indexes_degraded.append({"index": label, "without": dropped})
                report.indexes_created.append(label)
            except OperationFailure as exc:
                if exc.code in _INDEX_CONFLICT_CODES:
                    report.indexes_existing.append(label)
                else:
                    report.indexes_failed.append({"index": label, "error": str(exc)[:200]})
    return report


def _create_together(collection: Any, specs: list[IndexSpec]) -> bool:
    """One createIndexes for all of ``specs`` (servers that scan the collection once per
    command build them faster, e.g. after a restore); False sends the caller one by one,
    as when the server lacks an option that may be left out."""
    features = server_features(collection.database)
    if any(
        option in spec.options and not getattr(features, flag)
        for spec in specs
        for option, flag in DEGRADABLE_INDEX_OPTIONS.items()
    ):
        return False
    try:
        collection.create_indexes(
            [IndexModel(list(s.keys), name=s.name, unique=s.unique, **s.options) for s in specs]
        )
    except OperationFailure:
        return False
    return True


def _create_index(collection: Any, spec: IndexSpec) -> list[str]:
    return create_index(
        collection, list(spec.keys), name=spec.name, unique=spec.unique, **spec.options
    )


def init_database(handle: DatabaseHandle) -> InitReport:
    report = InitReport()
    db = handle.db
    features = handle.features
    report.missing_features = features.missing()
    with translate_errors(handle.redacted_uri):
        existing = set(db.list_collection_names())
        for name in sorted(set(INDEXES) | set(VALIDATORS)):
            if name not in existing:
                try:
                    db.create_collection(name)
                    report.collections_created.append(name)
                except CollectionInvalid:
                    pass  # created concurrently
        for name, validator in VALIDATORS.items():
            if not features.json_schema_validator:
                # The pydantic models remain the only validation on such servers.
                report.validators[name] = "unsupported: the server has no $jsonSchema validators"
                continue
            try:
                db.command("collMod", name, validator=validator, validationLevel="moderate")
                report.validators[name] = "applied"
            except OperationFailure as exc:
                report.validators[name] = (
                    f"unsupported: {str(exc.details.get('errmsg', exc))[:120]}"
                )
        ensure_indexes(db, INDEXES, report)
        report.expired_purged = purge_expired(db, INDEXES)
        counters = RecordCounters(db, handle.redacted_uri)
        if not counters.complete():
            report.counters_rebuilt = counters.recount(db[RECORDS])
    return report


def list_indexes(handle: DatabaseHandle) -> list[dict[str, Any]]:
    """Declared indexes with whether each exists on the server."""
    rows: list[dict[str, Any]] = []
    with translate_errors(handle.redacted_uri):
        for name, specs in INDEXES.items():
            present = {ix["name"] for ix in handle.db[name].list_indexes()}
            for spec in specs:
                rows.append({"collection": name, **spec.as_dict(), "present": spec.name in present})
    return rows
