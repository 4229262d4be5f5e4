"""The sky on ``jwst_data``: the footprint kept on each record, its cells, cone searches.

Writes: :func:`with_sky` derives a record's ``sky`` from its metadata (see
:mod:`jwstdata.sky.derive`; a footprint given explicitly is kept when the metadata says
nothing), and :func:`sky_keys` the HEALPix cells stored beside it in ``_skyCells`` (the
``sky`` index, multikey; see :mod:`jwstdata.sky.cells`).

Searches: :class:`ConeResolver` turns a search's cone into the exact set of matching
record ids before the search runs. The cells pre-filter on the index, the rest of the
search's filter (access included) narrows on the server, then the exact spherical test
(:func:`jwstdata.sky.geometry.cone_overlaps`) runs on the few candidates' footprints. The
search then runs unchanged with ``_id $in ids``: pages, cursors, counts and facets stay
exact, because the set is exact before anything is paged or counted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
from pymongo.collection import Collection

from jwstdata.db.connection import translate_errors
from jwstdata.db.hints import index_hint
from jwstdata.db.query import SORT_PATHS, build_filter, decode_cursor
from jwstdata.models.access import AccessContext
from jwstdata.models.base import _to_utc
from jwstdata.models.record import JwstDataModel
from jwstdata.models.search import SearchQuery, SortOrder
from jwstdata.models.sky import footprint_pair, stored_footprint
from jwstdata.sky.cells import FIELD, cone_cells, footprint_cells
from jwstdata.sky.derive import sky_from_fields
from jwstdata.sky.geometry import Cone, cone_overlaps

SKY_INDEX = "sky"


def derive_sky(document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``sky`` sub-document, as stored, for a stored (camelCase) record document."""
    found = sky_from_fields(document.get("metadata"), document.get("imageInfo"))
    return stored_sky(found.model_dump(mode="json", by_alias=True)) if found is not None else None


def stored_sky(sky: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``sky`` as stored: the footprint's vertices as ``{"ra", "dec"}`` documents."""
    if not sky:
        return None
    return {**sky, "footprint": stored_footprint(sky.get("footprint") or [])}


def _vertices(sky: Mapping[str, Any]) -> list[tuple[float, float]]:
    return [tuple(footprint_pair(v)) for v in sky.get("footprint") or []]  # type: ignore[misc]


def with_sky(record: JwstDataModel) -> JwstDataModel:
    """``record`` with its footprint derived from its metadata (kept if none derives)."""
    image_info = record.image_info.model_dump(by_alias=True) if record.image_info else None
    found = sky_from_fields(record.metadata, image_info)
    if found is None or found == record.sky:
        return record
    return record.model_copy(update={"sky": found})


def sky_keys(sky: Mapping[str, Any] | None) -> list[int]:
    """The cells to store in ``_skyCells`` for a ``sky`` sub-document (none without one)."""
    if not sky:
        return []
    footprint = _vertices(sky)
    return footprint_cells(sky["ra"], sky["dec"], sky.get("radius") or 0.0, footprint)


def sky_fields(document: Mapping[str, Any]) -> dict[str, Any]:
    """``sky`` and ``_skyCells`` for a whole stored document (bulk writers past the model)."""
    sky = derive_sky(document)
    return {"sky": sky, FIELD: sky_keys(sky)}


def overlaps(cone: Cone, sky: Mapping[str, Any] | None) -> bool:
    if not sky:
        return False
    footprint = _vertices(sky)
    return cone_overlaps(cone, footprint, sky["ra"], sky["dec"], sky.get("radius") or 0.0)


def overlapping(cone: Cone, docs: list[dict[str, Any]]) -> list[Any]:
    """The ``_id`` of each document whose ``sky`` overlaps ``cone``.

    Vectorised first (numpy, one pass): a footprint whose enclosing circle is out of the
    cone's reach cannot overlap, one inside the cone does, and a point is exactly its
    circle. Only footprints that straddle the cone's edge get the exact polygon test.
    """
    if not docs:
        return []
    ra = np.radians([d["sky"]["ra"] for d in docs])
    dec = np.radians([d["sky"]["dec"] for d in docs])
    reach = np.array([d["sky"].get("radius") or 0.0 for d in docs])
    c_ra, c_dec = math.radians(cone.ra), math.radians(cone.dec)
    # Haversine: accurate from arcseconds to degrees.
    h = (
        np.sin((dec - c_dec) / 2) ** 2
        + np.cos(dec) * math.cos(c_dec) * np.sin((ra - c_ra) / 2) ** 2
    )
    distance = np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))
    slack = 1e-9
    out = distance > reach + cone.radius + slack
    inside = distance + reach <= cone.radius
    ids = []
    for i, doc in enumerate(docs):
        if out[i]:
            continue
        polygon = doc["sky"].get("footprint")
        if inside[i] or not polygon or overlaps(cone, doc["sky"]):
            ids.append(doc["_id"])
    return ids


def cone_of(query: SearchQuery) -> Cone:
    assert query.ra is not None and query.dec is not None
    return Cone(query.ra, query.dec, query.cone_radius)


class ConeResolver:
    def __init__(self, collection: Collection, uri: str = "") -> None:
        self.collection = collection
        self._uri = uri

    def candidates_pipeline(
        self, query: SearchQuery, ctx: AccessContext, *, whole: bool = False
    ) -> list[dict[str, Any]]:
        """Cells on the ``sky`` index first (a flat clause every planner seeks on), then
        the rest of the search's filter and access scope; only the footprint unless
        ``whole`` documents are wanted (a page is then sorted from them)."""
        cone = cone_of(query)
        rest = build_filter(query.model_copy(update={"ra": None, "dec": None, "radius": None}), ctx)
        return [
            {"$match": {FIELD: {"$in": cone_cells(cone.ra, cone.dec, cone.radius)}}},
            *([{"$match": rest}] if rest else []),
            *([] if whole else [{"$project": {"sky": 1}}]),
        ]

    def _matches(
        self, query: SearchQuery, ctx: AccessContext, *, whole: bool
    ) -> list[dict[str, Any]]:
        cone = cone_of(query)
        hint = index_hint(self.collection, SKY_INDEX)
        with translate_errors(self._uri):
            docs = self.collection.aggregate(
                self.candidates_pipeline(query, ctx, whole=whole),
                **({"hint": hint} if hint else {}),
            )
            candidates = [d for d in docs if d.get("sky")]
        chosen = set(overlapping(cone, candidates))
        return [d for d in candidates if d["_id"] in chosen]

    def resolve(self, query: SearchQuery, ctx: AccessContext) -> SearchQuery:
        """``query`` with ``cone_ids`` set (unchanged when it has no cone or has them)."""
        if not query.has_cone or query.cone_ids is not None:
            return query
        ids = [d["_id"] for d in self._matches(query, ctx, whole=False)]
        return query.model_copy(update={"cone_ids": ids})

    def page(
        self, query: SearchQuery, ctx: AccessContext
    ) -> tuple[SearchQuery, list[dict[str, Any]]]:
        """The resolved query and up to ``limit + 1`` documents of its page.

        The matches were read whole to find them, so the page is cut from them here, in
        the search's order and after its cursor, instead of reading them again by id
        (a long ``_id $in`` costs more than the candidates themselves on some servers).
        """
        docs = self._matches(query, ctx, whole=True)
        resolved = query.model_copy(update={"cone_ids": [d["_id"] for d in docs]})
        return resolved, page_of(docs, query, ctx)


def _sort_key(doc: Mapping[str, Any], path: str) -> tuple[int, Any, Any]:
    """MongoDB's order for one sort field: missing/null lowest, then the value, then _id."""
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return (0, 0, doc["_id"]) if value is None else (1, value, doc["_id"])


def page_of(
    docs: list[dict[str, Any]], query: SearchQuery, ctx: AccessContext
) -> list[dict[str, Any]]:
    """``limit + 1`` of ``docs`` in the query's sort order, after its cursor."""
    path = SORT_PATHS[query.sort]
    descending = query.order is SortOrder.desc
    ordered = sorted(docs, key=lambda d: _sort_key(d, path), reverse=descending)
    position = decode_cursor(query, ctx)
    if position is not None:
        value, last_id = position
        mark = (0, 0, last_id) if value is None else (1, _to_utc_if_date(value), last_id)
        ordered = [
            d
            for d in ordered
            if (_sort_key(d, path) < mark if descending else _sort_key(d, path) > mark)
        ]
    return ordered[: query.limit + 1]


def _to_utc_if_date(value: Any) -> Any:
    return _to_utc(value) if isinstance(value, datetime) else value


__all__ = [
    "SKY_INDEX",
    "ConeResolver",
    "derive_sky",
    "overlaps",
    "sky_fields",
    "sky_keys",
    "stored_sky",
    "with_sky",
]
