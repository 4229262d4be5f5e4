"""The sky page's picture: the footprints of the records a caller can see, projected.

The projection is a plain RA/Dec chart around the footprints' mean position: x is the RA
offset from that centre, wrapped into [-180, 180) (so fields at RA 359 and 1 sit side by
side) and scaled by cos(Dec) at the centre, growing to the east (left, as on the sky);
y is the Dec, south down. Units are degrees, so the page's script turns a point back into
RA/Dec with the same three numbers (``ra0``, ``dec0``, ``scale``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from jwstdata.db.records import RecordRepository
from jwstdata.models import AccessContext, JwstDataModel
from jwstdata.models.search import SearchQuery
from jwstdata.sky.geometry import normalise_ra

MAX_FOOTPRINTS = 2000  # the newest records drawn; the page says when there are more
PAGE = 500
MIN_SCALE = 0.05  # cos(dec) floor: near the poles RA offsets are not stretched without end


@dataclass
class SkyItem:
    id: str
    file_name: str
    ra: float
    dec: float
    radius: float
    source: str
    points: list[tuple[float, float]]  # projected polygon vertices (empty for a point)
    x: float
    y: float


@dataclass
class SkyMap:
    items: list[SkyItem] = field(default_factory=list)
    ra0: float = 180.0
    dec0: float = 0.0
    scale: float = 1.0
    view: tuple[float, float, float, float] = (-180.0, -90.0, 360.0, 180.0)
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "ra0": self.ra0,
            "dec0": self.dec0,
            "scale": self.scale,
            "view": list(self.view),
            "truncated": self.truncated,
            "items": [
                {
                    "id": i.id,
                    "fileName": i.file_name,
                    "ra": i.ra,
                    "dec": i.dec,
                    "radius": i.radius,
                    "source": i.source,
                }
                for i in self.items
            ],
        }


def _wrap(delta: float) -> float:
    return (delta + 180.0) % 360.0 - 180.0


def _centre(records: list[JwstDataModel]) -> tuple[float, float]:
    """Circular mean RA (fields either side of RA 0 average to ~0, not 180), mean Dec."""
    xs = sum(math.cos(math.radians(r.sky.ra)) for r in records if r.sky)
    ys = sum(math.sin(math.radians(r.sky.ra)) for r in records if r.sky)
    ra0 = normalise_ra(math.degrees(math.atan2(ys, xs))) if (xs or ys) else 180.0
    dec0 = sum(r.sky.dec for r in records if r.sky) / max(len(records), 1)
    return ra0, dec0


def build_sky_map(repo: RecordRepository, ctx: AccessContext) -> SkyMap:
    records: list[JwstDataModel] = []
    query = SearchQuery(limit=PAGE)
    truncated = False
    while True:
        page = repo.search(query, ctx)
        records += [r for r in page.items if r.sky is not None]
        if len(records) >= MAX_FOOTPRINTS:
            truncated = len(records) > MAX_FOOTPRINTS or page.next_cursor is not None
            records = records[:MAX_FOOTPRINTS]
            break
        if page.next_cursor is None:
            break
        query = query.model_copy(update={"cursor": page.next_cursor})
    if not records:
        return SkyMap()
    ra0, dec0 = _centre(records)
    scale = max(math.cos(math.radians(dec0)), MIN_SCALE)

    def project(ra: float, dec: float) -> tuple[float, float]:
        return round(-_wrap(ra - ra0) * scale, 7), round(-dec, 7)

    items = []
    for record in records:
        sky = record.sky
        assert sky is not None
        x, y = project(sky.ra, sky.dec)
        items.append(
            SkyItem(
                id=str(record.id),
                file_name=record.file_name,
                ra=sky.ra,
                dec=sky.dec,
                radius=sky.radius,
                source=sky.source.value,
                points=[project(ra, dec) for ra, dec in sky.footprint],
                x=x,
                y=y,
            )
        )
    xs = [p[0] for i in items for p in (i.points or [(i.x, i.y)])]
    ys = [p[1] for i in items for p in (i.points or [(i.x, i.y)])]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    pad = max(width, height, 0.01) * 0.1
    view = (min(xs) - pad, min(ys) - pad, width + 2 * pad, height + 2 * pad)
    return SkyMap(items, ra0, dec0, scale, view, truncated)
