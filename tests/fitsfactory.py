"""Small but realistic JWST FITS files for tests and benchmarks.

One entry point writes any product with the header layout of the JWST pipeline (primary
keywords, a SCI extension with a celestial WCS and ``S_REGION``, the usual ERR/DQ/VAR_*
extensions and the trailing ``ASDF`` table)::

    from tests import fitsfactory as ff

    ff.write_product(tmp_path, "cal")                      # NIRCam cal, named like MAST's
    ff.write_product(tmp_path, "i2d", instrument="MIRI", stage3=True)
    ff.write_product(tmp_path / "a.fits.gz", "rate", data=ff.stars((64, 64), [(20, 30, 1e4)]))
    ff.write_product(tmp_path, "x1d", instrument="NIRSPEC", wavelength=(2.9, 5.2))
    ff.write_product(tmp_path, "cal", primary={"EFFEXPTM": None})   # None deletes a keyword

A directory as destination gets a MAST file name (:func:`exposure_name` /
:func:`source_name`); ``.gz`` in the name (or ``gzip=True``) writes a gzip-compressed file.
Shapes are numpy order: ``(ny, nx)`` for images, ``(nints, ngroups, ny, nx)`` for ``uncal``,
``(nints, ny, nx)`` for ``rateints``/``calints``, ``(nwave, ny, nx)`` for ``s3d``.

Helpers: :func:`stars` (an image of Gaussian sources for ``data``), :func:`spectrum_columns`,
:func:`exposure_name`/:func:`source_name`, :func:`gzip_copy`, :func:`hdu_offsets`. Broken
files: :func:`write_truncated`, :func:`write_huge` (headers declaring a big SCI, with sparse
or missing data), :func:`write_not_fits` and :func:`write_corrupt`.
"""

from __future__ import annotations

import gzip as gzip_module
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

PRODUCTS = (
    "uncal",
    "rate",
    "rateints",
    "cal",
    "calints",
    "crf",
    "i2d",
    "s2d",
    "s3d",
    "x1d",
    "x1dints",
)
MJD_EPOCH = datetime(1858, 11, 17, tzinfo=UTC)
DEFAULT_DATE = datetime(2022, 6, 3, 12, 54, 4, 447000, tzinfo=UTC)
CAL_VER = "1.14.0"


@dataclass(frozen=True)
class Ids:
    """Exposure identifiers as written in headers (strings, zero-padded)."""

    program: str = "02733"
    observation: str = "001"
    visit: str = "001"
    visit_group: str = "02"
    sequence: str = "1"
    activity: str = "01"
    exposure: str = "00001"

    @property
    def exposure_id(self) -> str:
        return (
            f"jw{self.program}{self.observation}{self.visit}_{self.visit_group}"
            f"{self.sequence}{self.activity}_{self.exposure}"
        )

    @property
    def visit_id(self) -> str:
        return f"{self.program}{self.observation}{self.visit}"

    @property
    def obs_id(self) -> str:
        return f"V{self.visit_id}P00000000{self.visit_group}{self.sequence}{self.activity}"


@dataclass(frozen=True)
class Instrument:
    name: str
    detector: str
    filter: str | None
    pupil: str | None
    grating: str | None
    image_exp_type: str
    spec_exp_type: str
    pixel_scale: float  # arcsec
    extra: Mapping[str, Any] = field(default_factory=dict)


INSTRUMENTS: dict[str, Instrument] = {
    "NIRCAM": Instrument(
        "NIRCAM", "NRCALONG", "F444W", "CLEAR", None, "NRC_IMAGE", "NRC_WFSS", 0.063,
        {"MODULE": "A", "CHANNEL": "LONG"},
    ),
    "MIRI": Instrument(
        "MIRI", "MIRIMAGE", "F770W", None, None, "MIR_IMAGE", "MIR_LRS-FIXEDSLIT", 0.11
    ),
    "NIRSPEC": Instrument(
        "NIRSPEC", "NRS1", "F290LP", None, "G395H", "NRS_IMAGE", "NRS_FIXEDSLIT", 0.1,
        {"FXD_SLIT": "S200A1"},
    ),
    "NIRISS": Instrument(
        "NIRISS", "NIS", "CLEAR", "F150W", None, "NIS_IMAGE", "NIS_WFSS", 0.0656
    ),
}  # fmt: skip

_SPECTRAL = {"s2d", "s3d", "x1d", "x1dints"}
_DEFAULT_SHAPE = {
    "uncal": (1, 4, 32, 32),
    "rateints": (2, 32, 32),
    "calints": (2, 32, 32),
    "s2d": (20, 200),
    "s3d": (40, 15, 15),
}
_BUNIT = {"uncal": "DN", "rate": "DN/s", "rateints": "DN/s"}
_DATAMODEL = {
    "uncal": ("Level1bModel", "uncalibrated"),
    "rate": ("ImageModel", "countrate"),
    "rateints": ("CubeModel", "countrate"),
    "calints": ("CubeModel", "calibrated"),
    "i2d": ("ImageModel", "resampled"),
    "s2d": ("SlitModel", "resampled"),
    "s3d": ("IFUCubeModel", "resampled"),
    "x1d": ("MultiSpecModel", "extracted spectra"),
    "x1dints": ("MultiSpecModel", "extracted spectra"),
}
_EXTENSIONS = {  # after SCI, in pipeline order; ASDF is always last
    "uncal": ["GROUP"],
    "rate": ["ERR", "DQ", "VAR_POISSON", "VAR_RNOISE"],
    "rateints": ["ERR", "DQ", "INT_TIMES", "VAR_POISSON", "VAR_RNOISE"],
    "cal": ["ERR", "DQ", "AREA", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"],
    "calints": ["ERR", "DQ", "INT_TIMES", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"],
    "crf": ["ERR", "DQ", "AREA", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"],
    "i2d": ["ERR", "CON", "WHT", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"],
    "s2d": ["ERR", "DQ", "WHT", "CON", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"],
    "s3d": ["ERR", "DQ", "WMAP"],
}
_WAVELENGTHS = {"G395H": (2.87, 5.27), "G235H": (1.66, 3.17), "G140H": (0.97, 1.89)}

DataSpec = np.ndarray | float | int | Callable[[tuple[int, ...], np.random.Generator], np.ndarray]


# --- names ------------------------------------------------------------------------------


def exposure_name(
    product: str, *, ids: Ids = Ids(), detector: str = "nrcalong", gzip: bool = False
) -> str:
    """``jw02733001001_02101_00001_nrcalong_cal.fits``."""
    return f"{ids.exposure_id}_{detector.lower()}_{product}.fits" + (".gz" if gzip else "")


def source_name(
    product: str,
    *,
    program: str = "02733",
    acid: str = "o001",
    target: str = "t001",
    instrument: str = "nircam",
    optical: Iterable[str | None] = ("F444W",),
    gzip: bool = False,
) -> str:
    """``jw02733-o001_t001_nircam_clear-f444w_i2d.fits`` (optical elements sorted, lower case)."""
    elements = sorted({e.lower() for e in optical if e and e.upper() not in ("N/A", "NONE")})
    return (
        f"jw{program}-{acid}_{target}_{instrument.lower()}_{'-'.join(elements) or 'clear'}"
        f"_{product}.fits" + (".gz" if gzip else "")
    )


# --- data -------------------------------------------------------------------------------


def stars(
    shape: tuple[int, int],
    positions: Iterable[tuple[float, float, float]],
    *,
    fwhm: float = 2.0,
    background: float = 0.0,
    dtype: Any = np.float32,
) -> np.ndarray:
    """An image of Gaussian stars: ``positions`` are ``(x, y, total flux)``, 0-based pixels."""
    ny, nx = shape
    y, x = np.mgrid[0:ny, 0:nx]
    sigma = fwhm / (2 * math.sqrt(2 * math.log(2)))
    image = np.full(shape, background, dtype=np.float64)
    for x0, y0, flux in positions:
        image += (
            flux
            / (2 * math.pi * sigma**2)
            * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * sigma**2))
        )
    return image.astype(dtype)


def _science_data(
    product: str, shape: tuple[int, ...] | None, dtype: Any, data: DataSpec | None, seed: int
) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return data.astype(dtype) if dtype is not None else data
    shape = tuple(shape or _DEFAULT_SHAPE.get(product, (64, 64)))
    rng = np.random.default_rng(seed)
    dtype = dtype or (np.uint16 if product == "uncal" else np.float32)
    if callable(data):
        return np.asarray(data(shape, rng), dtype=dtype)
    if data is not None:
        return np.full(shape, data, dtype=dtype)
    if product == "uncal":  # rising ramps: group g reads about 1000 + 50 g DN
        groups = np.arange(shape[-3]).reshape(-1, 1, 1) * 50.0 + 1000.0
        noise = rng.normal(0, 3, shape)
        return np.clip(groups + noise, 0, 65535).astype(dtype)
    level = 0.5 if _BUNIT.get(product) == "DN/s" else 0.3
    return rng.normal(level, 0.01, shape).astype(dtype)


# --- headers ----------------------------------------------------------------------------


def _mjd(when: datetime) -> float:
    return (when - MJD_EPOCH) / timedelta(days=1)


def _set(header: fits.Header, values: Mapping[str, Any]) -> None:
    """Apply overrides: a value of None deletes the keyword."""
    for key, value in values.items():
        if value is None:
            header.remove(key, ignore_missing=True, remove_all=True)
        else:
            header[key] = value


# The rest of a real primary header (about 300 cards in all): visit, timing, guide star,
# ephemeris, dither, step status and reference-file keywords. Values are plausible, fixed.
_STEPS = (
    "GRPSCL",
    "DQINIT",
    "SATURA",
    "IPC",
    "SUPERB",
    "REFPIX",
    "LINEAR",
    "PERSIS",
    "DARK",
    "JUMP",
    "RAMPFT",
    "GANSCL",
    "WCS",
    "FLAT",
    "PHOTOM",
    "BKDSUB",
    "RESAMP",
    "SKYMAT",
    "OUTLIR",
    "TWKREG",
    "CHGMIG",
    "CLEANF",
    "GRPSKP",
    "MSBSUB",
    "EMICOR",
)
_REFTYPES = (
    "AREA",
    "DARK",
    "DISTOR",
    "DRIZPR",
    "FILOFF",
    "FLAT",
    "GAIN",
    "IPC",
    "LINEAR",
    "MASK",
    "PERSAT",
    "PHOTOM",
    "READNO",
    "SATURA",
    "SUPERB",
    "TRPDEN",
    "TRPPAR",
    "SPCWCS",
    "REGION",
    "WAVRAN",
    "CAMERA",
    "COLLIM",
    "DISPER",
    "FORE",
    "FPA",
)
_VISIT_CARDS = (
    ("SUBCAT", "SCIENCE", "Program sub-category"),
    ("CONT_ID", 0, "Continuation of previous program"),
    ("OBSLABEL", "NGC 3132 imaging", "Proposer label for the observation"),
    ("BKGDTARG", False, "Background target"),
    ("ENG_QUAL", "OK", "Engineering data quality indicator from EngDB"),
    ("VISITYPE", "PRIME_TARGETED_FIXED", "Visit type"),
    ("VSTSTART", "2022-06-03 12:00:00.000", "UTC visit start time"),
    ("NEXPOSUR", 4, "Total number of planned exposures in visit"),
    ("INTARGET", False, "At least one exposure in visit is internal"),
    ("TARGOOPP", False, "Visit scheduled as target of opportunity"),
    ("TSOVISIT", False, "Time Series Observation visit indicator"),
    ("VISITSTA", "SUCCESSFUL", "Status of a visit"),
    ("NRSTSTRT", 1, "Number of extra resets at start of exposure"),
    ("NRESETS", 1, "Number of resets between integrations"),
    ("ZEROFRAM", False, "T if zeroframe read"),
    ("DATAPROB", False, "Science telemetry indicated a problem"),
    ("SCA_NUM", 485, "Sensor Chip Assembly number"),
    ("DATAMODE", 31, "post-processing method used in FPAP"),
    ("TSAMPLE", 10.0, "[us] Time between samples"),
    ("EXPCOUNT", 1, "Running count of exposures in visit"),
    ("EXPRIPAR", "PRIME", "Prime or parallel exposure"),
    ("TARGDESC", "Planetary nebula", "Target description"),
    ("PROP_RA", 151.757541666667, "[deg] Proposer specified RA for the target"),
    ("PROP_DEC", -40.4365, "[deg] Proposer specified Dec for the target"),
    ("PROPEPOC", "2000", "Proposer specified epoch for RA and Dec"),
    ("MU_EPOCH", "2000-01-01 00:00:00", "Epoch of the proper motion values"),
    ("APERNAME", "NRCALL_FULL", "PRD science aperture used"),
    ("PPS_APER", "NRCALL_FULL", "original AperName supplied by PPS"),
    ("PATTTYPE", "FULL", "Primary dither pattern type"),
    ("PATTSTRT", 1, "Starting point in pattern"),
    ("NUMDTHPT", 4, "Total number of points in pattern"),
    ("PATTSIZE", "MEDIUM", "Primary dither pattern size"),
    ("PATT_NUM", 1, "Position number in primary pattern"),
    ("XOFFSET", 0.0, "x offset from pattern starting position"),
    ("YOFFSET", 0.0, "y offset from pattern starting position"),
    ("SUBSTRT1", 1, "Starting pixel in axis 1 direction"),
    ("SUBSTRT2", 1, "Starting pixel in axis 2 direction"),
    ("SUBSIZE1", 2048, "Number of pixels in axis 1 direction"),
    ("SUBSIZE2", 2048, "Number of pixels in axis 2 direction"),
    ("FASTAXIS", -1, "Fast readout axis direction"),
    ("SLOWAXIS", 2, "Slow readout axis direction"),
    ("GS_ORDER", 1, "index of guide star in the selected list"),
    ("GSSTRTTM", "2022-06-03 12:40:00.000", "UTC time when guide star activity started"),
    ("GSENDTIM", "2022-06-03 13:40:00.000", "UTC time guide star activity completed"),
    ("GDSTARID", "S4LS005423", "guide star identifier"),
    ("GS_RA", 151.72, "guide star right ascension"),
    ("GS_DEC", -40.49, "guide star declination"),
    ("GS_URA", 0.0000034, "guide star right ascension uncertainty"),
    ("GS_UDEC", 0.0000032, "guide star declination uncertainty"),
    ("GS_MAG", 15.22, "guide star magnitude in FGS detector"),
    ("GS_UMAG", 0.05, "guide star magnitude uncertainty"),
    ("PCS_MODE", "FINEGUIDE", "Pointing Control System mode"),
    ("GSCENTX", 1.05, "guide star centroid x in FGS ideal frame"),
    ("GSCENTY", -0.27, "guide star centroid y in FGS ideal frame"),
    ("JITTERMS", 1.1, "[mas] RMS jitter over the exposure"),
    ("REFFRAME", "EME2000", "Ephemeris reference frame"),
    ("EPH_TYPE", "Definitive", "Definitive or Predicted"),
    ("EPH_TIME", 59733.5, "[MJD] UTC time from ephemeris start time"),
    ("JWST_X", -322166.9, "[km] X spatial coordinate of JWST"),
    ("JWST_Y", -1271311.5, "[km] Y spatial coordinate of JWST"),
    ("JWST_Z", -716580.4, "[km] Z spatial coordinate of JWST"),
    ("JWST_DX", 0.32, "[km/s] X component of JWST velocity"),
    ("JWST_DY", -0.06, "[km/s] Y component of JWST velocity"),
    ("JWST_DZ", -0.15, "[km/s] Z component of JWST velocity"),
    ("BARTDELT", 251.4, "[s] Barycentric time correction"),
    ("BSTRTIME", 59733.54, "Solar System Barycentric exposure start time"),
    ("BENDTIME", 59733.542, "Solar System Barycentric exposure end time"),
    ("BMIDTIME", 59733.541, "Solar System Barycentric exposure mid time"),
    ("HELIDELT", 251.3, "[s] Heliocentric time correction"),
    ("HSTRTIME", 59733.54, "Heliocentric exposure start time in MJD"),
    ("HENDTIME", 59733.542, "Heliocentric exposure end time in MJD"),
    ("HMIDTIME", 59733.541, "Heliocentric exposure mid time in MJD"),
)


def _filler(product: str, inst: Instrument) -> list[tuple[str, Any, str]]:
    cards = list(_VISIT_CARDS)
    if product != "uncal":
        cards += [(f"S_{step}", "COMPLETE", f"{step} step status") for step in _STEPS]
        cards += [
            (f"R_{ref}", f"crds://jwst_{inst.name.lower()}_{ref.lower()}_0042.fits",
             f"{ref} reference file")
            for ref in _REFTYPES
        ]  # fmt: skip
    return cards


def _primary_header(
    product: str,
    inst: Instrument,
    *,
    ids: Ids,
    file_name: str,
    detector: str,
    filter_: str | None,
    pupil: str | None,
    grating: str | None,
    exp_type: str,
    date: datetime,
    ngroups: int,
    nints: int,
    tgroup: float,
    stage3: bool,
) -> fits.Header:
    datamodel, filetype = _DATAMODEL.get(product, ("ImageModel", "calibrated"))
    effinttm = round(tgroup * (ngroups - 1), 3)
    duration = round((tgroup * ngroups + 10.737) * nints, 3)
    h = fits.Header()
    h["DATE"] = ("2024-03-01T10:11:12.345", "UTC date file created")
    h["ORIGIN"] = ("STSCI", "Organization responsible for creating file")
    h["TIMESYS"] = ("UTC", "principal time system for time-related keywords")
    h["TIMEUNIT"] = ("s", "Default unit applicable to all time values")
    h["FILENAME"] = (file_name, "Name of the file")
    h["FILETYPE"] = (filetype, "Type of data in the file")
    h["DATAMODL"] = (datamodel, "Type of data model")
    h["TELESCOP"] = ("JWST", "Telescope used to acquire the data")
    if product != "uncal":
        h["CAL_VER"] = (CAL_VER, "Calibration software version number")
        h["CAL_VCS"] = ("RELEASE", "Calibration software version control sys number")
        h["CRDS_VER"] = ("11.17.19", "Version of CRDS file selection software used")
        h["CRDS_CTX"] = ("jwst_1225.pmap", "CRDS context (.pmap) used to select ref files")
    h["SDP_VER"] = ("2024_1", "Data processing software version number")
    h["PRD_VER"] = ("PRDOPSSOC-065", "S&OC PRD version number used in data processing")
    h["TITLE"] = ("Planetary Nebula NGC 3132", "Proposal title")
    h["PI_NAME"] = ("Pontoppidan, Klaus", "Principal investigator name")
    h["CATEGORY"] = ("ERO", "Program category")
    h["SCICAT"] = ("Stellar Physics and Stellar Types", "Science category assigned by TAC")
    h["DATE-OBS"] = (date.strftime("%Y-%m-%d"), "[yyyy-mm-dd] UTC date at start of exposure")
    h["TIME-OBS"] = (date.strftime("%H:%M:%S.%f")[:-3], "[hh:mm:ss.sss] UTC time at start")
    h["DATE-BEG"] = (date.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3], "Date-time start of exposure")
    h["OBS_ID"] = (ids.obs_id, "Programmatic observation identifier")
    h["VISIT_ID"] = (ids.visit_id, "Visit identifier")
    h["PROGRAM"] = (ids.program, "Program number")
    h["OBSERVTN"] = (ids.observation, "Observation number")
    h["VISIT"] = (ids.visit, "Visit number")
    h["VISITGRP"] = (ids.visit_group, "Visit group identifier")
    h["SEQ_ID"] = (ids.sequence, "Parallel sequence identifier")
    h["ACT_ID"] = (ids.activity, "Activity identifier")
    h["EXPOSURE"] = (ids.exposure, "Exposure request number")
    h["TEMPLATE"] = (_template(inst.name, exp_type), "Observation template used")
    h["TARGPROP"] = ("NGC3132", "Proposer's name for the target")
    h["TARGNAME"] = ("NGC 3132", "Standard astronomical catalog name for target")
    h["TARGTYPE"] = ("FIXED", "Type of target (fixed, moving, generic)")
    h["TARG_RA"] = (151.757541666667, "Target RA at mid time of exposure")
    h["TARG_DEC"] = (-40.4365, "Target Dec at mid time of exposure")
    h["SRCTYPE"] = ("EXTENDED", "Source type used for calibration")
    h["INSTRUME"] = (inst.name, "Instrument used to acquire the data")
    h["DETECTOR"] = (detector, "Name of detector used to acquire the data")
    for key, value in inst.extra.items():
        h[key] = value
    if filter_ is not None:
        h["FILTER"] = (filter_, "Name of the filter element used")
    if pupil is not None:
        h["PUPIL"] = (pupil, "Name of the pupil element used")
    if grating is not None:
        h["GRATING"] = (grating, "Name of the grating element used")
    h["EXPSTART"] = (_mjd(date), "UTC exposure start time (MJD)")
    h["EXPMID"] = (_mjd(date + timedelta(seconds=duration / 2)), "UTC exposure mid time")
    h["EXPEND"] = (_mjd(date + timedelta(seconds=duration)), "UTC exposure end time")
    h["READPATT"] = ("MEDIUM8" if inst.name == "NIRCAM" else "FASTR1", "Readout pattern")
    h["NINTS"] = (nints, "Number of integrations in exposure")
    h["NGROUPS"] = (ngroups, "Number of groups in integration")
    h["NFRAMES"] = (8 if inst.name == "NIRCAM" else 1, "Number of frames per group")
    h["GROUPGAP"] = (2 if inst.name == "NIRCAM" else 0, "Number of frames dropped")
    h["TFRAME"] = (10.737, "[s] Time between frames")
    h["TGROUP"] = (tgroup, "[s] Time between groups")
    h["EFFINTTM"] = (effinttm, "[s] Effective integration time")
    h["EFFEXPTM"] = (round(effinttm * nints, 3), "[s] Effective exposure time")
    h["DURATION"] = (duration, "[s] Total duration of exposure")
    h["SUBARRAY"] = ("FULL", "Subarray used")
    h["EXP_TYPE"] = (exp_type, "Type of data in the exposure")
    for key, value, comment in _filler(product, inst):
        h[key] = (value, comment)
    h["ASNPOOL"] = ("jw02733_20220621t142418_pool.csv", "Name of ASN pool")
    stage = "image3" if stage3 else ("spec2" if product in _SPECTRAL else "image2")
    h["ASNTABLE"] = (f"jw02733-o001_20220621t142418_{stage}_00001_asn.json", "ASN table")
    return h


def _template(instrument: str, exp_type: str) -> str:
    if exp_type.endswith(("IMAGE", "IMAGING")):
        return {"MIRI": "MIRI Imaging", "NIRISS": "NIRISS Imaging"}.get(
            instrument, "NIRCam Imaging"
        )
    return {"NIRSPEC": "NIRSpec Fixed Slit Spectroscopy"}.get(instrument, "Spectroscopy")


@lru_cache(maxsize=256)
def _celestial(
    ra: float, dec: float, roll: float, scale: float, nx: int, ny: int
) -> tuple[tuple[tuple[str, Any, str], ...], str]:
    """TAN WCS cards centred on (ra, dec), rotated by ``roll``, and the S_REGION polygon."""
    from astropy.wcs import WCS

    angle = math.radians(roll)
    cards = (
        ("WCSAXES", 2, "number of World Coordinate System axes"),
        ("CRPIX1", (nx + 1) / 2, "axis 1 coordinate of the reference pixel"),
        ("CRPIX2", (ny + 1) / 2, "axis 2 coordinate of the reference pixel"),
        ("CRVAL1", ra, "first axis value at the reference pixel"),
        ("CRVAL2", dec, "second axis value at the reference pixel"),
        ("CTYPE1", "RA---TAN", "Axis 1 type"),
        ("CTYPE2", "DEC--TAN", "Axis 2 type"),
        ("CUNIT1", "deg", "first axis units"),
        ("CUNIT2", "deg", "second axis units"),
        ("CDELT1", scale / 3600, "first axis increment per pixel"),
        ("CDELT2", scale / 3600, "second axis increment per pixel"),
        ("PC1_1", -math.cos(angle), "linear transformation matrix element"),
        ("PC1_2", math.sin(angle), "linear transformation matrix element"),
        ("PC2_1", math.sin(angle), "linear transformation matrix element"),
        ("PC2_2", math.cos(angle), "linear transformation matrix element"),
    )
    wcs = WCS({key: value for key, value, _ in cards} | {"NAXIS1": nx, "NAXIS2": ny})
    corners = wcs.calc_footprint(axes=(nx, ny))
    region = "POLYGON ICRS  " + " ".join(f"{a:.9f} {d:.9f}" for a, d in corners)
    return cards, region


def _sci_header(
    product: str,
    inst: Instrument,
    shape: tuple[int, ...],
    *,
    wcs: bool,
    sip: bool,
    ra: float,
    dec: float,
    roll: float,
    exposure_time: float,
    wavelength: tuple[float, float],
) -> fits.Header:
    h = fits.Header()
    h["EXTNAME"] = ("SCI", "extension name")
    h["BUNIT"] = (_BUNIT.get(product, "MJy/sr"), "physical units of the array values")
    h["XPOSURE"] = (exposure_time, "[s] Effective exposure time")
    h["TELAPSE"] = (round(exposure_time * 1.07, 3), "[s] Total elapsed exposure time")
    if product not in {"uncal", "rate", "rateints"}:
        h["PHOTMJSR"] = (0.26, "Flux density (MJy/steradian) producing 1 cps")
        h["PIXAR_SR"] = (9.31e-14, "Nominal pixel area in steradians")
    h["RADESYS"] = ("ICRS", "Name of the coordinate reference frame")
    ny, nx = shape[-2], shape[-1]
    region = None
    if wcs:
        cards, region = _celestial(ra, dec, roll, inst.pixel_scale, nx, ny)
        for key, value, comment in cards:
            h[key] = (value, comment)
        if sip:  # the SIP approximation of the GWCS that calwebb_image2 writes
            h["CTYPE1"], h["CTYPE2"] = "RA---TAN-SIP", "DEC--TAN-SIP"
            for name, lowest in (("A", 2), ("B", 2), ("AP", 1), ("BP", 1)):
                h[f"{name}_ORDER"] = (3, "SIP polynomial order")
                for p in range(4):
                    for q in range(4 - p):
                        if p + q >= lowest:
                            h[f"{name}_{p}_{q}"] = (
                                (-1) ** (p + q) * 10.0 ** -(4 + 2 * (p + q)),
                                "SIP",
                            )
            h["SIPMXERR"] = (0.0021, "Max diff from GWCS (equiv pix)")
            h["SIPIVERR"] = (0.0019, "Max diff for inverse (equiv pix)")
        if product == "s3d":
            h["WCSAXES"] = 3
            nwave = shape[0]
            step = (wavelength[1] - wavelength[0]) / max(nwave - 1, 1)
            for key, value in (("CRPIX3", 1.0), ("CRVAL3", wavelength[0]), ("CTYPE3", "WAVE"),
                               ("CUNIT3", "um"), ("CDELT3", step), ("PC3_3", 1.0)):  # fmt: skip
                h[key] = value
    if product in ("s2d",):
        h["SLTNAME"] = ("S200A1", "Name of the slit")
        h["DISPAXIS"] = (1, "Dispersion direction")
        h["WAVSTART"] = (wavelength[0] * 1e-6, "Lower bound of the default wavelength range")
        h["WAVEND"] = (wavelength[1] * 1e-6, "Upper bound of the default wavelength range")
    h["RA_REF"] = (ra, "[deg] Right ascension of the reference point")
    h["DEC_REF"] = (dec, "[deg] Declination of the reference point")
    h["ROLL_REF"] = (roll, "[deg] V3 roll angle at the ref point (N over E)")
    h["V2_REF"] = (86.103458, "[arcsec] Telescope V2 coord of reference point")
    h["V3_REF"] = (-493.227512, "[arcsec] Telescope V3 coord of reference point")
    h["VPARITY"] = (-1, "Sense of rotation between Ideal xy and V2V3")
    h["V3I_YANG"] = (-0.56987, "[deg] Angle from V3 axis to Ideal y axis")
    if region is None:
        d = 0.001
        region = (
            f"POLYGON ICRS  {ra - d:.9f} {dec - d:.9f} {ra + d:.9f} {dec - d:.9f} "
            f"{ra + d:.9f} {dec + d:.9f} {ra - d:.9f} {dec + d:.9f}"
        )
    h["S_REGION"] = (region, "spatial extent of the observation")
    return h


# --- HDUs -------------------------------------------------------------------------------


def _image_hdu(name: str, shape: tuple[int, ...], product: str) -> fits.ImageHDU:
    if name == "DQ":
        data = np.zeros(shape, dtype=np.uint32)
    elif name == "CON":
        data = np.ones((1, *shape[-2:]), dtype=np.int32)
    elif name == "AREA":
        data = np.ones(shape[-2:], dtype=np.float32)
    elif name == "WMAP":
        data = np.ones(shape, dtype=np.float32)
    else:
        data = np.full(shape, 0.01 if name == "ERR" else 1e-4, dtype=np.float32)
    hdu = fits.ImageHDU(data, name=name)
    if name in ("ERR", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"):
        unit = _BUNIT.get(product, "MJy/sr")
        hdu.header["BUNIT"] = unit if name == "ERR" else f"({unit})**2"
    return hdu


def _table_hdu(name: str, nrows: int = 2) -> fits.BinTableHDU:
    if name == "GROUP":
        columns = [
            fits.Column("integration_number", "I", array=np.ones(nrows, np.int16)),
            fits.Column("group_number", "I", array=np.arange(1, nrows + 1, dtype=np.int16)),
            fits.Column("end_day", "I", array=np.zeros(nrows, np.int16)),
            fits.Column("completion_time", "23A", array=["2022-06-03T12:55:00.000"] * nrows),
        ]
    elif name == "INT_TIMES":
        start = np.linspace(59733.5375, 59733.54, nrows)
        columns = [
            fits.Column("integration_number", "J", array=np.arange(1, nrows + 1, dtype=np.int32)),
            fits.Column("int_start_MJD_UTC", "D", array=start),
            fits.Column("int_mid_MJD_UTC", "D", array=start + 0.0005),
            fits.Column("int_end_MJD_UTC", "D", array=start + 0.001),
        ]
    elif name == "HDRTAB":
        columns = [
            fits.Column("FILENAME", "40A", array=[f"member_{i}_cal.fits" for i in range(nrows)]),
            fits.Column(
                "DETECTOR", "10A", array=[("NRCALONG", "NRCBLONG")[i % 2] for i in range(nrows)]
            ),
        ]
    else:  # ASDF: the serialized datamodel tree
        tree = b"#ASDF 1.0.0\n#ASDF_STANDARD 1.5.0\n%YAML 1.1\n--- !core/asdf-1.1.0\n...\n"
        columns = [
            fits.Column("ASDF_METADATA", f"{len(tree)}B", array=[np.frombuffer(tree, np.uint8)])
        ]
    return fits.BinTableHDU.from_columns(columns, name=name)


def spectrum_columns(
    wavelength: tuple[float, float] = (2.87, 5.27), nrows: int = 100, *, seed: int = 0
) -> dict[str, tuple[np.ndarray, str | None]]:
    """EXTRACT1D columns in pipeline order: name -> (values, unit)."""
    rng = np.random.default_rng(seed)
    wave = np.linspace(wavelength[0], wavelength[1], nrows)
    flux = 1e-3 * (1 + 0.1 * rng.standard_normal(nrows))
    return {
        "WAVELENGTH": (wave, "um"),
        "FLUX": (flux, "Jy"),
        "FLUX_ERROR": (np.full(nrows, 1e-5), "Jy"),
        "SURF_BRIGHT": (flux * 10, "MJy/sr"),
        "SB_ERROR": (np.full(nrows, 1e-4), "MJy/sr"),
        "DQ": (np.zeros(nrows, np.int32), None),
        "BACKGROUND": (np.zeros(nrows), "MJy/sr"),
        "NPIXELS": (np.full(nrows, 5.0), None),
    }


def _extract1d_hdu(
    columns: Mapping[str, tuple[np.ndarray, str | None]], sci: fits.Header
) -> fits.BinTableHDU:
    cols = []
    for name, (values, unit) in columns.items():
        values = np.asarray(values)
        codes = {"i2": "I", "i4": "J", "i8": "K", "f4": "E", "u1": "B"}
        if values.dtype.kind in "US":
            fmt = f"{max(1, values.dtype.itemsize // (4 if values.dtype.kind == 'U' else 1))}A"
        else:
            fmt = codes.get(values.dtype.str[1:], "D")
        if values.ndim == 2:
            fmt = f"{values.shape[1]}{fmt}"
        cols.append(fits.Column(name, fmt, unit=unit, array=values))
    hdu = fits.BinTableHDU.from_columns(cols, name="EXTRACT1D")
    for key in ("SLTNAME", "RA_REF", "DEC_REF", "S_REGION"):
        if key in sci:
            hdu.header[key] = sci[key]
    hdu.header["SRCTYPE"] = "POINT"
    return hdu


# --- the entry point --------------------------------------------------------------------


def write_product(
    dest: str | os.PathLike[str],
    product: str = "cal",
    *,
    instrument: str = "NIRCAM",
    detector: str | None = None,
    filter: str | None = None,
    pupil: str | None = None,
    grating: str | None = None,
    exp_type: str | None = None,
    shape: Sequence[int] | None = None,
    dtype: Any = None,
    data: DataSpec | None = None,
    seed: int = 0,
    dq: bool | None = None,
    extras: bool = True,
    wcs: bool | None = None,
    sip: bool | None = None,
    stage3: bool = False,
    multiple: Iterable[str] = ("DETECTOR",),
    ids: Ids = Ids(),
    ra: float = 151.7574,
    dec: float = -40.4372,
    roll: float = 293.09,
    date: datetime = DEFAULT_DATE,
    ngroups: int | None = None,
    nints: int | None = None,
    tgroup: float = 42.947,
    wavelength: tuple[float, float] | None = None,
    nrows: int = 100,
    columns: Mapping[str, tuple[np.ndarray, str | None]] | None = None,
    primary: Mapping[str, Any] | None = None,
    sci: Mapping[str, Any] | None = None,
    gzip: bool | None = None,
) -> Path:
    """Write one JWST product and return its path.

    ``dest``: a file path, or an existing directory (a MAST name is generated).
    ``product``: one of :data:`PRODUCTS`. ``instrument``: a key of :data:`INSTRUMENTS`, whose
    detector/filter/pupil/grating/EXP_TYPE are the defaults. ``data``: the SCI array, a fill
    value, or ``f(shape, rng) -> array``; ``shape``/``dtype`` otherwise (numpy order); the
    default content is seeded noise (``seed``), rising ramps for ``uncal``.
    ``dq``: add (True) or omit (False) the DQ extension; None follows the product.
    ``extras=False`` writes only SCI (+DQ) and skips ERR/VAR_*/ASDF (faster, smaller).
    ``wcs``: celestial TAN WCS in SCI centred on ``ra``/``dec`` and rotated by ``roll``
    (default: every product but s2d/x1d); ``sip``: SIP distortion keywords (default:
    cal/calints/crf). ``stage3``: blended stage-3 header: each keyword in ``multiple`` reads
    ``MULTIPLE``, a HDRTAB table is added and a directory ``dest`` gets a source name.
    ``ids``: PROGRAM/OBSERVTN/VISIT/... keywords; ``date``: DATE-OBS/TIME-OBS/EXPSTART...;
    ``ngroups``/``nints``/``tgroup``: exposure keywords (default from the shape).
    ``primary``/``sci``: extra or replaced keywords, a value None deletes. Spectra:
    ``wavelength`` (µm range); x1d: ``nrows`` or full ``columns`` (see
    :func:`spectrum_columns`). ``gzip``: compress (default: when the name ends in ``.gz``).
    """
    if product not in PRODUCTS:
        raise ValueError(f"unknown product {product!r}; choose from {PRODUCTS}")
    inst = INSTRUMENTS[instrument.upper()]
    spectral = product in _SPECTRAL
    detector = detector or inst.detector
    filter_ = filter if filter is not None else inst.filter
    pupil = pupil if pupil is not None else inst.pupil
    grating = grating if grating is not None else inst.grating
    exp_type = exp_type or (inst.spec_exp_type if spectral else inst.image_exp_type)
    wavelength = wavelength or _WAVELENGTHS.get(grating or "", (2.87, 5.27))

    dest = Path(dest)
    if dest.is_dir():
        if stage3:
            name = source_name(
                product, program=ids.program, acid=f"o{ids.observation}",
                instrument=inst.name, optical=(filter_, pupil, grating), gzip=bool(gzip),
            )  # fmt: skip
        else:
            name = exposure_name(product, ids=ids, detector=detector, gzip=bool(gzip))
        path = dest / name
    else:
        path = dest if not gzip or dest.name.endswith(".gz") else dest.with_name(dest.name + ".gz")

    sci_data = None if product in ("x1d", "x1dints") else _science_data(
        product, tuple(shape) if shape else None, dtype, data, seed
    )  # fmt: skip
    sci_shape = sci_data.shape if sci_data is not None else (1, nrows)
    if nints is None:
        nints = sci_shape[0] if product in ("uncal", "rateints", "calints") else 1
    if ngroups is None:
        ngroups = sci_shape[1] if product == "uncal" else 4
    file_name = path.name.removesuffix(".gz")
    ph = _primary_header(
        product, inst, ids=ids, file_name=file_name, detector=detector, filter_=filter_,
        pupil=pupil, grating=grating, exp_type=exp_type, date=date, ngroups=ngroups,
        nints=nints, tgroup=tgroup, stage3=stage3,
    )  # fmt: skip
    if stage3:
        for key in multiple:
            ph[key] = "MULTIPLE"
    if primary:
        _set(ph, primary)
    exposure_time = ph.get("EFFEXPTM")
    if not isinstance(exposure_time, int | float):
        exposure_time = round(tgroup * (ngroups - 1) * nints, 3)
    sh = _sci_header(
        product, inst, sci_shape, wcs=(not spectral or product == "s3d") if wcs is None else wcs,
        sip=product in ("cal", "calints", "crf") if sip is None else sip,
        ra=ra, dec=dec, roll=roll, exposure_time=exposure_time, wavelength=wavelength,
    )  # fmt: skip
    if sci:
        _set(sh, sci)

    hdus: list[fits.PrimaryHDU | fits.ImageHDU | fits.BinTableHDU] = [fits.PrimaryHDU(header=ph)]
    if product in ("x1d", "x1dints"):
        table = columns or spectrum_columns(wavelength, nrows, seed=seed)
        for _ in range(nints if product == "x1dints" else 1):
            hdus.append(_extract1d_hdu(table, sh))
        names = ["INT_TIMES"] if product == "x1dints" and extras else []
    else:
        hdus.append(fits.ImageHDU(sci_data, header=sh, name="SCI"))
        layout = _EXTENSIONS[product]
        names = list(layout) if extras else []
        if dq is None:
            dq = "DQ" in layout
        if dq and "DQ" not in names:
            names.insert(1 if names[:1] == ["ERR"] else 0, "DQ")
        if not dq:
            names = [n for n in names if n != "DQ"]
    for name in names:
        if name in ("GROUP", "INT_TIMES"):
            hdus.append(_table_hdu(name, max(nints, 1) * (ngroups if name == "GROUP" else 1)))
        else:
            hdus.append(_image_hdu(name, sci_shape, product))
    if stage3:
        hdus.append(_table_hdu("HDRTAB", 2))
    if extras:
        hdus.append(_table_hdu("ASDF"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fits.HDUList(hdus).writeto(path, overwrite=True, output_verify="silentfix")
    return path


# --- broken and odd files ---------------------------------------------------------------


def hdu_offsets(path: str | os.PathLike[str]) -> list[dict[str, int | str]]:
    """Header start, data start and data size of every HDU of a plain FITS file."""
    with fits.open(path, memmap=False) as hdul:
        out = []
        for i, hdu in enumerate(hdul):
            info = hdul.fileinfo(i)
            out.append(
                {"name": hdu.name, "header": info["hdrLoc"], "data": info["datLoc"],
                 "size": info["datSpan"]}
            )  # fmt: skip
        return out


def write_truncated(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, at: str | int
) -> Path:
    """Copy the first bytes of ``src`` to ``dst``.

    ``at``: a byte count, or ``"primary-header"`` (cut inside the primary header),
    ``"primary-padding"`` (END is there, the blank padding after it is cut),
    ``"sci-header"`` (inside the SCI header, before END), ``"sci-data"`` (headers complete,
    SCI data cut in the middle), ``"after-sci-header"`` (right after the SCI header) or
    ``"last-data"`` (the last HDU loses its final block). A gzip ``src`` takes only a byte
    count, which cuts the compressed stream.
    """
    raw = Path(src).read_bytes()
    if isinstance(at, int):
        keep = at
    else:
        if raw[:2] == b"\x1f\x8b":
            raise ValueError("a gzip source takes a byte count")
        hdus = hdu_offsets(src)
        sci = next(h for h in hdus if h["name"] == "SCI")
        keep = {
            "primary-header": 1000,
            "primary-padding": int(hdus[0]["data"]) - 10,
            "sci-header": int(sci["header"]) + 400,
            "after-sci-header": int(sci["data"]),
            "sci-data": int(sci["data"]) + int(sci["size"]) // 2,
            "last-data": len(raw) - 2880,
        }[at]
    out = Path(dst)
    out.write_bytes(raw[:keep])
    return out


def write_huge(
    path: str | os.PathLike[str],
    shape: tuple[int, int] = (20000, 20000),
    *,
    complete: bool = True,
    product: str = "cal",
    **options: Any,
) -> Path:
    """Primary and SCI headers (as :func:`write_product` writes them) declaring a ``shape``
    float32 SCI. ``complete=True`` makes a valid file whose data is a sparse hole (no disk
    used); ``complete=False`` stops right after the SCI header (data missing)."""
    tmp = Path(path).with_name(Path(path).name + ".template.fits")
    write_product(tmp, product, shape=(2, 2), extras=False, dq=False, **options)
    with fits.open(tmp, memmap=False) as hdul:
        primary = hdul[0].header.copy()
        sci = hdul["SCI"].header.copy()
    tmp.unlink()
    sci["NAXIS1"], sci["NAXIS2"] = shape[1], shape[0]
    head = primary.tostring().encode("ascii") + sci.tostring().encode("ascii")
    out = Path(path)
    with open(out, "wb") as fh:
        fh.write(head)
        if complete:
            fh.truncate(len(head) + -(-shape[0] * shape[1] * 4 // 2880) * 2880)
    return out


_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
    b"\x1f\xf3\xffa\x00\x00\x00\x0cIDATx\x9cc`\x18\x05\x00\x00\x10\x00\x01\x9a\x8f\x1c\xd4"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def write_not_fits(path: str | os.PathLike[str], kind: str = "png") -> Path:
    """Bytes that are not FITS: ``png``, ``html`` (an error page saved as .fits), ``text``,
    ``empty`` or ``random``."""
    content = {
        "png": _PNG,
        "html": b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
        b"<body>The archive is busy.</body></html>\n",
        "text": b"this is not a FITS file\n" * 10,
        "empty": b"",
        "random": np.random.default_rng(1).bytes(5000),
    }[kind]
    out = Path(path)
    out.write_bytes(content)
    return out


def write_corrupt(path: str | os.PathLike[str], kind: str = "bad_naxis") -> Path:
    """A file that starts like FITS and then breaks.

    ``bad_naxis``: ``NAXIS = 'two'``; ``non_ascii``: binary bytes inside the primary header;
    ``bad_extension``: a valid primary HDU followed by a block of garbage; ``gzip``: the gzip
    magic number followed by garbage.
    """

    def card(text: str) -> bytes:
        return text.ljust(80).encode("ascii")

    primary = card("SIMPLE  =                    T") + card("BITPIX  =                    8")
    end = card("END")
    if kind == "bad_naxis":
        raw = primary + card("NAXIS   = 'two'") + end
    elif kind == "non_ascii":
        raw = primary + card("NAXIS   =                    0") + bytes(range(128, 208)) + end
    elif kind == "bad_extension":
        raw = primary + card("NAXIS   =                    0") + card("EXTEND  =  T") + end
        raw = raw.ljust(2880, b" ") + np.random.default_rng(2).bytes(2880)
    elif kind == "gzip":
        raw = b"\x1f\x8b\x08\x00" + np.random.default_rng(3).bytes(3000)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    if kind != "gzip":
        raw = raw.ljust(-(-len(raw) // 2880) * 2880, b" ")
    out = Path(path)
    out.write_bytes(raw)
    return out


def gzip_copy(src: str | os.PathLike[str], dst: str | os.PathLike[str] | None = None) -> Path:
    """A gzip-compressed copy of ``src`` (default: ``src`` + ``.gz``)."""
    out = Path(dst) if dst is not None else Path(f"{src}.gz")
    out.write_bytes(gzip_module.compress(Path(src).read_bytes(), compresslevel=1))
    return out
