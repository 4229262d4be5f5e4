"""Record fields from MAST rows: ``mast_*`` metadata and ``imageInfo`` from the columns.

Pure functions, shared by import and by ``refresh-metadata``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jwstdata.mast import ObservationRow, ProductRow
from jwstdata.models import WavelengthRange, utcnow
from jwstdata.naming import NameKind, parse_name

MJD_EPOCH = datetime(1858, 11, 17, tzinfo=UTC)
_WAVELENGTH = {w.value: w.value for w in WavelengthRange}


def mjd_to_datetime(mjd: float | None) -> datetime | None:
    if mjd is None:
        return None
    try:
        return MJD_EPOCH + timedelta(days=float(mjd))
    except (OverflowError, ValueError):
        return None


def _bson_safe(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def mast_metadata(observation: ObservationRow, product: ProductRow) -> dict[str, Any]:
    """Every non-null observation column as ``mast_<column>``, plus provenance."""
    columns = observation.to_row()
    metadata = {
        f"mast_{name}": _bson_safe(value)
        for name, value in columns.items()
        if value is not None
        and _bson_safe(value) is not None
        and "." not in name
        and not name.startswith("$")
    }
    metadata.update(
        source="MAST",
        mast_dataURI=product.data_uri,
        mast_productType=product.product_type,
        mast_productSubGroupDescription=product.product_sub_group_description,
        mast_importedAt=utcnow().isoformat(),
    )
    return {k: v for k, v in metadata.items() if v is not None}


def image_info(observation: ObservationRow) -> dict[str, Any]:
    """``imageInfo`` fields the MAST observation columns provide."""
    instrument = (observation.instrument_name or "").split("/")[0].strip().upper() or None
    region = (observation.wavelength_region or "").strip().upper()
    info = {
        "targetName": observation.target_name,
        "instrument": instrument,
        "filter": observation.filters,
        "exposureTime": observation.t_exptime if (observation.t_exptime or 0) >= 0 else None,
        "observationDate": mjd_to_datetime(observation.t_min),
        "wavelengthRange": _WAVELENGTH.get(region),
        "calibrationLevel": observation.calib_level
        if observation.calib_level in range(5)
        else None,
        "proposalId": str(observation.proposal_id) if observation.proposal_id else None,
        "proposalPi": observation.proposal_pi,
        "observationTitle": observation.obs_title,
    }
    return {k: v for k, v in info.items() if v is not None}


def observation_base_id(observation: ObservationRow) -> str | None:
    """The stage-3 base id when the MAST observation is a source-based product."""
    parsed = parse_name(observation.obs_id + "_x.fits")
    return parsed.observation_base_id if parsed.kind is NameKind.source else None


def is_public(observation: ObservationRow, product: ProductRow) -> bool:
    rights = (product.data_rights or observation.data_rights or "PUBLIC").upper()
    release = mjd_to_datetime(observation.t_obs_release)
    return rights == "PUBLIC" and (release is None or release <= datetime.now(UTC))
