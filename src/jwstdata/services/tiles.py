"""Image tiles for the full-resolution viewer, read from the file through a memory map.

Level ``z`` shows the image reduced by ``2**z`` (``z = 0``: the pixels themselves); tile
``(x, y)`` of a level covers ``TILE x TILE`` output pixels starting at column ``x * TILE`` and
row ``y * TILE`` of that level, row 0 being FITS row 1 (the bottom). Reduced levels are block
means of the finite values. The image, its plane and its values are those of the quick-look
viewer (:mod:`jwstdata.services.pixel_window`).

Opened files are cached (a few, least recently used first out), so panning over an image
costs page faults, not re-opens. A plain local file is mapped where it lies; a gzip file
or an S3 object is first copied (inflated) once to a cache folder and mapped from there.
"""

from __future__ import annotations

import gzip
import math
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning

from jwstdata.errors import NotFoundError, PayloadTooLargeError, ValidationError
from jwstdata.models import JwstDataModel
from jwstdata.services.pixel_window import (
    image_hdu,
    pixel_file_key,
    plane_index,
    reduced_window,
)
from jwstdata.storage import StorageProvider

TILE = 256
CACHED_FILES = 8
MAX_COPY_BYTES = 4 * 1024**3  # gzip inflated / S3 copied to the tile cache, per file
_GZIP = b"\x1f\x8b"


@dataclass
class TileSource:
    key: tuple[str, str]
    hdul: fits.HDUList
    plane: np.ndarray  # raw stored values (a memory map), 2-D
    header: fits.Header
    extension: str
    plane_index: list[int]
    copy: Path | None  # our cached copy, deleted when evicted

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.plane.shape[0]), int(self.plane.shape[1])

    @property
    def levels(self) -> int:
        """How many levels: the last shows the whole image in one tile."""
        return max(1, math.ceil(math.log2(max(max(self.shape) / TILE, 1))) + 1)

    def close(self) -> None:
        self.hdul.close()
        if self.copy is not None:
            self.copy.unlink(missing_ok=True)


class TileCache:
    """Open images by (record id, content version); thread-safe, LRU."""

    def __init__(
        self, folder: Path, size: int = CACHED_FILES, max_copy_bytes: int = MAX_COPY_BYTES
    ) -> None:
        self.folder = folder
        self.size = size
        self.max_copy_bytes = max_copy_bytes
        self._lock = threading.Lock()
        self._open: OrderedDict[tuple[str, str], TileSource] = OrderedDict()

    def source(self, storage: StorageProvider, record: JwstDataModel) -> TileSource:
        key = (str(record.id), str(record.checksum or record.version))
        with self._lock:
            found = self._open.get(key)
            if found is not None:
                self._open.move_to_end(key)
                return found
            opened = self._load(storage, record, key)
            self._open[key] = opened
            while len(self._open) > self.size:
                _, old = self._open.popitem(last=False)
                old.close()
            return opened

    def close(self) -> None:
        with self._lock:
            while self._open:
                self._open.popitem()[1].close()

    def _local(self, storage: StorageProvider, record: JwstDataModel) -> tuple[Path, Path | None]:
        key = pixel_file_key(record)
        local = storage.local_path(key)
        if local is not None and not local.is_file():
            raise NotFoundError(f"the file {key} is missing from storage")
        if local is not None:
            with open(local, "rb") as handle:
                if handle.read(2) != _GZIP:
                    return local, None
        self.folder.mkdir(parents=True, exist_ok=True)
        copy = self.folder / f"{record.id}-{record.checksum or record.version}.fits"
        partial = copy.with_suffix(".part")
        try:
            with storage.open_read(key) as stream, open(partial, "wb") as out:
                head = stream.read(2)
                source: Any = stream
                if head == _GZIP:
                    source = gzip.GzipFile(fileobj=_Prefixed(head, stream), mode="rb")
                else:
                    out.write(head)
                _copy_bounded(source, out, record.file_name, self.max_copy_bytes)
            partial.replace(copy)
        finally:
            partial.unlink(missing_ok=True)
        return copy, copy

    def _load(self, storage: StorageProvider, record: JwstDataModel, key: Any) -> TileSource:
        path, copy = self._local(storage, record)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AstropyWarning)
                hdul = fits.open(path, memmap=True, do_not_scale_image_data=True)
                hdu = image_hdu(hdul)
                data = hdu.data
            index = plane_index(tuple(data.shape))
            plane = data[index] if index else data
        except ValidationError:
            if copy is not None:
                copy.unlink(missing_ok=True)
            raise
        except (OSError, ValueError, TypeError, IndexError) as exc:
            if copy is not None:
                copy.unlink(missing_ok=True)
            raise ValidationError(
                f"the data in {record.file_name} cannot be read ({type(exc).__name__}); "
                "the file may be truncated or corrupt"
            ) from None
        return TileSource(
            key=key,
            hdul=hdul,
            plane=plane,
            header=hdu.header,
            extension=hdu.name or "PRIMARY",
            plane_index=list(index),
            copy=copy,
        )


def _copy_bounded(source: Any, out: Any, name: str, limit: int) -> None:
    """Copy in chunks, refusing (not filling the disk with) a copy over ``limit`` bytes."""
    written = 0
    while chunk := source.read(1024 * 1024):
        written += len(chunk)
        if written > limit:
            raise PayloadTooLargeError(
                f"{name} is too large to view here (over {limit / 1024**3:g} GiB once "
                "decompressed or copied from object storage)"
            )
        out.write(chunk)


class _Prefixed:
    """A stream with bytes already read put back in front (gzip needs its magic)."""

    def __init__(self, head: bytes, stream: Any) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size:
                data += self._stream.read(size - len(data))
            return data
        return self._stream.read(size)


def tile(source: TileSource, z: int, x: int, y: int) -> np.ndarray:
    """The float32 tile (at most TILE x TILE; edge tiles are smaller)."""
    if not 0 <= z < source.levels:
        raise ValidationError(
            f"zoom level {z} does not exist (levels 0..{source.levels - 1})",
            details=[{"field": "z", "message": "out of range"}],
        )
    factor = 2**z
    ny, nx = source.shape
    width, height = math.ceil(nx / factor), math.ceil(ny / factor)
    if not (0 <= x * TILE < width and 0 <= y * TILE < height):
        raise ValidationError(
            f"tile {x},{y} is outside level {z} ({width}x{height} pixels)",
            details=[{"field": "x/y", "message": "out of range"}],
        )
    x0, y0 = x * TILE * factor, y * TILE * factor
    x1, y1 = min(nx, x0 + TILE * factor), min(ny, y0 + TILE * factor)
    return reduced_window(source.plane, source.header, (x0, y0, x1, y1), factor)
