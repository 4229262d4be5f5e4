"""``read_header_metadata``: the catalogue metadata of a JWST FITS file, from its headers.

Which headers: the primary HDU, the first image extension named ``SCI`` and the first
``EXTRACT1D`` table (whose ``WAVELENGTH`` column is the only data ever read, for x1d
products). Pixel data is never read.

Which blocks (by the data type ``jwstdata.naming.rules`` gives the suffix):

- ``image_info`` for every product: it carries the observation context (target, instrument,
  filter, exposure time, date, programme, calibration level); ``width``/``height``/``wcs``/
  ``units`` come from the SCI extension when there is one.
- ``sensor_info`` for raw and sensor products: ``uncal``, ``ramp``, ``rate``, ``rateints``,
  ``bsub``...
- ``spectral_info`` for spectral products: ``s2d``, ``s3d``, ``x1d``, ``x1dints``, ``c1d``.

The suffix is the caller's (from the file-name parser). Without one it comes from the file's
name (the path's if it is a JWST product name, else the ``FILENAME`` keyword's), then from its
structure: an ``EXTRACT1D`` table -> ``x1d``, a 4-D SCI cube -> ``uncal``, a 2-D/3-D SCI in
``DN/s`` -> ``rate``/``rateints``; otherwise there is no suffix (no sensor or spectral block,
calibration level None).

Stage 3: a product is stage 3 (calibration level 3, no ``exposure_id``) when its name is
source-named (the path's, else ``FILENAME``'s) or its header is blended (``FILTER``,
``PUPIL``, ``DETECTOR``, ``GRATING``, ``EXP_TYPE`` or ``INSTRUME`` reads ``MULTIPLE``).

``data_type_hint``: ``spectral`` for spectral products, an ``EXTRACT1D`` table, or an image
product of a spectroscopic ``EXP_TYPE`` (a NIRSpec ``cal`` holds 2-D spectra); otherwise the
suffix's data type (``raw`` for ``uncal``, ``sensor`` for ``rate``...); ``image`` for an
unknown suffix with a SCI image; else None.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from jwstdata.fitsmeta import keywords as kw
from jwstdata.fitsmeta.cards import HeaderCards
from jwstdata.fitsmeta.hdus import FitsReadError, RawHdu, Scan, scan
from jwstdata.fitsmeta.table import column_index, float_column
from jwstdata.fitsmeta.table import header_value as _value
from jwstdata.inflate import InflateLimitError, InflateLimits
from jwstdata.models import (
    DataType,
    ImageMetadata,
    SensorMetadata,
    SpectralMetadata,
    WavelengthRange,
)
from jwstdata.naming import SUFFIX_RULES, NameKind, parse_name

_ID_PARTS = (("PROGRAM", 5), ("OBSERVTN", 3), ("VISIT", 3))
_EXPOSURE_PARTS = (("VISITGRP", 2), ("SEQ_ID", 1), ("ACT_ID", 2), ("EXPOSURE", 5))
_BASE36 = re.compile(r"^[0-9a-z]+$")
_SPECTRAL_TABLE = "EXTRACT1D"
_PRODUCT_SHAPES = (NameKind.exposure, NameKind.source)
_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class HeaderMetadata:
    """What the headers of one file say; models use the shared ``jwstdata.models`` types.

    ``program``/``observation``/``visit`` are zero-padded as in file names (``02733``,
    ``001``); ``exposure_id`` is ``jw<PPPPP><OOO><VVV>_<GG><S><AA>_<EEEEE>`` and is None for
    stage-3 (calibration level 3) products, whose headers only echo their first member.
    """

    image_info: ImageMetadata | None
    sensor_info: SensorMetadata | None
    spectral_info: SpectralMetadata | None
    metadata: dict[str, Any] = field(default_factory=dict)
    data_type_hint: DataType | None = None
    suffix: str | None = None  # the caller's, or inferred from the headers
    program: str | None = None
    observation: str | None = None
    visit: str | None = None
    exposure_id: str | None = None
    obs_id: str | None = None
    file_name: str | None = None  # FILENAME keyword: the name the pipeline gave the file
    asn_table: str | None = None
    asn_pool: str | None = None


def read_header_metadata(
    path: str | os.PathLike[str],
    *,
    suffix: str | None = None,
    limits: InflateLimits | None = None,
) -> HeaderMetadata:
    """Read the headers of a ``.fits``/``.fits.gz`` file; raise :class:`FitsReadError` when it
    is not a readable FITS file (see :mod:`jwstdata.fitsmeta.hdus` for the reasons)."""
    try:
        found = scan(
            path, wanted=("SCI", _SPECTRAL_TABLE), tables=(_SPECTRAL_TABLE,), limits=limits
        )
        return _Extraction(found, Path(path), suffix).result()
    except FitsReadError:
        raise
    except InflateLimitError as exc:
        raise FitsReadError(exc.message, path=path) from None
    except Exception as exc:  # a damaged header that slipped past the checks
        raise FitsReadError(f"corrupt FITS header: {type(exc).__name__}: {exc}", path=path) from exc


def _parse(hdu: RawHdu | None, path: Path) -> HeaderCards | None:
    if hdu is None:
        return None
    try:
        return HeaderCards(hdu.header)
    except ValueError:
        raise FitsReadError(
            f"corrupt FITS header: non-ASCII bytes in HDU {hdu.index}", path=path
        ) from None


class _Extraction:
    def __init__(self, found: Scan, path: Path, suffix: str | None) -> None:
        self.path = path
        self.primary: HeaderCards = _parse(found.hdus[0], path)  # type: ignore[assignment]
        sci = found.first("SCI")
        self.sci = _parse(sci, path)
        table_hdu = found.first(_SPECTRAL_TABLE)
        self.table = _parse(table_hdu, path)
        self.table_data = found.table_data.get(table_hdu.index) if table_hdu else None
        self.file_name = kw.text(self.get("FILENAME"))
        # The name's shape (exposure or source) says stage 2 or 3 for i2d/s2d/x1d...: the
        # path's name when it is a JWST product name, else the FILENAME keyword's.
        self.named = parse_name(path.name)
        if self.named.kind not in _PRODUCT_SHAPES and self.file_name:
            self.named = parse_name(self.file_name)
        self.suffix = (suffix or "").lower() or self._infer_suffix()

    # --- keyword access ---------------------------------------------------------------
    def get(self, key: str, *, sci_first: bool = False) -> Any:
        """A cleaned value: primary then SCI (SCI first for SCI-resident keywords)."""
        headers = (self.sci, self.primary) if sci_first else (self.primary, self.sci)
        for header in headers:
            value = _value(header, key)
            if value is not None:
                return value
        return None

    def sci_axes(self) -> list[int]:
        if self.sci is None:
            return []
        prefix = "ZNAXIS" if _value(self.sci, "ZIMAGE") is True else "NAXIS"
        naxis = _value(self.sci, prefix, 0)
        return [int(_value(self.sci, f"{prefix}{i}", 0)) for i in range(1, int(naxis) + 1)]

    # --- the result -------------------------------------------------------------------
    def result(self) -> HeaderMetadata:
        filters = kw.filter_name(self.get("FILTER"), self.get("PUPIL"))
        instrument = kw.text(self.get("INSTRUME"))
        blended = any(
            self.get(key) == kw.MULTIPLE
            for key in ("FILTER", "PUPIL", "DETECTOR", "GRATING", "EXP_TYPE", "INSTRUME")
        )
        stage3 = blended or self.named.kind is NameKind.source
        level = kw.calibration_level(self.suffix, stage3=stage3)
        ids = {key: self._id_part(key, width) for key, width in _ID_PARTS + _EXPOSURE_PARTS}
        exposure_id = None
        if level != 3 and all(ids.values()):
            exposure_id = (
                f"jw{ids['PROGRAM']}{ids['OBSERVTN']}{ids['VISIT']}_{ids['VISITGRP']}"
                f"{ids['SEQ_ID']}{ids['ACT_ID']}_{ids['EXPOSURE']}"
            )
        return HeaderMetadata(
            image_info=self._image(instrument, filters, level),
            sensor_info=self._sensor(instrument, filters)
            if kw.suffix_data_type(self.suffix) in (DataType.raw, DataType.sensor)
            else None,
            spectral_info=self._spectral(instrument)
            if kw.suffix_data_type(self.suffix) is DataType.spectral
            else None,
            metadata=self._kept(),
            data_type_hint=self._data_type(),
            suffix=self.suffix or None,
            program=ids["PROGRAM"],
            observation=ids["OBSERVTN"],
            visit=ids["VISIT"],
            exposure_id=exposure_id,
            obs_id=kw.text(self.get("OBS_ID")),
            file_name=self.file_name,
            asn_table=kw.text(self.get("ASNTABLE")),
            asn_pool=kw.text(self.get("ASNPOOL")),
        )

    def _infer_suffix(self) -> str:
        if self.named.suffix in SUFFIX_RULES:
            return self.named.suffix
        if self.table is not None:
            return "x1d"
        axes = self.sci_axes()
        if len(axes) == 4:
            return "uncal"
        if len(axes) in (2, 3) and str(self.get("BUNIT", sci_first=True)).upper() == "DN/S":
            return "rate" if len(axes) == 2 else "rateints"
        return ""

    def _id_part(self, key: str, width: int) -> str | None:
        value = kw.text(self.get(key))
        if value is None or value == kw.MULTIPLE:
            return None
        value = value.lower()
        if value.isdigit():
            return value.zfill(width) if len(value) <= width else None
        return value if len(value) == width and _BASE36.match(value) else None

    def _kept(self) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for key in kw.KEPT_KEYWORDS:
            value = self.get(key, sci_first=key in kw.SCI_FIRST)
            if value is not None:
                kept[key.lower().replace("-", "_")] = value
        return kept

    def _data_type(self) -> DataType | None:
        by_suffix = kw.suffix_data_type(self.suffix)
        if self.table is not None or by_suffix is DataType.spectral:
            return DataType.spectral
        if by_suffix not in (None, DataType.image) or self.sci is None:
            return by_suffix
        if kw.text(self.get("EXP_TYPE")) in kw.SPECTROSCOPIC_EXP_TYPES:
            return DataType.spectral  # e.g. a NIRSpec cal: 2-D spectra
        return DataType.image

    # --- blocks -----------------------------------------------------------------------
    def _image(self, instrument: str | None, filters: str | None, level: int | None) -> Any:
        axes = self.sci_axes()
        wcs = self._wcs()
        celestial = bool(wcs) and str(wcs.get("CTYPE1", "")).upper().startswith("RA-")
        exposure_time = next(
            (
                t
                for t in (
                    kw.number(self.get("EFFEXPTM")),
                    kw.number(self.get("XPOSURE", sci_first=True)),
                    kw.number(self.get("DURATION")),
                )
                if t is not None and t >= 0
            ),
            None,
        )
        program = kw.text(self.get("PROGRAM"))
        values = {
            "target_name": kw.text(self.get("TARGPROP")) or kw.text(self.get("TARGNAME")),
            "instrument": instrument,
            "filter": filters,
            "exposure_time": exposure_time,
            "observation_date": self._observation_date(),
            "coordinate_system": kw.text(self.get("RADESYS", sci_first=True))
            or ("ICRS" if celestial else None),
            "wcs": wcs or None,
            "wavelength_range": self._wavelength_range(instrument),
            "calibration_level": level,
            "proposal_id": str(int(program)) if program and program.isdigit() else program,
            "proposal_pi": kw.text(self.get("PI_NAME")),
            "observation_title": kw.text(self.get("TITLE")),
            "width": axes[0] if len(axes) >= 2 else None,
            "height": axes[1] if len(axes) >= 2 else None,
            "units": kw.text(_value(self.sci, "BUNIT")) if self.sci is not None else None,
        }
        return _model(ImageMetadata, values)

    def _wavelength_range(self, instrument: str | None) -> WavelengthRange | None:
        telescope = kw.text(self.get("TELESCOP"))
        if (instrument or "").upper() in kw.JWST_INSTRUMENTS or telescope == "JWST":
            return WavelengthRange.INFRARED  # every JWST instrument observes 0.6-28 µm
        return None

    def _observation_date(self) -> datetime | None:
        date = kw.text(self.get("DATE-OBS"))
        time = kw.text(self.get("TIME-OBS"))
        if date and (time or "T" in date):
            try:
                stamp = datetime.fromisoformat(date if "T" in date else f"{date}T{time}")
                return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp
            except ValueError:
                pass
        mjd = kw.number(self.get("EXPSTART"))
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

    def _wcs(self) -> dict[str, Any]:
        if self.sci is None:
            return {}
        wcs: dict[str, Any] = {}
        for key in self.sci:
            if kw.WCS_KEYWORD.match(key):
                value = _value(self.sci, key)
                if value is not None:
                    wcs[key] = value
        return wcs

    def _sensor(self, instrument: str | None, filters: str | None) -> Any:
        tgroup = kw.number(self.get("TGROUP"))
        ngroups = kw.number(self.get("NGROUPS"))
        integration = kw.number(self.get("EFFINTTM"))
        if integration is None and tgroup is not None and ngroups is not None:
            integration = tgroup * ngroups
        axes = self.sci_axes()
        values = {
            "instrument": instrument,
            "wavelength": kw.nominal_wavelength(filters),
            "data_points": int(np.prod(axes, dtype=np.int64)) if axes else None,
            "sampling_rate": 1.0 / tgroup if tgroup else None,
            "integration_time": integration,
            "detector_type": kw.text(self.get("DETECTOR")),
        }
        return _model(SensorMetadata, values)

    def _spectral(self, instrument: str | None) -> Any:
        start = end = None
        points = None
        units = kw.text(_value(self.sci, "BUNIT")) if self.sci is not None else None
        if self.table is not None:
            points = int(_value(self.table, "NAXIS2", 0))
            column = float_column(self.table, self.table_data, "WAVELENGTH")
            if column is not None:
                wave, unit, repeat = column
                points *= repeat
                good = wave[np.isfinite(wave) & (wave > 0)]
                if good.size:
                    start = kw.to_micron(float(good.min()), unit or "um")
                    end = kw.to_micron(float(good.max()), unit or "um")
            flux = column_index(self.table, "FLUX")
            units = kw.text(_value(self.table, f"TUNIT{flux}")) if flux else None
        elif self.sci is not None:
            axes = self.sci_axes()
            points = int(np.prod(axes, dtype=np.int64)) if axes else None
            start = kw.to_micron(kw.number(_value(self.sci, "WAVSTART")), None)
            end = kw.to_micron(kw.number(_value(self.sci, "WAVEND")), None)
            if start is None and len(axes) == 3 and _value(self.sci, "CTYPE3") == "WAVE":
                start, end = self._spectral_axis(axes[2])
        values = {
            "instrument": instrument,
            "grating": self._grating(),
            "wavelength_start": start,
            "wavelength_end": end,
            "spectral_resolution": None,
            "data_points": points,
            "units": units,
        }
        return _model(SpectralMetadata, values)

    def _grating(self) -> str | None:
        grating = kw.text(self.get("GRATING"))
        if grating:
            return grating
        for key in ("PUPIL", "FILTER"):  # NIRISS/NIRCam grisms, MIRI LRS prism
            value = kw.text(self.get(key))
            if value and (value.upper().startswith("GR") or value.upper() == "P750L"):
                return value
        return None

    def _spectral_axis(self, length: int) -> tuple[float | None, float | None]:
        assert self.sci is not None
        crval = kw.number(_value(self.sci, "CRVAL3"))
        cdelt = kw.number(_value(self.sci, "CDELT3"))
        crpix = kw.number(_value(self.sci, "CRPIX3"))
        if None in (crval, cdelt, crpix) or length < 1:
            return None, None
        unit = kw.text(_value(self.sci, "CUNIT3")) or "m"
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
