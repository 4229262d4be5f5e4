"""SHA-256 of a file or a stream in bounded memory, with its size: the one place that hashes
whole contents (``hashlib.file_digest`` does the reading). Writers that hash while they copy
(uploads, storage providers) keep their own single pass."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any


class _Counted(io.RawIOBase):
    """Any object with ``read(n)`` (or ``readinto``) as what ``file_digest`` reads, counted."""

    def __init__(self, source: Any) -> None:
        self._source = source
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if hasattr(self._source, "readinto"):
            got = self._source.readinto(buffer) or 0
        else:
            chunk = self._source.read(len(buffer))
            got = len(chunk)
            buffer[:got] = chunk
        self.size += got
        return got


def sha256_of(source: str | Path | Any) -> tuple[int, str]:
    """``(size, sha256 hex)`` of a file (a path) or of what a binary stream still holds."""
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            return sha256_of(handle)
    counted = _Counted(source)
    digest = hashlib.file_digest(counted, "sha256")  # type: ignore[arg-type]
    return counted.size, digest.hexdigest()
