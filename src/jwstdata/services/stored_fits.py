"""Opening a stored FITS file for reading, wherever it lives, without copying it first.

A local store hands astropy the file itself. On S3 the file is read through
:class:`StorageFile`, a seekable file object whose reads are ranged GETs: astropy reads a
header block, seeks over the data and reads the next header, so walking the headers of a
large file costs one small request per HDU rather than a download. Gzip files go through
the same object (astropy decompresses the stream as it reads; a seek forward inflates the
bytes in between, which is the price of gzip).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning

from jwstdata.errors import NotFoundError, ValidationError
from jwstdata.models import JwstDataModel
from jwstdata.services.pixel_window import pixel_file_key
from jwstdata.storage import StorageProvider

GZIP_MAGIC = b"\x1f\x8b"
READ_AHEAD = 64 * 1024  # one ranged GET reads this much: a few header blocks
_READ_ERRORS = (OSError, ValueError, TypeError, IndexError, KeyError, EOFError)


class StorageFile(io.RawIOBase):
    """A read-only, seekable view of one stored object; every read is a ranged GET."""

    def __init__(self, storage: StorageProvider, key: str) -> None:
        super().__init__()
        self._storage = storage
        self._key = key
        self._size = storage.size(key)
        self._pos = 0
        self.name = key.rsplit("/", 1)[-1]
        self.mode = "rb"

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        count = min(len(view), self._size - self._pos)
        if count <= 0:
            return 0
        with self._storage.open_read(self._key, start=self._pos, end=self._pos + count - 1) as s:
            got = 0
            while got < count:
                chunk = s.read(count - got)
                if not chunk:
                    break
                view[got : got + len(chunk)] = chunk
                got += len(chunk)
        self._pos += got
        return got


@contextlib.contextmanager
def open_stored_fits(storage: StorageProvider, record: JwstDataModel) -> Iterator[fits.HDUList]:
    """The record's FITS file opened lazily (headers on demand); read errors are 422s."""
    key = pixel_file_key(record)
    local = storage.local_path(key)
    if local is not None and not local.is_file():
        raise NotFoundError(f"the file {key} is missing from storage")
    with contextlib.ExitStack() as stack:
        source: Any = local
        if local is None:
            source = stack.enter_context(io.BufferedReader(StorageFile(storage, key), READ_AHEAD))
            if source.peek(2)[:2] == GZIP_MAGIC:  # astropy sniffs gzip on paths only
                source = stack.enter_context(gzip.GzipFile(fileobj=source, mode="rb"))
        yield from _opened(record, source, memmap=local is not None)


def _opened(record: JwstDataModel, source: Any, *, memmap: bool) -> Iterator[fits.HDUList]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        try:
            hdul = fits.open(source, memmap=memmap, lazy_load_hdus=True)
        except _READ_ERRORS as exc:
            raise unreadable(record, exc) from None
        with hdul:
            yield hdul


def unreadable(record: JwstDataModel, exc: Exception) -> ValidationError:
    return ValidationError(
        f"{record.file_name} cannot be read as FITS ({type(exc).__name__}: {str(exc)[:200]}); "
        "the file may be truncated or corrupt"
    )


@contextlib.contextmanager
def local_file(storage: StorageProvider, record: JwstDataModel, staging: Path) -> Iterator[Path]:
    """A filesystem path of the record's file: its own locally, a temporary copy from S3
    (for work that reads most of the data, where ranged reads would cost more)."""
    key = pixel_file_key(record)
    local = storage.local_path(key)
    if local is not None:
        if not local.is_file():
            raise NotFoundError(f"the file {key} is missing from storage")
        yield local
        return
    staging.mkdir(parents=True, exist_ok=True)
    suffix = ".fits.gz" if key.endswith(".gz") else ".fits"
    with tempfile.NamedTemporaryFile(dir=staging, prefix=".read-", suffix=suffix) as out:
        with storage.open_read(key) as stream:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        out.flush()
        yield Path(out.name)
