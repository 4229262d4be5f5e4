"""Observation search in MAST's CAOM tables: by target name, position, observation id, program.

Each search is one ``Mast.Caom.Filtered`` request, or ``Mast.Caom.Filtered.Position`` when a
position is involved (a target name is first resolved through ``Mast.Name.Lookup``). The
filters go to MAST in its filter-set form (``{"paramName", "values"}``; ranges as
``{"min", "max"}``; a ``*`` wildcard as ``freeText``) and are checked again on the rows that come
back, so a result never depends on how strictly a server applied them:

=================  ====================================  =====================================
option             sent as                               checked on the row
=================  ====================================  =====================================
collection         ``obs_collection`` = JWST             same
program            ``proposal_id`` (``02733`` -> 2733)   same, numerically
obs_id             ``obs_id`` values (one ``*`` allowed)  same, wildcard as ``fnmatch``
instrument         ``instrument_name`` (``NIRCAM%`` for  first part of ``NIRCAM/IMAGE``
                   one bare name, exact with a ``/``)
filter             ``filters`` values, separator ``;``   any ``;``-token of ``filters``
calib_level        ``calib_level`` values                same
product_type       ``dataproduct_type`` values           same (image, spectrum, cube...)
date range         ``t_min`` <= to, ``t_max`` >= from     the observation overlaps the range
public_only        ``dataRights`` PUBLIC and             both (rows without them are dropped)
                   ``t_obs_release`` <= now
=================  ====================================  =====================================

MAST matches a position against each observation's footprint, which can reach beyond the
radius; with ``exact_cone`` (default) rows are kept only when their pointing centre
(``s_ra``, ``s_dec``) is within the radius by true angular distance (astropy ``SkyCoord``, so RA
359.95 and 0.05 are 0.1 degree apart). Such results are sorted by that distance.

Answers are cached for ``cache_ttl`` seconds, keyed by the request (service and parameters).
"""

from __future__ import annotations

import fnmatch
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from jwstdata.errors import MastError, TargetNotResolvedError, ValidationError
from jwstdata.mast.client import MastApi
from jwstdata.mast.models import PUBLIC, ObservationRow, mjd_from_datetime, mjd_now

FILTERED = "Mast.Caom.Filtered"
FILTERED_POSITION = "Mast.Caom.Filtered.Position"
NAME_LOOKUP = "Mast.Name.Lookup"
DEFAULT_RADIUS = 0.2  # degrees, as astroquery
_FAR_FUTURE_MJD = 100_000.0  # 2132: the open end of a range filter


# --- cache ------------------------------------------------------------------------------


class TTLCache:
    """A small thread-safe LRU cache whose entries expire ``ttl`` seconds after being stored."""

    def __init__(
        self, ttl: float, maxsize: int = 256, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._clock = clock
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] <= self._clock():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: Hashable, value: Any) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._items[key] = (self._clock() + self.ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def request_key(service: str, params: Any) -> str:
    return json.dumps([service, params], sort_keys=True, default=str)


# --- the query ----------------------------------------------------------------------------


def normalize_program(value: str | int) -> str:
    """``02733``, ``2733``, ``jw02733`` -> ``2733`` (MAST's proposal_id has no zero padding)."""
    text = str(value).strip().lower().removeprefix("jw")
    if not text.isdigit():
        raise ValueError(f"a program is a number, not {value!r}")
    return str(int(text))


class ObservationQuery(BaseModel):
    """What to search for. At least one of target, position, obs_ids or programs is needed."""

    model_config = ConfigDict(frozen=True)

    target: str | None = Field(default=None, min_length=1, max_length=200)
    ra: float | None = Field(default=None, ge=0, lt=360)
    dec: float | None = Field(default=None, ge=-90, le=90)
    radius: float = Field(default=DEFAULT_RADIUS, gt=0, le=10, description="degrees")
    obs_ids: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    calib_levels: tuple[int, ...] = ()
    product_types: tuple[str, ...] = ()
    date_from: datetime | None = None
    date_to: datetime | None = None
    public_only: bool = False
    collection: str = "JWST"
    exact_cone: bool = True

    @field_validator("programs", mode="before")
    @classmethod
    def _programs(cls, value: Any) -> Any:
        if isinstance(value, str | int):
            value = [value]
        return tuple(normalize_program(v) for v in value or ())

    @field_validator("obs_ids", "instruments", "filters", "product_types", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        return tuple(str(v).strip() for v in value or () if str(v).strip())

    @field_validator("calib_levels", mode="before")
    @classmethod
    def _levels(cls, value: Any) -> Any:
        return (value,) if isinstance(value, int) else value

    @field_validator("calib_levels")
    @classmethod
    def _level_range(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= v <= 4 for v in value):
            raise ValueError("calibration levels are 0 to 4")
        return value

    @model_validator(mode="after")
    def _one_way_in(self) -> ObservationQuery:
        if (self.ra is None) != (self.dec is None):
            raise ValueError("give both ra and dec")
        if self.target is not None and self.ra is not None:
            raise ValueError("give a target name or coordinates, not both")
        if self.target is None and self.ra is None and not (self.obs_ids or self.programs):
            raise ValueError("give a target, coordinates, an observation id or a program")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        return self

    @property
    def positional(self) -> bool:
        return self.target is not None or self.ra is not None


@dataclass(frozen=True)
class ResolvedTarget:
    name: str
    ra: float
    dec: float
    resolver: str | None = None
    canonical_name: str | None = None


def position_string(ra: float, dec: float, radius: float) -> str:
    """``Mast.Caom.Filtered.Position``'s ``position``: ``"ra, dec, radius"`` in degrees."""
    return f"{ra!r}, {dec!r}, {radius!r}"


def _text_filter(name: str, values: Sequence[str], **extra: Any) -> dict[str, Any] | None:
    exact = [v for v in values if "*" not in v and "%" not in v]
    wild = [v for v in values if v not in exact]
    if len(wild) > 1:
        raise ValidationError.from_fields(
            [{"field": name, "message": "MAST takes one wildcard value per filter"}]
        )
    entry: dict[str, Any] = {"paramName": name, "values": exact, **extra}
    if wild:
        entry["freeText"] = wild[0].replace("*", "%")
    return entry


def build_filters(query: ObservationQuery, now_mjd: float) -> list[dict[str, Any]]:
    """The MAST filter set for ``query`` (``now_mjd`` bounds the public-release filter)."""
    filters: list[dict[str, Any] | None] = [
        {"paramName": "obs_collection", "values": [query.collection]}
    ]
    if query.programs:
        filters.append({"paramName": "proposal_id", "values": list(query.programs)})
    if query.obs_ids:
        filters.append(_text_filter("obs_id", query.obs_ids))
    if query.instruments:
        exact = [i.upper() for i in query.instruments if "/" in i]
        bare = [i.upper() for i in query.instruments if "/" not in i]
        if exact and not bare:
            filters.append({"paramName": "instrument_name", "values": exact})
        elif len(bare) == 1 and not exact:
            free = f"{bare[0]}%"
            filters.append({"paramName": "instrument_name", "values": [], "freeText": free})
    if query.filters:
        filters.append(
            {"paramName": "filters", "values": [f.upper() for f in query.filters], "separator": ";"}
        )
    if query.calib_levels:
        filters.append({"paramName": "calib_level", "values": [str(v) for v in query.calib_levels]})
    if query.product_types:
        filters.append(
            {"paramName": "dataproduct_type", "values": [t.lower() for t in query.product_types]}
        )
    if query.date_from is not None:
        start = mjd_from_datetime(query.date_from)
        filters.append({"paramName": "t_max", "values": [{"min": start, "max": _FAR_FUTURE_MJD}]})
    if query.date_to is not None:
        end = mjd_from_datetime(query.date_to)
        filters.append({"paramName": "t_min", "values": [{"min": 0.0, "max": end}]})
    if query.public_only:
        filters.append({"paramName": "dataRights", "values": [PUBLIC]})
        # Rounded down to the minute so repeated searches share a cache entry.
        now = math.floor(now_mjd * 1440) / 1440
        filters.append({"paramName": "t_obs_release", "values": [{"min": 0.0, "max": now}]})
    return [f for f in filters if f is not None]


def row_matches(row: ObservationRow, query: ObservationQuery, now_mjd: float) -> bool:
    """The filters of ``query`` checked on one row (positions are checked separately)."""
    if query.collection and (row.obs_collection or "").upper() != query.collection.upper():
        return False
    if query.programs:
        try:
            program = str(int(row.proposal_id or ""))
        except ValueError:
            return False
        if program not in query.programs:
            return False
    if query.obs_ids and not any(
        fnmatch.fnmatchcase(row.obs_id.lower(), o.lower().replace("%", "*")) for o in query.obs_ids
    ):
        return False
    if query.instruments:
        wanted = {i.upper() for i in query.instruments}
        name = (row.instrument_name or "").upper()
        if name not in wanted and (row.instrument or "") not in wanted:
            return False
    if query.filters and not {f.upper() for f in query.filters} & set(row.filter_names):
        return False
    if query.calib_levels and row.calib_level not in query.calib_levels:
        return False
    if query.product_types and (row.dataproduct_type or "").lower() not in {
        t.lower() for t in query.product_types
    }:
        return False
    if query.date_from is not None and (
        row.t_max is None or row.t_max < mjd_from_datetime(query.date_from)
    ):
        return False
    if query.date_to is not None and (
        row.t_min is None or row.t_min > mjd_from_datetime(query.date_to)
    ):
        return False
    return not (query.public_only and not row.is_public(now_mjd))


def angular_distances(rows: Sequence[ObservationRow], ra: float, dec: float) -> list[float | None]:
    """Great-circle distance (degrees) of each row's pointing centre; None without one."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    known = [i for i, r in enumerate(rows) if r.s_ra is not None and r.s_dec is not None]
    out: list[float | None] = [None] * len(rows)
    if not known:
        return out
    centre = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs")
    points = SkyCoord(
        ra=[rows[i].s_ra for i in known] * u.deg,
        dec=[rows[i].s_dec for i in known] * u.deg,
        frame="icrs",
    )
    for i, sep in zip(known, centre.separation(points).deg, strict=True):
        out[i] = float(sep)
    return out


# --- the service ---------------------------------------------------------------------------


class MastSearch:
    """Searches over one MAST connection, with a TTL cache of MAST's answers."""

    def __init__(
        self,
        api: MastApi,
        *,
        cache_ttl: float = 300.0,
        cache: TTLCache | None = None,
        now_mjd: Callable[[], float] = mjd_now,
    ) -> None:
        self.api = api
        self.cache = cache if cache is not None else TTLCache(cache_ttl)
        self._now_mjd = now_mjd

    def invoke(self, service: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """``api.invoke`` through the cache (a copy of the rows is returned)."""
        key = request_key(service, params)
        rows = self.cache.get(key)
        if rows is None:
            rows = self.api.invoke(service, params)
            self.cache.put(key, rows)
        return [dict(r) for r in rows]

    def resolve(self, name: str) -> ResolvedTarget:
        """A target name to ICRS degrees through ``Mast.Name.Lookup`` (first resolver wins)."""
        name = name.strip()
        key = request_key(NAME_LOOKUP, name.casefold())
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        answer = self.api.invoke_once(NAME_LOOKUP, {"input": name, "format": "json"})
        for entry in answer.get("resolvedCoordinate") or []:
            try:
                ra, dec = float(entry["ra"]), float(entry["decl"])
            except (KeyError, TypeError, ValueError):
                continue
            target = ResolvedTarget(
                name=name,
                ra=ra % 360.0,
                dec=dec,
                resolver=entry.get("resolver"),
                canonical_name=entry.get("canonicalName"),
            )
            self.cache.put(key, target)
            return target
        raise TargetNotResolvedError(f"MAST could not resolve the target name {name!r}")

    def observations(self, query: ObservationQuery) -> list[ObservationRow]:
        now = self._now_mjd()
        filters = build_filters(query, now)
        centre: tuple[float, float] | None = None
        if query.target is not None:
            resolved = self.resolve(query.target)
            centre = (resolved.ra, resolved.dec)
        elif query.ra is not None and query.dec is not None:
            centre = (query.ra, query.dec)
        if centre is None:
            raw = self.invoke(FILTERED, {"columns": "*", "filters": filters})
        else:
            position = position_string(*centre, query.radius)
            raw = self.invoke(
                FILTERED_POSITION, {"columns": "*", "filters": filters, "position": position}
            )
        rows = [_observation(r) for r in raw]
        rows = [r for r in rows if row_matches(r, query, now)]
        if centre is not None:
            distances = angular_distances(rows, *centre)
            paired = [
                (d, r) for d, r in zip(distances, rows, strict=True)
                if not query.exact_cone or d is None or d <= query.radius
            ]  # fmt: skip
            paired.sort(key=lambda p: math.inf if p[0] is None else p[0])
            rows = [r for _, r in paired]
        return rows


def _observation(row: dict[str, Any]) -> ObservationRow:
    try:
        return ObservationRow.model_validate(row)
    except PydanticValidationError as exc:
        raise MastError(f"MAST sent an observation row that cannot be read: {exc}") from None
