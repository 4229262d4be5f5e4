"""Record operations callers perform: create, edit, delete (with its file), share, archive.

Routes and CLI commands call these; access rules are enforced here and in the repository
query, never in a route.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bson import ObjectId
from pydantic import ValidationError as PydanticValidationError

from jwstdata.db.records import RecordRepository
from jwstdata.db.users import UserRepository
from jwstdata.errors import (
    JwstDataError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    pydantic_to_validation_error,
)
from jwstdata.models import AccessContext, JwstDataModel, ProcessingStatus
from jwstdata.models.bulk import MAX_BULK_IDS, BulkChanges
from jwstdata.models.search import SearchQuery
from jwstdata.services.derived import DerivedProducts
from jwstdata.services.record_guards import (
    check_derived_visibility,
    check_links,
    check_metadata,
)
from jwstdata.services.record_writer import RecordWriter
from jwstdata.storage import StorageProvider

# Fields a caller may edit through PATCH (everything else is derived or bookkeeping).
EDITABLE_FIELDS = frozenset(
    {
        "tags",
        "description",
        "dataType",
        "processingStatus",
        "processingLevel",
        "isPublic",
        "observationBaseId",
        "exposureId",
        "parentId",
        "derivedFrom",
        "imageInfo",
        "sensorInfo",
        "spectralInfo",
        "metadata",
        "isViewable",
    }
)
SHARE_REFUSED = "unknown user name(s): sharing needs the names of active accounts"


class RecordService:
    def __init__(self, repo: RecordRepository, storage: StorageProvider) -> None:
        self.repo = repo
        self.storage = storage
        self.writer = RecordWriter(repo, storage)
        self.derived = DerivedProducts(repo, storage)
        self.users = UserRepository.beside(repo)

    def create_metadata_record(self, data: dict[str, Any], ctx: AccessContext) -> JwstDataModel:
        """A record without a file (``POST /api/data``); owned by the caller."""
        if ctx.is_anonymous:
            raise PermissionDeniedError("sign in to create records")
        unknown = sorted(set(data) - EDITABLE_FIELDS - {"fileName", "fileFormat"})
        if unknown:
            raise ValidationError.from_fields(
                [{"field": f, "message": "cannot be set"} for f in unknown]
            )
        check_metadata({}, data.get("metadata", {}))
        check_links(self.repo, None, data, ctx)
        try:
            # Nothing is queued for a new record: completed unless the caller says otherwise.
            fields = {"processingStatus": ProcessingStatus.completed.value, **data}
            record = JwstDataModel.model_validate(
                {**fields, "userId": ctx.user_id, "filePath": None}
            )
        except PydanticValidationError as exc:
            raise pydantic_to_validation_error(exc) from None
        return self.repo.create(record)

    def update(
        self,
        record_id: ObjectId,
        changes: dict[str, Any],
        ctx: AccessContext,
        expected_version: int | None,
    ) -> JwstDataModel:
        unknown = sorted(set(changes) - EDITABLE_FIELDS)
        if unknown:
            raise ValidationError.from_fields(
                [{"field": f, "message": "cannot be changed"} for f in unknown]
            )
        current = self.repo.get(record_id, ctx)
        if "isPublic" in changes and current.user_id is None and not ctx.is_admin:
            raise PermissionDeniedError("only an admin may change MAST public imports")
        if ctx.can_write_owner(current.user_id):  # others get the repository's 403 first
            if "metadata" in changes:
                check_metadata(current.metadata, changes["metadata"])
            check_links(self.repo, current, changes, ctx)
            check_derived_visibility(current, changes)
        updated = self.repo.update(record_id, changes, ctx, expected_version=expected_version)
        if "isPublic" in changes:
            self.derived.follow(updated)
        return updated

    def delete(self, record_id: ObjectId, ctx: AccessContext) -> JwstDataModel:
        """Delete the record, then its file (queued for collection if storage is down)."""
        record = self.repo.delete(record_id, ctx)
        self.derived.remove(record.object_id)
        if record.file_path and not self.repo.key_in_use(record.file_path):
            self.writer.discard_file(record.file_path)
        return record

    # --- sharing ------------------------------------------------------------------------
    def _user_ids(self, usernames: Iterable[str], *, strict: bool = True) -> list[ObjectId]:
        """The ids of active accounts by name.

        Unknown and disabled names get one and the same answer, naming none of them, so the
        error cannot be used to learn which accounts exist. ``strict=False`` skips them.
        """
        names = [u.casefold() for u in usernames]
        found = self.users.active_ids(names)
        if strict and any(n not in found for n in names):
            raise NotFoundError(SHARE_REFUSED)
        return [found[n] for n in names if n in found]

    def _writable(self, record_id: ObjectId, ctx: AccessContext) -> JwstDataModel:
        """Sharing is a change: callers who may not write learn nothing about user names."""
        record = self.repo.get(record_id, ctx)
        if not ctx.can_write_owner(record.user_id):
            raise PermissionDeniedError(f"you may not modify record {record_id}")
        return record

    def share(self, record_id: ObjectId, usernames: list[str], ctx: AccessContext) -> JwstDataModel:
        record = self._writable(record_id, ctx)
        check_derived_visibility(record, {"sharedWith": []})
        # The owner already reads the record: sharing with them changes nothing (and the
        # counters count a record's sharees apart from its owner).
        users = [u for u in self._user_ids(usernames) if u != record.user_id]
        merged = list(dict.fromkeys([*record.shared_with, *users]))
        updated = self.repo.update(record_id, {"sharedWith": merged}, ctx)
        self.derived.follow(updated)
        return updated

    def unshare(
        self, record_id: ObjectId, usernames: list[str], ctx: AccessContext
    ) -> JwstDataModel:
        record = self._writable(record_id, ctx)
        check_derived_visibility(record, {"sharedWith": []})
        users = set(self._user_ids(usernames, strict=False))
        updated = self.repo.update(
            record_id, {"sharedWith": [u for u in record.shared_with if u not in users]}, ctx
        )
        self.derived.follow(updated)
        return updated

    # --- bulk ---------------------------------------------------------------------------
    def bulk(
        self, ids: list[ObjectId], changes: BulkChanges, ctx: AccessContext
    ) -> list[dict[str, Any]]:
        """Apply tag/status changes to many records; a per-id outcome for each."""
        if len(ids) > MAX_BULK_IDS:
            raise ValidationError(f"at most {MAX_BULK_IDS} ids per bulk request")
        status = changes.processing_status
        removed = set(changes.remove_tags or [])
        outcomes = []
        for record_id in ids:
            try:
                record = self.repo.get(record_id, ctx)
                tags = [t for t in record.tags if t not in removed]
                tags = list(dict.fromkeys([*tags, *(changes.add_tags or [])]))
                update: dict[str, Any] = {"tags": tags}
                if status is not None:
                    update["processingStatus"] = status.value
                updated = self.repo.update(record_id, update, ctx)
                outcomes.append(
                    {"id": str(record_id), "status": "updated", "version": updated.version}
                )
            except JwstDataError as exc:
                code = "not_found" if isinstance(exc, NotFoundError) else exc.code
                outcomes.append(
                    {
                        "id": str(record_id),
                        "status": "failed",
                        "error": code,
                        "message": exc.message,
                    }
                )
        return outcomes

    # --- statistics ---------------------------------------------------------------------
    def stats(self, query: SearchQuery, ctx: AccessContext) -> dict[str, Any]:
        """Totals over what the caller can see: count, bytes, and per level and data type."""
        return self.repo.stats(query, ctx)
