"""The rules of processing outputs as pure functions on stored documents.

:mod:`jwstdata.services.derived` applies them on every change of a source; the migration
``outputs-follow-source`` applies them to records written before they existed.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from jwstdata.models.base import utcnow

PROCESSING_SOURCE = "processing"


def outputs_of(source_id: ObjectId) -> dict[str, Any]:
    """The query of the processing outputs made directly from ``source_id``."""
    return {"derivedFrom": source_id, "metadata.source": PROCESSING_SOURCE}


def reader_may_read(source: dict[str, Any], user_id: ObjectId | None) -> bool:
    if source.get("isPublic"):
        return True
    return user_id is not None and (
        source.get("userId") == user_id or user_id in (source.get("sharedWith") or [])
    )


def wanted_fields(source: dict[str, Any], output: dict[str, Any]) -> dict[str, Any] | None:
    """The fields ``output`` must have under ``source``; None: it must go."""
    archived = bool(source.get("isArchived"))
    flags: dict[str, Any] = {
        "isArchived": archived,
        "archivedDate": (output.get("archivedDate") or source.get("archivedDate") or utcnow())
        if archived
        else None,
    }
    if output.get("userId") == source.get("userId"):
        return {
            "isPublic": bool(source.get("isPublic")),
            "sharedWith": list(source.get("sharedWith") or []),
            **flags,
        }
    if not reader_may_read(source, output.get("userId")):
        return None
    return {"isPublic": False, "sharedWith": [], **flags}


def differs(doc: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The ``fields`` whose value ``doc`` does not have."""
    return {k: v for k, v in fields.items() if doc.get(k) != v}
