"""What the full-resolution viewer draws over the pixels: orientation, scale and sources.

- :func:`tile_info`: size, levels, the WCS keywords, the pixel scale and the directions of
  north and east at the image centre (unit vectors in pixel coordinates, +y = FITS rows up),
  computed with astropy so the page needs no projection code of its own for the compass.
- :func:`source_overlay`: the record's detected sources (the ``sources`` processing output,
  an ECSV catalogue) as pixel and sky positions, brightest first.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from astropy.table import Table
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales

from jwstdata.db.records import RecordRepository
from jwstdata.errors import ValidationError
from jwstdata.models import AccessContext, JwstDataModel
from jwstdata.services.tiles import TILE, TileSource
from jwstdata.storage import StorageProvider

MAX_OVERLAY_SOURCES = 5000
MAX_CATALOG_BYTES = 32 * 1024 * 1024
_WCS_PREFIXES = ("CTYPE", "CRPIX", "CRVAL", "CDELT", "CUNIT", "CD1_", "CD2_", "PC1_", "PC2_")


def _orientation(header: Any, shape: tuple[int, int]) -> dict[str, Any] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        try:
            wcs = WCS(header).celestial
        except (ValueError, KeyError, MemoryError):
            return None
        if not wcs.has_celestial or wcs.naxis != 2:
            return None
        cy, cx = (shape[0] - 1) / 2, (shape[1] - 1) / 2
        ra, dec = (float(v) for v in wcs.all_pix2world(cx, cy, 0))
        step = 1.0 / 3600
        north = wcs.all_world2pix(ra, dec + step, 0)
        east = wcs.all_world2pix(ra + step / max(math.cos(math.radians(dec)), 1e-6), dec, 0)
        scale = float(np.mean(proj_plane_pixel_scales(wcs))) * 3600

    def unit(point: Any) -> list[float]:
        dx, dy = float(point[0]) - cx, float(point[1]) - cy
        length = math.hypot(dx, dy) or 1.0
        return [dx / length, dy / length]

    return {
        "centre": {"ra": ra, "dec": dec},
        "pixelScale": scale,  # arcsec per pixel
        "north": unit(north),
        "east": unit(east),
    }


def tile_info(source: TileSource) -> dict[str, Any]:
    ny, nx = source.shape
    header = source.header
    wcs = {
        card.keyword: card.value
        for card in header.cards
        if card.keyword.startswith(_WCS_PREFIXES) and isinstance(card.value, str | int | float)
    }
    return {
        "width": nx,
        "height": ny,
        "tileSize": TILE,
        "levels": source.levels,
        "extension": source.extension,
        "plane": source.plane_index,
        "unit": str(header.get("BUNIT", "") or ""),
        "wcs": wcs or None,
        "orientation": _orientation(header, (ny, nx)),
    }


def _catalog(repo: RecordRepository, record: JwstDataModel, ctx: AccessContext) -> Any:
    query = {"parentId": record.id, "metadata.algorithm": "sources", "metadata.role": "catalog"}
    found = repo.find_scoped(query, ctx, index="parent", limit=1)
    return found[0] if found else None


def source_overlay(
    repo: RecordRepository, storage: StorageProvider, record: JwstDataModel, ctx: AccessContext
) -> dict[str, Any]:
    """``{"catalog": id or None, "sources": [{x, y, ra, dec, flux}...]}`` (0-based pixels)."""
    catalog = _catalog(repo, record, ctx)
    if catalog is None or not catalog.file_path:
        return {"catalog": None, "sources": []}
    with storage.open_read(catalog.file_path) as stream:
        text = stream.read(MAX_CATALOG_BYTES).decode("utf-8", errors="replace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        try:
            table = Table.read(text, format="ascii.ecsv")
        except (ValueError, TypeError, KeyError) as exc:
            raise ValidationError(f"the source catalogue cannot be read: {exc}") from None
    names = set(table.colnames)
    rows = []
    for row in table[:MAX_OVERLAY_SOURCES]:
        item = {}
        for name in ("x", "y", "ra", "dec", "flux"):
            value = float(row[name]) if name in names else math.nan
            item[name] = value if math.isfinite(value) else None
        if item["x"] is not None and item["y"] is not None:
            rows.append(item)
    return {"catalog": str(catalog.id), "sources": rows}
