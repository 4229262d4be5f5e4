"""What a client may write into a record: lineage links and metadata keys the system owns.

Lineage (``parentId``, ``derivedFrom``) is public to everyone who sees the linked record, so
a link may only name a record the caller may write: otherwise anyone could hang their files
into someone else's lineage. Links already on the record (set by ingest, import or
processing) may stay as they are. Some ``metadata`` keys carry meaning the system acts on --
where a record came from (``source``, ``mast_*``), which algorithm made it (``algorithm``,
``role``, ...), where an archived file goes back to (``archivedFrom``) -- so a client can
neither add, change nor remove them.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from jwstdata.db.records import RecordRepository
from jwstdata.errors import PermissionDeniedError, ValidationError
from jwstdata.models import AccessContext, JwstDataModel, parse_object_id

RESERVED_METADATA = frozenset(
    {"source", "algorithm", "algorithmVersion", "paramsHash", "role", "archivedFrom"}
)
RESERVED_PREFIX = "mast_"  # provenance copied from the MAST archive


def _reserved(key: str) -> bool:
    return key in RESERVED_METADATA or key.startswith(RESERVED_PREFIX)


def check_metadata(current: dict[str, Any], wanted: Any) -> None:
    """Refuse a ``metadata`` value that adds, changes or drops a key the system owns."""
    if not isinstance(wanted, dict):
        return  # the model rejects it with its own message
    keys = {k for k in (*current, *wanted) if isinstance(k, str) and _reserved(k)}
    changed = sorted(
        k for k in keys if current.get(k) != wanted.get(k) or (k in current) != (k in wanted)
    )
    if changed:
        raise ValidationError.from_fields(
            [{"field": f"metadata.{k}", "message": "is set by the system"} for k in changed]
        )


def _ids(value: Any, field: str) -> list[ObjectId]:
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        oid = item if isinstance(item, ObjectId) else parse_object_id(item) if item else None
        if item is not None and oid is None:
            raise ValidationError.from_fields([{"field": field, "message": "not a record id"}])
        if oid is not None:
            ids.append(oid)
    return ids


def check_links(
    repo: RecordRepository,
    current: JwstDataModel | None,
    changes: dict[str, Any],
    ctx: AccessContext,
) -> None:
    """New ``parentId``/``derivedFrom`` targets must exist, be visible and writable."""
    if ctx.is_admin:
        return
    kept: set[ObjectId] = set()
    if current is not None:
        kept = {*current.derived_from, *([current.parent_id] if current.parent_id else [])}
    for field in ("parentId", "derivedFrom"):
        if field not in changes:
            continue
        added = [i for i in _ids(changes[field], field) if i not in kept]
        if current is not None and current.id in added:
            raise ValidationError.from_fields(
                [{"field": field, "message": "a record cannot derive from itself"}]
            )
        if not added:
            continue
        found = {r.object_id: r for r in repo.get_many(added, ctx)}
        missing = [str(i) for i in added if i not in found]
        if missing:
            raise ValidationError.from_fields(
                [{"field": field, "message": f"no record {i} you can see"} for i in missing]
            )
        foreign = [str(i) for i, r in found.items() if not ctx.can_write_owner(r.user_id)]
        if foreign:
            raise PermissionDeniedError(
                f"{field} may only name records you may modify (not {', '.join(foreign)})",
                details=[{"field": field, "id": i} for i in foreign],
            )


def check_derived_visibility(current: JwstDataModel, changes: dict[str, Any]) -> None:
    """A processing output is exactly as visible as its source: change the source instead."""
    if not is_processing_output(current):
        return
    touched = [f for f in ("isPublic", "sharedWith") if f in changes]
    if "isPublic" in touched and changes["isPublic"] == current.is_public:
        touched.remove("isPublic")
    if touched:
        raise ValidationError.from_fields(
            [
                {"field": f, "message": "follows the source record; change the source instead"}
                for f in touched
            ]
        )


def is_processing_output(record: JwstDataModel) -> bool:
    return record.metadata.get("source") == "processing" and bool(record.derived_from)


__all__ = [
    "RESERVED_METADATA",
    "check_derived_visibility",
    "check_links",
    "check_metadata",
    "is_processing_output",
]
