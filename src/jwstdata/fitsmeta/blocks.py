"""The metadata blocks of a file, built from its headers (see :mod:`jwstdata.fitsmeta.extract`
for which blocks a product gets): ``image_info``, ``sensor_info`` and ``spectral_info``."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from jwstdata.fitsmeta import keywords as kw
from jwstdata.fitsmeta.headers import FileHeaders
from jwstdata.fitsmeta.table import column_index, float_column
from jwstdata.fitsmeta.table import header_value as _value
from jwstdata.models import ImageMetadata, SensorMetadata, SpectralMetadata, WavelengthRange

_M = TypeVar("_M", bound=BaseModel)


def image_block(
    headers: FileHeaders, instrument: str | None, filters: str | None, level: int | None
) -> Any:
    axes = headers.sci_axes()
    wcs = _wcs(headers)
    celestial = bool(wcs) and str(wcs.get("CTYPE1", "")).upper().startswith("RA-")
    exposure_time = next(
        (
            t
            for t in (
                kw.number(headers.get("EFFEXPTM")),
                kw.number(headers.get("XPOSURE", sci_first=True)),
                kw.number(headers.get("DURATION")),
            )
            if t is not None and t >= 0
        ),
        None,
    )
    program = kw.text(headers.get("PROGRAM"))
    values = {
        "target_name": kw.text(headers.get("TARGPROP")) or kw.text(headers.get("TARGNAME")),
        "instrument": instrument,
        "filter": filters,
        "exposure_time": exposure_time,
        "observation_date": _observation_date(headers),
        "coordinate_system": kw.text(headers.get("RADESYS", sci_first=True))
        or ("ICRS" if celestial else None),
        "wcs": wcs or None,
        "wavelength_range": _wavelength_range(headers, instrument),
        "calibration_level": level,
        "proposal_id": str(int(program)) if program and program.isdigit() else program,
        "proposal_pi": kw.text(headers.get("PI_NAME")),
        "observation_title": kw.text(headers.get("TITLE")),
        "width": axes[0] if len(axes) >= 2 else None,
        "height": axes[1] if len(axes) >= 2 else None,
        "units": kw.text(_value(headers.sci, "BUNIT")) if headers.sci is not None else None,
    }
    return _model(ImageMetadata, values)


def _wavelength_range(headers: FileHeaders, instrument: str | None) -> WavelengthRange | None:
    telescope = kw.text(headers.get("TELESCOP"))
    if (instrument or "").upper() in kw.JWST_INSTRUMENTS or telescope == "JWST":
        return WavelengthRange.INFRARED  # every JWST instrument observes 0.6-28 µm
    return None


def _observation_date(headers: FileHeaders) -> datetime | None:
    date = kw.text(headers.get("DATE-OBS"))
    time = kw.text(headers.get("TIME-OBS"))
    if date and (time or "T" in date):
        try:
            stamp = datetime.fromisoformat(date if "T" in date else f"{date}T{time}")
            return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp
        except ValueError:
            pass
    mjd = kw.number(headers.get("EXPSTART"))
    if mjd is not None and 0 < mjd < 100_000:
        from astropy.time import Time  # only this fallback needs it

        with warnings.catch_warnings():  # ERFA's "dubious year" on odd dates
            warnings.simplefilter("ignore")
            return Time(mjd, format="mjd", scale="utc").to_datetime(timezone=UTC)
    if date:
        try:
            return datetime.fromisoformat(date[:10]).replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def _wcs(headers: FileHeaders) -> dict[str, Any]:
    if headers.sci is None:
        return {}
    wcs: dict[str, Any] = {}
    for key in headers.sci:
        if kw.WCS_KEYWORD.match(key):
            value = _value(headers.sci, key)
            if value is not None:
                wcs[key] = value
    return wcs


def sensor_block(headers: FileHeaders, instrument: str | None, filters: str | None) -> Any:
    tgroup = kw.number(headers.get("TGROUP"))
    ngroups = kw.number(headers.get("NGROUPS"))
    integration = kw.number(headers.get("EFFINTTM"))
    if integration is None and tgroup is not None and ngroups is not None:
        integration = tgroup * ngroups
    axes = headers.sci_axes()
    values = {
        "instrument": instrument,
        "wavelength": kw.nominal_wavelength(filters),
        "data_points": int(np.prod(axes, dtype=np.int64)) if axes else None,
        "sampling_rate": 1.0 / tgroup if tgroup else None,
        "integration_time": integration,
        "detector_type": kw.text(headers.get("DETECTOR")),
    }
    return _model(SensorMetadata, values)


def spectral_block(headers: FileHeaders, instrument: str | None) -> Any:
    start = end = None
    points = None
    units = kw.text(_value(headers.sci, "BUNIT")) if headers.sci is not None else None
    if headers.table is not None:
        points = int(_value(headers.table, "NAXIS2", 0))
        column = float_column(headers.table, headers.table_data, "WAVELENGTH")
        if column is not None:
            wave, unit, repeat = column
            points *= repeat
            good = wave[np.isfinite(wave) & (wave > 0)]
            if good.size:
                start = kw.to_micron(float(good.min()), unit or "um")
                end = kw.to_micron(float(good.max()), unit or "um")
        flux = column_index(headers.table, "FLUX")
        units = kw.text(_value(headers.table, f"TUNIT{flux}")) if flux else None
    elif headers.sci is not None:
        axes = headers.sci_axes()
        points = int(np.prod(axes, dtype=np.int64)) if axes else None
        start = kw.to_micron(kw.number(_value(headers.sci, "WAVSTART")), None)
        end = kw.to_micron(kw.number(_value(headers.sci, "WAVEND")), None)
        if start is None and len(axes) == 3 and _value(headers.sci, "CTYPE3") == "WAVE":
            start, end = _spectral_axis(headers, axes[2])
    values = {
        "instrument": instrument,
        "grating": _grating(headers),
        "wavelength_start": start,
        "wavelength_end": end,
        "spectral_resolution": None,
        "data_points": points,
        "units": units,
    }
    return _model(SpectralMetadata, values)


def _grating(headers: FileHeaders) -> str | None:
    grating = kw.text(headers.get("GRATING"))
    if grating:
        return grating
    for key in ("PUPIL", "FILTER"):  # NIRISS/NIRCam grisms, MIRI LRS prism
        value = kw.text(headers.get(key))
        if value and (value.upper().startswith("GR") or value.upper() == "P750L"):
            return value
    return None


def _spectral_axis(headers: FileHeaders, length: int) -> tuple[float | None, float | None]:
    assert headers.sci is not None
    crval = kw.number(_value(headers.sci, "CRVAL3"))
    cdelt = kw.number(_value(headers.sci, "CDELT3"))
    crpix = kw.number(_value(headers.sci, "CRPIX3"))
    if None in (crval, cdelt, crpix) or length < 1:
        return None, None
    unit = kw.text(_value(headers.sci, "CUNIT3")) or "m"
    first = crval + (1 - crpix) * cdelt  # type: ignore[operator]
    last = first + (length - 1) * cdelt  # type: ignore[operator]
    return kw.to_micron(min(first, last), unit), kw.to_micron(max(first, last), unit)


def _model(cls: type[_M], values: dict[str, Any]) -> _M | None:
    """Build a metadata block, dropping fields the model rejects; None when nothing is known."""
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        return None
    for _ in range(len(values) + 1):
        try:
            return cls(**values)
        except PydanticValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err.get("loc")}
            if not bad & values.keys():
                raise
            values = {k: v for k, v in values.items() if k not in bad}
    return None
