"""The record page: grouped metadata, the viewer that fits the file, results, owner tools."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bson import ObjectId
from fastapi import APIRouter, Request
from fastapi.responses import Response

from jwstdata.http.deps import RecordIdDep, ServicesDep
from jwstdata.models import AccessContext, DataType, JwstDataModel
from jwstdata.naming import parse_name
from jwstdata.processing.registry import load_algorithms
from jwstdata.web.pages import PageContextDep, PageRoute, render, when
from jwstdata.web.results_view import parameters_text, result_view

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SPECTRUM_SUFFIXES = frozenset({"x1d", "x1dints", "c1d"})
PICTURE_FORMATS = frozenset({"png", "jpg", "jpeg"})
IMAGE_TYPES = frozenset({DataType.image, DataType.sensor, DataType.raw, DataType.calibration})
NOTICES = {
    "saved": "Changes saved.",
    "shared": "Sharing updated.",
    "unshared": "Sharing updated.",
    "archived": "Record archived: it no longer appears in default searches.",
    "unarchived": "Record restored from the archive.",
    "uploaded": "Upload complete.",
}


def is_derived_product(record: JwstDataModel) -> bool:
    """Flagged, or made by processing before the flag existed."""
    return record.is_derived or record.metadata.get("source") == "processing"


def viewer_kind(record: JwstDataModel) -> str | None:
    """Which viewer the page offers: ``image``, ``spectrum``, ``picture`` or none."""
    fmt = record.file_format or ""
    if not record.file_path or record.file_missing:
        return None
    if fmt in PICTURE_FORMATS:
        return "picture"
    if not fmt.startswith("fits"):
        return None
    if parse_name(record.file_name).suffix in SPECTRUM_SUFFIXES:
        return "spectrum"
    if record.is_viewable or record.data_type in IMAGE_TYPES:
        return "image"
    return None


def _item(label: str, value: Any, href: str | None = None, mono: bool = False) -> dict[str, Any]:
    if value is None or value == "" or value == []:
        value = "—"
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, float):
        value = f"{value:g}"
    elif isinstance(value, datetime):
        value = when(value)
    return {"label": label, "value": str(value), "href": href, "mono": mono}


def _short_json(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 300 else text[:297] + "…"


def _usernames(svc: Any, ids: list[ObjectId]) -> list[str]:
    names = []
    for user_id in ids[:100]:
        user = svc.auth.users.find(user_id)
        names.append(user.username if user else str(user_id))
    return names


def _sky_items(record: JwstDataModel) -> list[dict[str, Any]]:
    """Where the file looks on the sky (centre and footprint size), from ``sky``."""
    sky = record.sky
    if sky is None:
        return [_item("RA, Dec (ICRS)", None)]
    where = f"{sky.ra:.5f}°, {sky.dec:+.5f}°"
    return [
        _item("RA, Dec (ICRS)", where, mono=True),
        _item("Footprint", f"{sky.radius * 60:.2f} arcmin radius, from {sky.source.value}"),
    ]


def _groups(
    record: JwstDataModel,
    owner: str,
    parents: list[JwstDataModel],
    children: list[JwstDataModel],
    shared: list[str] | None,
) -> list[dict[str, Any]]:
    image = record.image_info
    spectral = record.spectral_info
    obs = record.observation_base_id
    groups = [
        {
            "title": "Observation",
            "items": [
                _item("Target", image and image.target_name),
                _item("Observation date", image and image.observation_date),
                _item("Exposure time (s)", image and image.exposure_time),
                _item("Proposal", image and image.proposal_id),
                _item("Principal investigator", image and image.proposal_pi),
                _item("Title", image and image.observation_title),
                _item("Wavelength range", image and image.wavelength_range),
                _item("Calibration level", image and image.calibration_level),
                *_sky_items(record),
            ],
        },
        {
            "title": "Instrument",
            "items": [
                _item(
                    "Instrument",
                    (image and image.instrument) or (spectral and spectral.instrument),
                ),
                _item("Filter", image and image.filter),
                _item("Grating", spectral and spectral.grating),
                _item(
                    "Size (pixels)",
                    image and image.width and f"{image.width} \u00d7 {image.height}",
                ),
                _item("Units", (image and image.units) or (spectral and spectral.units)),
                _item("Coordinate system", image and image.coordinate_system),
                _item("Wavelength start (µm)", spectral and spectral.wavelength_start),
                _item("Wavelength end (µm)", spectral and spectral.wavelength_end),
                _item("Detector", detector_of(record)),
            ],
        },
        {
            "title": "Lineage",
            "items": [
                _item("Processing level", record.processing_level.value),
                _item("Observation", obs, f"/observations/{obs}" if obs else None, mono=True),
                _item("Exposure", record.exposure_id, mono=True),
                *[_item("Derived from", p.file_name, f"/records/{p.id}", True) for p in parents],
                *[_item("Feeds", c.file_name, f"/records/{c.id}", True) for c in children],
            ],
        },
        *_metadata_groups(record),
        {
            "title": "Storage",
            "items": [
                _item("File path", record.file_path, mono=True),
                _item("Size", record.file_size and f"{record.file_size:,} bytes"),
                _item("Format", record.file_format),
                _item("SHA-256", record.checksum, mono=True),
                _item("File missing", record.file_missing),
                _item("Uploaded", record.upload_date),
                _item("Updated", record.updated_at),
                _item("Version", record.version),
            ],
        },
        {
            "title": "Access",
            "items": [
                _item("Owner", owner),
                _item("Public", record.is_public),
                *([_item("Shared with", ", ".join(shared))] if shared is not None else []),
                _item("Archived", record.is_archived),
            ],
        },
    ]
    return groups


def runnable_algorithms(record: JwstDataModel) -> list[dict[str, str]]:
    """The algorithms that take this record's file (the record page's Run menu)."""
    if not record.file_path or record.file_missing:
        return []
    registry = load_algorithms()
    found = [registry.get(name) for name in registry.names()]
    return [{"name": a.name, "summary": a.summary} for a in found if a.accepts(record)]


def detector_of(record: JwstDataModel) -> str | None:
    """The DETECTOR keyword (kept in ``metadata`` for every FITS file, in ``sensorInfo`` for
    raw data), else the file name's detector token; stage-3 blends read ``MULTIPLE``."""
    sensor = record.sensor_info
    value = (sensor and sensor.detector_type) or record.metadata.get("detector")
    if not value:
        value = parse_name(record.file_name).detector
    if not value:
        return None
    text = str(value).upper()
    return "multiple" if text == "MULTIPLE" else text


def _metadata_groups(record: JwstDataModel) -> list[dict[str, Any]]:
    """MAST's columns (``mast_*``, on imports) apart from everything else in ``metadata``:
    a locally ingested file's keywords are not MAST's."""
    mast, other = [], []
    for key, value in sorted(record.metadata.items()):
        if key == "asn":
            continue
        if key.startswith("mast_"):
            mast.append(_item(key.removeprefix("mast_"), _short_json(value), mono=True))
        else:
            other.append(_item(key, _short_json(value), mono=True))
    groups = [{"title": "Metadata", "items": other or [_item("Metadata", None)]}]
    if mast:
        groups.append({"title": "MAST", "items": mast})
    return groups


def owner_label(record: JwstDataModel, owner: Any) -> str:
    """Who owns the record, in words: a user, MAST's public archive (an ownerless import) or
    nobody (a file an administrator ingested without ``--owner``)."""
    if owner is not None:
        return owner.username
    if record.user_id is not None:
        return "a removed user"
    if str(record.metadata.get("source", "")).upper() == "MAST":
        return "MAST (public archive)"
    return "nobody (added by an administrator)"


def record_view(
    request: Request,
    svc: Any,
    ctx: AccessContext,
    record_id: ObjectId,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """Render a record (also after a failed owner action, with the error and the input)."""
    record = svc.records.get(record_id, ctx)
    parent_ids = list(dict.fromkeys([*record.derived_from, *filter(None, [record.parent_id])]))
    parents = svc.records.get_many(parent_ids, ctx)
    direct = [
        r
        for r in svc.lineage.descendants(record_id, ctx)
        if r.parent_id == record_id or record_id in r.derived_from
    ]
    # Processing outputs are listed in their own section, not as lineage products.
    derived = [r for r in direct if is_derived_product(r)]
    children = [r for r in direct if not is_derived_product(r)]
    owner_user = svc.auth.users.find(record.user_id) if record.user_id else None
    owner = owner_label(record, owner_user)
    can_edit = ctx.can_write_owner(record.user_id)
    shared = _usernames(svc, record.shared_with) if can_edit else None
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return render(
        request,
        "record.html",
        status_code,
        record=record,
        groups=_groups(record, owner, parents, children, shared),
        viewer=viewer_kind(record),
        can_edit=can_edit,
        shared=shared or [],
        notice=notice,
        error=error,
        form=form or {},
        is_mine=record.user_id is not None and record.user_id == ctx.user_id,
        algorithms=runnable_algorithms(record) if ctx.user_id is not None else [],
        results=[
            (r, result_view(r.results), parameters_text(r.parameters))
            for r in reversed(record.processing_results)  # newest first
        ],
        outputs={c.file_path: c for c in [*children, *derived] if c.file_path},
        derived=derived,
    )


@router.get("/records/{record_id}")
def record_page(
    request: Request, svc: ServicesDep, ctx: PageContextDep, record_id: RecordIdDep
) -> Response:
    return record_view(request, svc, ctx, record_id)
