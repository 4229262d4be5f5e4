"""The open images the viewer routes read from: one :class:`TileCache` per home folder.

Shared by every route that reads pixels through the tile cache (tiles, grid, regions,
alignment), so a file is opened and mapped once, and a gzip or S3 copy is made once.
"""

from __future__ import annotations

import threading
from typing import Any

from jwstdata.models import JwstDataModel
from jwstdata.services.tiles import TileCache, TileSource

_caches: dict[str, TileCache] = {}
_lock = threading.Lock()


def tile_source(svc: Any, record: JwstDataModel) -> TileSource:
    """The record's image, opened (memory-mapped) through the home's tile cache."""
    folder = svc.settings.home_dir / "cache" / "tiles"
    with _lock:
        cache = _caches.setdefault(str(folder), TileCache(folder))
    return cache.source(svc.storage, record)
