"""S3 storage (AWS or any S3-compatible service) through boto3.

Credentials come from the standard AWS chain (environment, config files, instance or
container roles) and are never passed, stored or logged here. ``prefix`` is prepended to
every key transparently: callers never see it.

Writes stream in ``part_size`` chunks while computing sha256 and size in the same pass.
Objects smaller than one part are a single ``PutObject``; larger ones are a multipart
upload whose parts go up ``concurrency`` at a time (at most ``concurrency + 1`` parts are in
memory), completed only after the last part, and aborted on any failure, so a failed write
leaves neither an object nor a pending upload.

The sha256 is stored as object metadata (``x-amz-meta-sha256``). S3 only accepts metadata
when an upload starts, before the digest of a streamed multipart object is known, so after
completing one we set it with a server-side self-copy (CopyObject, up to 5 GiB). Larger
objects have no recorded digest and ``stat`` reports ``sha256=None`` for them.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC
from os import PathLike
from pathlib import Path
from typing import Any, BinaryIO

import boto3
import botocore.exceptions as boto_errors
from botocore.config import Config

from jwstdata import errors
from jwstdata.keys import validate_key
from jwstdata.redact import redact_uri
from jwstdata.storage import base
from jwstdata.storage.base import ObjectInfo, SupportsRead, WriteResult
from jwstdata.storage.s3_errors import BOTO_ERRORS, error_code, s3_error

log = logging.getLogger(__name__)

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10_000
MAX_COPY_SIZE = 5 * 1024**3
_SHA256_META = "sha256"


class S3Storage(base.StatShortcuts):
    """Objects in ``bucket`` under an optional ``prefix``."""

    kind = "s3"
    list_page_size = 1000
    delete_batch_size = 1000  # DeleteObjects' limit

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        path_style: bool = False,
        part_size: int = 64 * 1024 * 1024,
        concurrency: int = 4,
        max_attempts: int = 3,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        session: boto3.session.Session | None = None,
    ) -> None:
        if not bucket:
            raise errors.ConfigurationError("an S3 bucket name is required (JWSTDATA_S3_BUCKET)")
        if part_size < MIN_PART_SIZE or concurrency < 1:
            raise errors.ConfigurationError(
                f"S3 part size must be >= {MIN_PART_SIZE} bytes and concurrency >= 1"
            )
        try:
            stripped = prefix.strip("/")
            self._prefix = validate_key(stripped) + "/" if stripped else ""
        except errors.InvalidKeyError as exc:
            raise errors.ConfigurationError(f"invalid JWSTDATA_S3_PREFIX: {exc}") from None
        self._bucket = bucket
        self._endpoint_url = endpoint_url
        self._region = region
        self._path_style = path_style
        self.part_size = part_size
        self.concurrency = concurrency
        config = Config(
            retries={"max_attempts": max_attempts, "mode": "standard"},
            s3={"addressing_style": "path" if path_style else "auto"},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max(10, concurrency + 2),
            signature_version="s3v4",  # presigned URLs too: SigV2 is gone on new buckets
        )
        try:
            self._client: Any = (session or boto3.session.Session()).client(
                "s3", endpoint_url=endpoint_url, region_name=region, config=config
            )
        except (ValueError, boto_errors.BotoCoreError) as exc:  # bad endpoint URL or region
            raise errors.ConfigurationError(
                f"invalid S3 settings: {redact_uri(str(exc))}"
            ) from None

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def prefix(self) -> str:
        """The bucket prefix every key is stored under (``""`` or ending in ``/``)."""
        return self._prefix

    @property
    def client(self) -> Any:
        """The underlying boto3 S3 client (thread-safe), for tests and diagnostics."""
        return self._client

    def describe(self) -> str:
        endpoint = redact_uri(self._endpoint_url) if self._endpoint_url else "AWS"
        style = ", path-style" if self._path_style else ""
        region = self._region or "default region"
        return f"S3 storage s3://{self._bucket}/{self._prefix} ({endpoint}, {region}{style})"

    def __repr__(self) -> str:
        return f"S3Storage({self.describe()!r})"

    def ping(self) -> None:
        self._call("check", None, self._client.head_bucket)

    # --- reading ------------------------------------------------------------------------

    def open_read(self, key: str, *, start: int | None = None, end: int | None = None) -> BinaryIO:
        key = validate_key(key)
        first, last = base.check_range(start, end)
        params: dict[str, Any] = {"Key": self._full(key)}
        if first or last is not None:
            params["Range"] = f"bytes={first}-{'' if last is None else last}"
        try:
            response = self._client.get_object(Bucket=self._bucket, **params)
        except BOTO_ERRORS as exc:
            if (
                error_code(exc) == "InvalidRange"
            ):  # the object exists; the range starts past its end
                return base.buffered(base.RangeReader(io.BytesIO(), 0))
            raise self._error(exc, "read", key) from exc
        reader = base.RangeReader(
            response["Body"], None, on_error=lambda exc: self._error(exc, "read", key)
        )
        return base.buffered(reader)

    def stat(self, key: str) -> ObjectInfo:
        key = validate_key(key)
        head = self._call("stat", key, self._client.head_object, Key=self._full(key))
        return ObjectInfo(
            key=key,
            size=int(head["ContentLength"]),
            modified=head["LastModified"].astimezone(UTC),
            etag=_etag(head.get("ETag")),
            sha256=(head.get("Metadata") or {}).get(_SHA256_META),
        )

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self._objects(base.normalise_prefix(prefix, allow_empty=True))

    def presigned_url(self, key: str, *, expires: int = base.DEFAULT_PRESIGN_SECONDS) -> str | None:
        """A GET URL valid for ``expires`` seconds. It grants access: never log it."""
        key = validate_key(key)
        base.check_expiry(expires)
        params = {"Bucket": self._bucket, "Key": self._full(key)}
        try:
            url: str = self._client.generate_presigned_url("get_object", params, expires)
        except BOTO_ERRORS as exc:
            raise self._error(exc, "presign", key) from exc
        return url

    def local_path(self, key: str) -> Path | None:
        validate_key(key)
        return None

    # --- writing ------------------------------------------------------------------------

    def write_stream(
        self, key: str, stream: SupportsRead, *, content_type: str | None = None
    ) -> WriteResult:
        key = validate_key(key)
        digest = hashlib.sha256()
        first = base.read_full(stream, self.part_size)
        digest.update(first)
        if len(first) == self.part_size:
            second = base.read_full(stream, self.part_size)
            if second:
                digest.update(second)
                chunks = [first, second]
                del first, second  # the upload owns the parts now (bounded memory)
                return self._write_multipart(key, stream, chunks, digest, content_type)
        sha256 = digest.hexdigest()
        params = {"Key": self._full(key), "Metadata": {_SHA256_META: sha256}}
        params.update(_content_type(content_type))
        self._call("write", key, self._client.put_object, Body=first, **params)
        return WriteResult(key=key, size=len(first), sha256=sha256)

    def write_path(
        self, key: str, path: str | PathLike[str], *, content_type: str | None = None
    ) -> WriteResult:
        with open(path, "rb") as source:
            return self.write_stream(key, source, content_type=content_type)

    def delete(self, key: str) -> None:
        key = validate_key(key)
        self._call("delete", key, self._client.delete_object, Key=self._full(key))

    def delete_prefix(self, prefix: str) -> int:
        prefix = base.normalise_prefix(prefix, allow_empty=False)
        deleted = 0
        batch: list[str] = []
        for info in self._objects(prefix):
            batch.append(info.key)
            if len(batch) >= self.delete_batch_size:
                deleted += self._delete_batch(batch)
                batch = []
        return deleted + (self._delete_batch(batch) if batch else 0)

    # --- internals ----------------------------------------------------------------------

    def _full(self, key: str) -> str:
        return self._prefix + key

    def _objects(self, prefix: str) -> Iterator[ObjectInfo]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket,
            Prefix=self._full(prefix),
            PaginationConfig={"PageSize": self.list_page_size},
        )
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(self._prefix) :]
                    if base.under_prefix(key, prefix) and base.is_listable_key(key):
                        yield ObjectInfo(
                            key=key,
                            size=int(item["Size"]),
                            modified=item["LastModified"].astimezone(UTC),
                            etag=_etag(item.get("ETag")),
                        )
        except BOTO_ERRORS as exc:
            raise self._error(exc, "list", None, where=prefix) from exc

    def _delete_batch(self, keys: list[str]) -> int:
        objects = {"Objects": [{"Key": self._full(key)} for key in keys], "Quiet": True}
        response = self._call("delete", None, self._client.delete_objects, Delete=objects)
        failed = response.get("Errors") or []
        if failed:
            first = failed[0]
            raise errors.StorageError(
                f"S3 refused to delete {len(failed)} of {len(keys)} objects "
                f"(first: {first.get('Key')!r}: {first.get('Code')} {first.get('Message', '')})",
                details={"bucket": self._bucket, "failed": len(failed)},
            )
        return len(keys)

    def _write_multipart(
        self, key: str, stream: SupportsRead, chunks: list[bytes], digest: Any, ctype: str | None
    ) -> WriteResult:
        full = self._full(key)
        upload = self._call(
            "write", key, self._client.create_multipart_upload, Key=full, **_content_type(ctype)
        )
        upload_id: str = upload["UploadId"]
        etags: dict[int, str] = {}
        pending: set[Future[tuple[int, str]]] = set()
        size = 0
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="s3-part")
        try:
            for number in itertools.count(1):
                if len(pending) >= self.concurrency:  # memory bound: wait for a free slot
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    etags.update(future.result() for future in done)
                if chunks:
                    chunk = chunks.pop(0)  # read and hashed by write_stream
                else:
                    chunk = base.read_full(stream, self.part_size)
                    digest.update(chunk)
                if not chunk:
                    break
                if number > MAX_PARTS:
                    raise errors.StorageError(
                        f"cannot write {key!r}: more than {MAX_PARTS} parts of "
                        f"{self.part_size} bytes; raise JWSTDATA_S3_PART_SIZE"
                    )
                size += len(chunk)
                pending.add(pool.submit(self._upload_part, key, upload_id, number, chunk))
                del chunk
            etags.update(future.result() for future in wait(pending).done)
            parts = {"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in sorted(etags)]}
            self._call(
                "write",
                key,
                self._client.complete_multipart_upload,
                Key=full,
                UploadId=upload_id,
                MultipartUpload=parts,
            )
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            self._abort(key, upload_id)
            raise
        finally:
            pool.shutdown(wait=True)
        sha256 = digest.hexdigest()
        self._record_sha256(key, size, sha256, ctype)
        return WriteResult(key=key, size=size, sha256=sha256)

    def _upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> tuple[int, str]:
        params = {"Key": self._full(key), "UploadId": upload_id, "PartNumber": number}
        response = self._call("write", key, self._client.upload_part, Body=data, **params)
        return number, str(response["ETag"])

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            params = {"Key": self._full(key), "UploadId": upload_id}
            self._call("abort", key, self._client.abort_multipart_upload, **params)
        except errors.JwstDataError as exc:
            log.warning(
                "could not abort the multipart upload of %r (%s); a lifecycle rule for "
                "incomplete uploads will have to remove it",
                key,
                exc.message,
            )

    def _record_sha256(self, key: str, size: int, sha256: str, ctype: str | None) -> None:
        if size > MAX_COPY_SIZE:
            return
        full = self._full(key)
        try:
            self._call(
                "record the sha256 of",
                key,
                self._client.copy_object,
                Key=full,
                CopySource={"Bucket": self._bucket, "Key": full},
                MetadataDirective="REPLACE",
                Metadata={_SHA256_META: sha256},
                **_content_type(ctype),
            )
        except errors.JwstDataError as exc:
            log.warning("stored %r but could not record its sha256: %s", key, exc.message)

    def set_storage_class(self, key: str, storage_class: str) -> None:
        """Move an object to another storage class: a server-side copy onto itself."""
        full = self._full(key)
        self._call(
            f"set storage class {storage_class} on",
            key,
            self.client.copy_object,
            Key=full,
            CopySource={"Bucket": self._bucket, "Key": full},
            StorageClass=storage_class,
            MetadataDirective="COPY",
        )

    def _call(self, action: str, key: str | None, method: Any, **params: Any) -> Any:
        try:
            return method(Bucket=self._bucket, **params)
        except BOTO_ERRORS as exc:
            raise self._error(exc, action, key) from exc

    def _error(
        self, exc: Exception, action: str, key: str | None, *, where: str | None = None
    ) -> errors.JwstDataError:
        return s3_error(
            exc, action, key, bucket=self._bucket, prefix=self._prefix,
            endpoint_url=self._endpoint_url, where=where,
        )  # fmt: skip


def _content_type(value: str | None) -> dict[str, str]:
    return {"ContentType": value} if value else {}


def _etag(value: str | None) -> str | None:
    return value.strip('"') if value else None
