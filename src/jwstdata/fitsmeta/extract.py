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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jwstdata.fitsmeta import keywords as kw
from jwstdata.fitsmeta.blocks import image_block, sensor_block, spectral_block
from jwstdata.fitsmeta.hdus import FitsReadError, Scan, scan
from jwstdata.fitsmeta.headers import SPECTRAL_TABLE, FileHeaders
from jwstdata.inflate import InflateLimitError, InflateLimits
from jwstdata.models import DataType, ImageMetadata, SensorMetadata, SpectralMetadata
from jwstdata.naming import SUFFIX_RULES, NameKind, parse_name

_ID_PARTS = (("PROGRAM", 5), ("OBSERVTN", 3), ("VISIT", 3))
_EXPOSURE_PARTS = (("VISITGRP", 2), ("SEQ_ID", 1), ("ACT_ID", 2), ("EXPOSURE", 5))
_BASE36 = re.compile(r"^[0-9a-z]+$")
_PRODUCT_SHAPES = (NameKind.exposure, NameKind.source)


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
        found = scan(path, wanted=("SCI", SPECTRAL_TABLE), tables=(SPECTRAL_TABLE,), limits=limits)
        return _Extraction(found, Path(path), suffix).result()
    except FitsReadError:
        raise
    except InflateLimitError as exc:
        raise FitsReadError(exc.message, path=path) from None
    except Exception as exc:  # a damaged header that slipped past the checks
        raise FitsReadError(f"corrupt FITS header: {type(exc).__name__}: {exc}", path=path) from exc


class _Extraction(FileHeaders):
    """What the product is (suffix, stage, ids, data type), and its metadata blocks."""

    def __init__(self, found: Scan, path: Path, suffix: str | None) -> None:
        super().__init__(found, path)
        self.file_name = kw.text(self.get("FILENAME"))
        # The name's shape (exposure or source) says stage 2 or 3 for i2d/s2d/x1d...: the
        # path's name when it is a JWST product name, else the FILENAME keyword's.
        self.named = parse_name(path.name)
        if self.named.kind not in _PRODUCT_SHAPES and self.file_name:
            self.named = parse_name(self.file_name)
        self.suffix = (suffix or "").lower() or self._infer_suffix()

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
            image_info=image_block(self, instrument, filters, level),
            sensor_info=sensor_block(self, instrument, filters)
            if kw.suffix_data_type(self.suffix) in (DataType.raw, DataType.sensor)
            else None,
            spectral_info=spectral_block(self, instrument)
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
