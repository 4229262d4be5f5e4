"""Uploads: stream to a staging file (bounded), check the content, store, record, link.

The request body is never held whole in memory: it is copied in chunks to a staging file
under ``$JWSTDATA_HOME/staging`` while its size is counted against the limit. Only a file
whose content matches its claimed format is stored; if the record then cannot be written
the stored file is removed. On every failure the staging file is deleted: nothing remains.

The same content uploaded again by the same owner (same sha256) is not stored a second
time: the upload answers with the existing record, as ingesting a file again updates its
record instead of adding one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError as PydanticValidationError

from jwstdata.config import Settings
from jwstdata.db.records import RecordRepository
from jwstdata.errors import (
    PayloadTooLargeError,
    PermissionDeniedError,
    pydantic_to_validation_error,
)
from jwstdata.inflate import InflateLimits
from jwstdata.keys import safe_file_name, upload_key
from jwstdata.models import AccessContext, JwstDataModel, ProcessingStatus
from jwstdata.naming import parse_name
from jwstdata.services.content import check_content
from jwstdata.services.describe import describe_file, file_format_of
from jwstdata.services.lineage import LineageLinker
from jwstdata.services.record_writer import RecordWriter
from jwstdata.storage import StorageProvider

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class UploadResult:
    record: JwstDataModel
    created: bool  # False: the owner already had this content; ``record`` is that record


class UploadService:
    def __init__(
        self, repo: RecordRepository, storage: StorageProvider, settings: Settings
    ) -> None:
        self.repo = repo
        self.storage = storage
        self.settings = settings
        self.writer = RecordWriter(repo, storage)
        self.linker = LineageLinker(repo)
        self.staging = settings.home_dir / "staging"

    def upload(
        self,
        source: BinaryIO,
        filename: str,
        ctx: AccessContext,
        *,
        tags: list[str] | None = None,
        description: str | None = None,
        is_public: bool = False,
    ) -> UploadResult:
        if ctx.user_id is None:
            raise PermissionDeniedError("sign in to upload")
        name = safe_file_name(filename or "upload")
        file_format = file_format_of(parse_name(name))
        self.staging.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".upload-", dir=self.staging)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                sha256 = self._copy_bounded(source, out)
            check_content(temp, file_format)
            existing = self.repo.find_own_by_checksum(ctx.user_id, sha256)
            if existing is not None:
                return UploadResult(self.repo.get(existing.object_id, ctx), created=False)
            fields = describe_file(temp, name=name, inflate=InflateLimits.of(self.settings)).fields
            key = upload_key(str(ctx.user_id), name)
            stored = self.storage.write_path(key, temp)
            try:
                record = self._record(
                    fields, key, stored.size, stored.sha256, ctx, tags, description, is_public
                )
                record = self.repo.create(record)
            except BaseException:  # any failure: the stored file must not outlive it
                self.writer.discard_file(key)
                raise
        finally:
            temp.unlink(missing_ok=True)
        self.linker.link([record.object_id])
        return UploadResult(self.repo.get(record.object_id, ctx), created=True)

    def _copy_bounded(self, source: BinaryIO, out: BinaryIO) -> str:
        """Copy within the size limit; the content's sha256 (hex)."""
        limit = self.settings.max_upload_bytes
        total = 0
        digest = hashlib.sha256()
        while chunk := source.read(CHUNK):
            total += len(chunk)
            if total > limit:
                raise PayloadTooLargeError(f"upload larger than the limit of {limit} bytes")
            out.write(chunk)
            digest.update(chunk)
        return digest.hexdigest()

    @staticmethod
    def _record(
        fields: dict[str, Any],
        key: str,
        size: int,
        sha256: str,
        ctx: AccessContext,
        tags: list[str] | None,
        description: str | None,
        is_public: bool,
    ) -> JwstDataModel:
        data = {
            **fields,
            "filePath": key,
            "fileSize": size,
            "checksum": sha256,
            "userId": ctx.user_id,
            "isPublic": is_public,
            "tags": tags or [],
            "description": description,
            "processingStatus": ProcessingStatus.completed,  # nothing queued (yet)
            "metadata": {**fields.get("metadata", {}), "source": "upload"},
        }
        try:
            return JwstDataModel.model_validate(data)
        except PydanticValidationError as exc:
            raise pydantic_to_validation_error(exc) from None
