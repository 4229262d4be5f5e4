"""Hashing stored objects: shared by verify, migrate, archive and backup.

The records are walked by :class:`jwstdata.db.record_files.RecordFiles`.
"""

from __future__ import annotations

from jwstdata.db.record_files import RecordFile
from jwstdata.digests import sha256_of
from jwstdata.storage import StorageProvider


def stream_sha256(storage: StorageProvider, key: str) -> tuple[int, str]:
    """``(size, sha256)`` of the stored object, read once as a stream (bounded memory)."""
    with storage.open_read(key) as stream:
        return sha256_of(stream)


__all__ = ["RecordFile", "stream_sha256"]
