"""Rules that turn JWST header keywords into catalogue values.

Each rule is a small table or function with examples; :mod:`jwstdata.fitsmeta.extract`
applies them.

Filter representation (MAST's ``filters`` column): ``FILTER``, then ``;`` and ``PUPIL``
when the pupil wheel holds an optical element, i.e. ``PUPIL`` is present and not a clear
position. Examples: NIRCam ``F444W`` + ``CLEAR`` -> ``F444W``; NIRCam ``F444W`` + ``F405N``
-> ``F444W;F405N``; NIRISS ``CLEAR`` + ``F150W`` -> ``CLEAR;F150W``; NIRCam grism
``F444W`` + ``GRISMR`` -> ``F444W;GRISMR``; MIRI ``F770W`` -> ``F770W``; a blended stage-3
header keeps ``MULTIPLE``.

Nominal wavelength: the number in a JWST filter name is its nominal wavelength in units of
10 nm (``F444W`` -> 4.44 µm, ``F1000W`` -> 10.0 µm, ``F150W2`` -> 1.50 µm). It is within a few
per cent of the pivot wavelength for W/M/N/C filters (F444W: pivot 4.42 µm), except for the
very wide ``F150W2``/``F322W2`` (pivots 1.66/3.23 µm). The last such element of the filter
representation wins, so a narrow pupil filter beats the wide filter it sits behind
(``F444W;F405N`` -> 4.05 µm). Long-pass (``F290LP``), clear, grism and prism elements have no
nominal wavelength.
"""

from __future__ import annotations

import math
import re
from typing import Any

from jwstdata.models.enums import DataType, ProcessingLevel
from jwstdata.naming import SUFFIX_RULES, NameKind, level_for

# Keywords copied into ``metadata``: key is the FITS keyword lower-cased, '-' -> '_'
# (``DATE-OBS`` -> ``date_obs``). Looked up in the primary header, then in SCI, except
# SCI-first ones.
KEPT_KEYWORDS: tuple[str, ...] = (
    "TELESCOP",
    "EXP_TYPE",
    "CAL_VER",
    "CRDS_CTX",
    "DETECTOR",
    "CHANNEL",
    "BAND",
    "PUPIL",
    "GRATING",
    "SUBARRAY",
    "READPATT",
    "NGROUPS",
    "NINTS",
    "OBS_ID",
    "VISIT_ID",
    "CATEGORY",
    "TARGNAME",
    "TARG_RA",
    "TARG_DEC",
    "EXPSTART",
    "EXPEND",
    "FILENAME",
    "ASNTABLE",
    "ASNPOOL",
    "S_REGION",
)
SCI_FIRST: frozenset[str] = frozenset({"S_REGION", "BUNIT", "XPOSURE", "RADESYS"})

# WCS keywords of the SCI extension kept in ``imageInfo.wcs`` (FITS names, as astropy's
# ``WCS(dict)`` reads them), including the SIP approximation JWST writes in cal files.
WCS_KEYWORD = re.compile(
    r"^(?:(?:CTYPE|CRVAL|CRPIX|CDELT|CUNIT|CROTA)\d"
    r"|(?:PC|CD)\d_\d"
    r"|(?:A|B|AP|BP)_(?:ORDER|\d_\d)"
    r"|WCSAXES|RADESYS|EQUINOX|LONPOLE|LATPOLE"
    r"|RA_REF|DEC_REF|ROLL_REF|V2_REF|V3_REF|VPARITY|V3I_YANG)$"
)

MULTIPLE = "MULTIPLE"  # value of a keyword that differs between the inputs of a blended header
_NOT_SET = frozenset({"", "N/A", "NA", "NONE", "NULL", "UNKNOWN"})
_CLEAR_PUPIL = frozenset({"CLEAR", "CLEARP"})
_BAND = re.compile(r"^F(\d{3,4})(?:W2|W|M|N|C)$")

# EXP_TYPE values whose calibrated products are spectra (jwst pipeline exposure types).
SPECTROSCOPIC_EXP_TYPES: frozenset[str] = frozenset(
    {
        "NRS_FIXEDSLIT",
        "NRS_IFU",
        "NRS_MSASPEC",
        "NRS_BRIGHTOBJ",
        "NRS_LAMP",
        "NRS_AUTOWAVE",
        "MIR_LRS-FIXEDSLIT",
        "MIR_LRS-SLITLESS",
        "MIR_MRS",
        "MIR_FLATMRS",
        "NIS_SOSS",
        "NIS_WFSS",
        "NRC_WFSS",
        "NRC_TSGRISM",
        "NRC_GRISM",
    }
)
JWST_INSTRUMENTS: frozenset[str] = frozenset({"NIRCAM", "NIRSPEC", "NIRISS", "MIRI", "FGS"})

_INT64 = 2**63
_CALIB_LEVEL = {
    ProcessingLevel.L1: 1,
    ProcessingLevel.L2a: 2,
    ProcessingLevel.L2b: 2,
    ProcessingLevel.L3: 3,
}


def calibration_level(suffix: str | None, *, stage3: bool) -> int | None:
    """MAST ``calib_level`` of a product: its processing level (``jwstdata.naming.rules``)
    with L2a and L2b both 2.

    ``stage3`` says the product is source-named (``jw02733-o001_t001_...``) or has a blended
    header; otherwise it is taken as exposure-named. A suffix that exists only in the other
    shape takes that shape's level. ``uncal`` -> 1; ``rate``/``cal``/``crf`` -> 2; ``i2d``/
    ``s2d``/``x1d`` -> 2, or 3 when ``stage3``; ``c1d``/``cat``/``segm`` -> 3; unknown -> None.
    """
    shapes = (NameKind.exposure, NameKind.source)
    for shape in reversed(shapes) if stage3 else shapes:
        level = level_for(suffix, shape)
        if level in _CALIB_LEVEL:
            return _CALIB_LEVEL[level]
    return None


def suffix_data_type(suffix: str | None) -> DataType | None:
    """The data type the naming rules give ``suffix`` (``rate`` -> sensor), None if unknown."""
    rule = SUFFIX_RULES.get(suffix) if suffix else None
    return rule.data_type if rule else None


def clean(value: Any) -> Any:
    """A header value as a BSON/JSON-safe scalar: str, int, float, bool or None.

    Undefined values, NaN and infinities become None; numpy scalars become Python ones;
    integers beyond 64 bits become strings; anything else becomes its ``str``.
    """
    if value is None or type(value).__name__ == "Undefined":  # astropy's undefined value
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, int | float):
        value = value.item()  # numpy scalar
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


def text(value: Any) -> str | None:
    """A string keyword, None when absent or a not-set marker (``N/A``, ``NONE``...)."""
    value = clean(value)
    if value is None or isinstance(value, bool):
        return None
    value = str(value).strip()
    return None if value.upper() in _NOT_SET else value


def number(value: Any) -> float | None:
    value = clean(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def filter_name(filter_: Any, pupil: Any) -> str | None:
    """MAST-style filter representation (see the module docstring)."""
    f = text(filter_)
    p = text(pupil)
    if p is not None and p.upper() in _CLEAR_PUPIL:
        p = None
    if f and p:
        return f"{f};{p}"
    return f or p


def nominal_wavelength(filters: str | None) -> float | None:
    """Micrometres from the filter name(s): ``F444W;F405N`` -> 4.05, ``MULTIPLE`` -> None."""
    if not filters:
        return None
    for part in reversed(filters.upper().split(";")):
        match = _BAND.match(part.strip())
        if match:
            return int(match.group(1)) / 100
    return None


def to_micron(value: float | None, unit: str | None) -> float | None:
    """A wavelength in micrometres; ``unit`` None guesses metres for values below 1e-2
    (JWST pipelines write ``WAVSTART``/``WAVEND`` in metres for NIRSpec, microns elsewhere)."""
    if value is None or value < 0:
        return None
    if unit is None:
        unit = "m" if value < 1e-2 else "um"
    factor = {
        "um": 1.0,
        "micron": 1.0,
        "microns": 1.0,
        "nm": 1e-3,
        "angstrom": 1e-4,
        "m": 1e6,
    }.get(unit.strip().lower())
    if factor is None:
        return None
    return float(f"{value * factor:.12g}")  # 5.27e-06 m -> 5.27, not 5.26999999999999
