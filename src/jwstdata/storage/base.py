"""The storage protocol: a handful of methods every provider implements identically.

A provider stores opaque bytes under validated keys (see :mod:`jwstdata.keys`). The same
calls behave the same on every provider; where a provider cannot offer something
(a presigned URL locally, a filesystem path on S3) the method returns ``None``.

Byte ranges follow HTTP ``Range`` semantics: ``start`` and ``end`` are **inclusive**
offsets, so ``open_read(key, start=0, end=99)`` yields the first 100 bytes. ``end`` past
the last byte is clamped; ``start`` at or past the end yields no bytes.

Prefixes name a "directory" of keys: ``list("uploads/u1")`` yields the key
``uploads/u1`` itself (if it exists) and every key under ``uploads/u1/``, but never
``uploads/u10/...``. A trailing ``/`` is ignored.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

from jwstdata.errors import NotFoundError, ValidationError
from jwstdata.keys import key_problem, validate_key

DEFAULT_PRESIGN_SECONDS = 3600
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # SigV4's limit
COPY_CHUNK = 1024 * 1024  # fits in L2: read, hashed and written while cache-hot


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What a provider knows about one stored object.

    ``sha256`` is the hex digest recorded when the object was written through jwstdata;
    it is filled by :meth:`StorageProvider.stat` only (listing stays one cheap call) and
    is ``None`` when unknown. ``etag`` is an opaque change token.
    """

    key: str
    size: int
    modified: datetime
    etag: str | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of a write: size and sha256 computed while the bytes streamed through."""

    key: str
    size: int
    sha256: str


class SupportsRead(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@runtime_checkable
class StorageProvider(Protocol):
    """Object storage behind one small interface (local filesystem or S3).

    Every method validates its key with :func:`jwstdata.keys.validate_key` first. Missing
    objects raise :class:`~jwstdata.errors.NotFoundError`; failures of the storage itself
    raise :class:`~jwstdata.errors.StorageError`; errors raised by a caller's source
    stream propagate unchanged (and leave nothing behind).
    """

    kind: str

    def describe(self) -> str:
        """A one-line description for logs; never contains credentials."""
        ...

    def ping(self) -> None:
        """Raise StorageError unless the storage is reachable and usable."""
        ...

    def open_read(self, key: str, *, start: int | None = None, end: int | None = None) -> BinaryIO:
        """A readable binary stream (a context manager) of the object or an inclusive range."""
        ...

    def write_stream(
        self, key: str, stream: SupportsRead, *, content_type: str | None = None
    ) -> WriteResult:
        """Store everything ``stream`` yields under ``key``, atomically (all or nothing)."""
        ...

    def write_path(
        self, key: str, path: str | PathLike[str], *, content_type: str | None = None
    ) -> WriteResult:
        """Store the file at ``path`` under ``key``, atomically."""
        ...

    def stat(self, key: str) -> ObjectInfo: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key under ``prefix`` (never the whole store); return how many."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every key under ``prefix``, recursively, in key order (UTF-8 byte order)."""
        ...

    def presigned_url(self, key: str, *, expires: int = DEFAULT_PRESIGN_SECONDS) -> str | None:
        """A time-limited GET URL, or None when the provider has no such thing."""
        ...

    def local_path(self, key: str) -> Path | None:
        """Where ``key`` lives on this machine's filesystem, or None (e.g. on S3)."""
        ...


# --- helpers shared by the providers ---------------------------------------------------


@runtime_checkable
class SupportsStorageClass(Protocol):
    """A provider whose objects have storage classes (S3): archiving can move them."""

    def set_storage_class(self, key: str, storage_class: str) -> None: ...


class StatShortcuts:
    """``exists`` and ``size`` in terms of the provider's own ``stat``."""

    def stat(self, key: str) -> ObjectInfo:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except NotFoundError:
            return False
        return True

    def size(self, key: str) -> int:
        return self.stat(key).size


def normalise_prefix(prefix: str, *, allow_empty: bool) -> str:
    """``""`` (everything, when allowed) or a validated key with any trailing ``/`` removed."""
    if isinstance(prefix, str):
        stripped = prefix[:-1] if prefix.endswith("/") else prefix
        if stripped == "" and allow_empty:
            return ""
        return validate_key(stripped)
    return validate_key(prefix)


def under_prefix(key: str, prefix: str) -> bool:
    """True when ``key`` is ``prefix`` itself or lies below it (prefix already normalised)."""
    return not prefix or key == prefix or key.startswith(prefix + "/")


def is_listable_key(key: str) -> bool:
    """True for names found in storage that are valid, normalised keys (others are skipped)."""
    try:
        return key_problem(key) is None and validate_key(key) == key
    except UnicodeError:  # names that are not valid UTF-8 on disk
        return False


def check_range(start: int | None, end: int | None) -> tuple[int, int | None]:
    """Validate an inclusive byte range; returns ``(start, end)`` with ``start`` defaulted."""
    first = 0 if start is None else start
    if not isinstance(first, int) or first < 0:
        raise ValidationError(
            f"invalid byte range: start must be a non-negative integer, got {start!r}",
            details=[{"field": "start", "message": "must be >= 0"}],
        )
    if end is not None and (not isinstance(end, int) or end < first):
        raise ValidationError(
            f"invalid byte range: end ({end!r}) must be an integer >= start ({first})",
            details=[{"field": "end", "message": "must be >= start"}],
        )
    return first, end


def check_expiry(expires: int) -> int:
    if not isinstance(expires, int) or not 1 <= expires <= MAX_PRESIGN_SECONDS:
        raise ValidationError(
            f"presigned URL expiry must be 1..{MAX_PRESIGN_SECONDS} seconds, got {expires!r}",
            details=[{"field": "expires", "message": "out of range"}],
        )
    return expires


def read_full(stream: SupportsRead, size: int) -> bytes:
    """Read up to ``size`` bytes, looping over short reads; fewer only at end of stream."""
    data = stream.read(size)
    if not data or len(data) >= size:
        return bytes(data)
    chunks = [data]
    got = len(data)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        chunks.append(more)
        got += len(more)
    return b"".join(chunks)


class RangeReader(io.RawIOBase):
    """A raw stream over ``source`` that reads at most ``length`` bytes (``None``: to the end).

    ``on_error`` converts the source's failures into our error types; closing this stream
    closes the source.
    """

    def __init__(
        self,
        source: Any,
        length: int | None,
        *,
        on_error: Callable[[Exception], Exception] | None = None,
    ) -> None:
        super().__init__()
        self._source = source
        self._remaining = length
        self._on_error = on_error
        self._direct = callable(getattr(source, "readinto", None))

    def readable(self) -> bool:
        return True

    def _limit(self, size: int) -> int:
        return size if self._remaining is None else min(size, self._remaining)

    def _translate(self, exc: Exception) -> Exception:
        return exc if self._on_error is None else self._on_error(exc)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        size = self._limit(len(view))
        if size == 0:
            return 0
        try:
            if self._direct:
                got = self._source.readinto(view[:size]) or 0
            else:
                data = self._source.read(size)
                got = len(data)
                view[:got] = data
        except Exception as exc:
            raise self._translate(exc) from exc
        if self._remaining is not None:
            self._remaining -= got
        return got

    def readall(self) -> bytes:
        chunks = []
        while True:
            size = self._limit(COPY_CHUNK)
            if size == 0:
                break
            try:
                chunk = self._source.read(size)
            except Exception as exc:
                raise self._translate(exc) from exc
            if not chunk:
                break
            if self._remaining is not None:
                self._remaining -= len(chunk)
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if not self.closed:
            try:
                self._source.close()
            finally:
                super().close()


def copy_hashing(
    source: SupportsRead, write: Callable[[memoryview | bytes], None], *, direct: bool
) -> tuple[int, str]:
    """Copy ``source`` into ``write`` in one pass; return ``(size, sha256)``.

    ``direct`` reads with ``readinto`` into one reused buffer (for files we opened);
    otherwise ``read`` is used, so any object with ``read(n)`` works. Errors raised by the
    source propagate unchanged. Each chunk is hashed from the same memory that is written,
    so the digest always describes the stored bytes.
    """
    digest = hashlib.sha256()
    view = memoryview(bytearray(COPY_CHUNK)) if direct else None
    size = 0
    while True:
        if view is not None:
            got = source.readinto(view)  # type: ignore[attr-defined]
            chunk: memoryview | bytes = view[:got] if got else b""
        else:
            chunk = source.read(COPY_CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def buffered(raw: RangeReader) -> BinaryIO:
    """The public face of every read stream: a buffered binary file object."""
    return io.BufferedReader(raw, buffer_size=1024 * 1024)  # type: ignore[return-value]
