"""Bounded reads of gzip-compressed files: a small file must not inflate without limit.

A few hundred kilobytes of gzip can inflate to gigabytes, and a reader that seeks inside a
gzip stream inflates everything before the target again on each backwards seek. So every
read of compressed data goes through :class:`BoundedStream`, which counts the inflated bytes
and the CPU time spent, and refuses (:class:`InflateLimitError`, a 413) once either passes
its bound; readers that need random access inflate the file *once* into a plain temporary
copy (:func:`inflated_copy`) and memory-map that.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from jwstdata.errors import PayloadTooLargeError

if TYPE_CHECKING:
    from jwstdata.config import Settings

GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_MAX_BYTES = 2 * 1024**3
DEFAULT_MAX_SECONDS = 60.0
_CHUNK = 1024 * 1024


class InflateLimitError(PayloadTooLargeError):
    """Compressed data inflates past the allowed size or takes too long to inflate."""


@dataclass(frozen=True)
class InflateLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_seconds: float = DEFAULT_MAX_SECONDS

    @classmethod
    def of(cls, settings: Settings) -> InflateLimits:
        return cls(settings.max_inflated_bytes, settings.max_inflate_seconds)


def is_gzip(path: str | Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == GZIP_MAGIC
    except OSError:
        return False


class BoundedStream:
    """A read-only view of a decompressing stream that stops at the limits.

    Seeking forward inflates the bytes skipped, so it is counted like a read; a backwards
    seek restarts the inflation from the start, so the count never goes down.
    """

    def __init__(self, stream: IO[bytes], limits: InflateLimits, name: str = "the file") -> None:
        self._stream = stream
        self._limits = limits
        self._name = name
        self._inflated = 0
        self._cpu_start = time.thread_time()

    def _charge(self, count: int) -> None:
        self._inflated += count
        if self._inflated > self._limits.max_bytes:
            raise InflateLimitError(
                f"{self._name} inflates to more than {self._limits.max_bytes:,} bytes "
                "(the limit for compressed data; JWSTDATA_MAX_INFLATED_BYTES)",
                details={"limit": self._limits.max_bytes, "reason": "inflated_size"},
            )
        if time.thread_time() - self._cpu_start > self._limits.max_seconds:
            raise InflateLimitError(
                f"inflating {self._name} took more than {self._limits.max_seconds:g} s of CPU "
                "time (the limit for compressed data; JWSTDATA_MAX_INFLATE_SECONDS)",
                details={"limit": self._limits.max_seconds, "reason": "inflate_time"},
            )

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._limits.max_bytes - self._inflated + 1  # never all at once
        data = self._stream.read(size)
        self._charge(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        before = self._stream.tell()
        # Forward seeks inflate in chunks, each counted, so a far target cannot run unbounded.
        if whence == 0 and offset > before:
            while self._stream.tell() < offset:
                chunk = self._stream.read(min(_CHUNK, offset - self._stream.tell()))
                if not chunk:
                    break
                self._charge(len(chunk))
            return self._stream.tell()
        position = self._stream.seek(offset, whence)
        if position < before:
            self._charge(position)  # gzip re-inflates from the start up to here
        return position

    def tell(self) -> int:
        return self._stream.tell()

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> BoundedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def inflated_copy(path: Path, staging: Path, limits: InflateLimits) -> Iterator[Path]:
    """``path`` itself when it is not gzip; else a plain copy, inflated once within limits."""
    if not is_gzip(path):
        yield path
        return
    staging.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=staging, prefix=".inflated-", suffix=".fits") as out:
        try:
            with BoundedStream(gzip.open(path, "rb"), limits, path.name) as stream:
                shutil.copyfileobj(stream, out, _CHUNK)  # type: ignore[misc]
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise InflateError(f"{path.name}: corrupt or truncated gzip stream ({exc})") from None
        out.flush()
        yield Path(out.name)


class InflateError(ValueError):
    """The gzip stream itself is broken (readers report it as a corrupt file)."""
