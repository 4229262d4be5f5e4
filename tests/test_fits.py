"""Header metadata of JWST FITS files (``jwstdata.fits``), on files from ``tests/fitsfactory``."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import io
import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bson
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from jwstdata.errors import ValidationError
from jwstdata.fits import FitsReadError, HeaderMetadata, read_header_metadata
from jwstdata.fitsmeta import hdus
from jwstdata.fitsmeta import keywords as kw
from jwstdata.fitsmeta.cards import HeaderCards
from jwstdata.models import DataType, JwstDataModel, WavelengthRange
from tests import fitsfactory as ff

EXPOSURE_ID = "jw02733001001_02101_00001"


@pytest.fixture(scope="module")
def products(tmp_path_factory) -> dict[str, Path]:
    """One file per common product, written once for the module."""
    d = tmp_path_factory.mktemp("products")
    return {
        "cal": ff.write_product(d, "cal"),
        "rate": ff.write_product(d, "rate", pupil="F405N"),
        "rateints": ff.write_product(d, "rateints"),
        "uncal": ff.write_product(d, "uncal"),
        "i2d3": ff.write_product(d, "i2d", instrument="MIRI", stage3=True),
        "s2d": ff.write_product(d, "s2d", instrument="NIRSPEC"),
        "s3d": ff.write_product(d, "s3d", instrument="NIRSPEC", sci={"WAVSTART": None}),
        "x1d": ff.write_product(d, "x1d", instrument="NIRSPEC", wavelength=(0.6, 5.3)),
    }


def _sci_header(path: Path) -> fits.Header:
    return fits.getheader(path, "SCI")


# --- imaging ------------------------------------------------------------------------------


def test_nircam_cal(products):
    path = products["cal"]
    meta = read_header_metadata(path, suffix="cal")
    info = meta.image_info
    assert info is not None
    assert info.target_name == "NGC3132"  # TARGPROP, not TARGNAME "NGC 3132"
    assert info.instrument == "NIRCAM"
    assert info.filter == "F444W"  # PUPIL = CLEAR is not shown
    assert info.exposure_time == fits.getval(path, "EFFEXPTM")
    assert info.observation_date == datetime(2022, 6, 3, 12, 54, 4, 447000, tzinfo=UTC)
    assert info.coordinate_system == "ICRS"
    assert info.wavelength_range is WavelengthRange.INFRARED
    assert info.calibration_level == 2
    assert info.proposal_id == "2733"
    assert info.proposal_pi == "Pontoppidan, Klaus"
    assert info.observation_title == "Planetary Nebula NGC 3132"
    assert (info.width, info.height, info.units) == (64, 64, "MJy/sr")
    assert meta.sensor_info is None and meta.spectral_info is None
    assert meta.data_type_hint is DataType.image
    assert meta.suffix == "cal"
    assert (meta.program, meta.observation, meta.visit) == ("02733", "001", "001")
    assert meta.exposure_id == EXPOSURE_ID
    assert meta.obs_id == "V02733001001P0000000002101"
    assert meta.file_name == path.name
    assert meta.asn_table == "jw02733-o001_20220621t142418_image2_00001_asn.json"
    assert meta.asn_pool == "jw02733_20220621t142418_pool.csv"


def test_wcs_dict_rebuilds_the_header_wcs(products):
    path = products["cal"]
    wcs = read_header_metadata(path, suffix="cal").image_info.wcs
    sci = _sci_header(path)
    assert wcs["CTYPE1"] == "RA---TAN-SIP" and wcs["CTYPE2"] == "DEC--TAN-SIP"
    for key in ("CRVAL1", "CRVAL2", "CRPIX1", "CDELT1", "PC1_1", "PC2_1", "RA_REF", "ROLL_REF"):
        assert wcs[key] == sci[key]
    assert wcs["A_ORDER"] == 3 and wcs["A_1_1"] == sci["A_1_1"]
    assert wcs["VPARITY"] == -1 and wcs["V3I_YANG"] == sci["V3I_YANG"]
    assert "S_REGION" not in wcs and "BUNIT" not in wcs
    rebuilt = WCS(wcs | {"NAXIS1": 64, "NAXIS2": 64})
    expected = WCS(sci)
    for x, y in ((0, 0), (63, 0), (31.5, 40.2)):
        assert rebuilt.pixel_to_world(x, y).separation(expected.pixel_to_world(x, y)).arcsec < 1e-9


def test_metadata_keywords_are_kept_bson_safe(products):
    path = products["cal"]
    meta = read_header_metadata(path, suffix="cal")
    primary = fits.getheader(path, 0)
    assert meta.metadata["exp_type"] == "NRC_IMAGE"
    assert meta.metadata["cal_ver"] == ff.CAL_VER
    assert meta.metadata["detector"] == "NRCALONG"
    assert meta.metadata["targ_ra"] == primary["TARG_RA"]
    assert meta.metadata["targ_dec"] == primary["TARG_DEC"]
    assert meta.metadata["ngroups"] == 4 and meta.metadata["nints"] == 1
    assert meta.metadata["subarray"] == "FULL" and meta.metadata["readpatt"] == "MEDIUM8"
    assert meta.metadata["obs_id"] == meta.obs_id and meta.metadata["visit_id"] == "02733001001"
    assert meta.metadata["pupil"] == "CLEAR" and meta.metadata["telescop"] == "JWST"
    region = _sci_header(path)["S_REGION"]
    assert len(region) > 68  # written over CONTINUE cards
    assert meta.metadata["s_region"] == region
    assert region.startswith("POLYGON ICRS")
    for key, value in meta.metadata.items():
        assert key == key.lower() and "." not in key and "-" not in key
        assert type(value) in (str, int, float, bool)
    json.dumps(meta.metadata, allow_nan=False)
    bson.encode(meta.metadata)


def test_result_fits_the_record_model(products):
    meta = read_header_metadata(products["rate"], suffix="rate")
    record = JwstDataModel(
        file_name=products["rate"].name,
        data_type=meta.data_type_hint,
        exposure_id=meta.exposure_id,
        metadata=meta.metadata,
        image_info=meta.image_info,
        sensor_info=meta.sensor_info,
    )
    document = record.model_dump(mode="json", by_alias=True)
    assert document["imageInfo"]["targetName"] == "NGC3132"
    assert document["sensorInfo"]["detectorType"] == "NRCALONG"
    json.dumps(document, allow_nan=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta.suffix = "cal"  # type: ignore[misc]


def test_miri_stage3_i2d(products):
    path = products["i2d3"]
    assert path.name == "jw02733-o001_t001_miri_f770w_i2d.fits"
    meta = read_header_metadata(path, suffix="i2d")
    info = meta.image_info
    assert info.instrument == "MIRI" and info.filter == "F770W"
    assert info.calibration_level == 3
    assert (info.width, info.height) == (64, 64)
    assert info.wcs["CTYPE1"] == "RA---TAN"
    assert meta.metadata["detector"] == "MULTIPLE"
    assert meta.exposure_id is None  # a stage-3 header only echoes its first member
    assert meta.program == "02733"
    assert meta.data_type_hint is DataType.image


def test_exposure_named_i2d_is_level_2(tmp_path):
    meta = read_header_metadata(ff.write_product(tmp_path, "i2d"), suffix="i2d")
    assert meta.image_info.calibration_level == 2
    assert meta.exposure_id == EXPOSURE_ID


def test_blended_header_is_stage3_whatever_the_name(tmp_path):
    path = ff.write_product(
        tmp_path / "upload-1.fits", "i2d", stage3=True, multiple=("FILTER", "DETECTOR")
    )
    meta = read_header_metadata(path, suffix="i2d")
    assert meta.image_info.filter == "MULTIPLE"
    assert meta.image_info.calibration_level == 3
    assert meta.metadata["detector"] == "MULTIPLE"


def test_stage3_from_filename_keyword_when_stored_under_another_name(tmp_path):
    path = ff.write_product(tmp_path / "upload-2.fits", "i2d", primary={"DETECTOR": "NRCALONG"})
    with fits.open(path, mode="update") as hdul:
        hdul[0].header["FILENAME"] = "jw02733-o001_t001_nircam_clear-f444w_i2d.fits"
    meta = read_header_metadata(path)  # no suffix: taken from FILENAME
    assert meta.suffix == "i2d"
    assert meta.image_info.calibration_level == 3


@pytest.mark.parametrize(
    ("instrument", "filter_", "pupil", "expected", "wavelength"),
    [
        ("NIRCAM", "F444W", "CLEAR", "F444W", 4.44),
        ("NIRCAM", "F444W", "F405N", "F444W;F405N", 4.05),
        ("NIRCAM", "F322W2", "F323N", "F322W2;F323N", 3.23),
        ("NIRCAM", "F444W", "GRISMR", "F444W;GRISMR", 4.44),
        ("NIRISS", "CLEAR", "F150W", "CLEAR;F150W", 1.5),
        ("NIRISS", "F444W", "CLEARP", "F444W", 4.44),
        ("MIRI", "F1000W", "N/A", "F1000W", 10.0),
        ("MIRI", "F2550W", None, "F2550W", 25.5),
        ("NIRSPEC", "F290LP", None, "F290LP", None),
    ],
)
def test_filter_representation_and_nominal_wavelength(
    tmp_path, instrument, filter_, pupil, expected, wavelength
):
    primary = {} if pupil is not None else {"PUPIL": None}
    path = ff.write_product(
        tmp_path, "rate", instrument=instrument, filter=filter_, pupil=pupil, primary=primary
    )
    meta = read_header_metadata(path, suffix="rate")
    assert meta.image_info.filter == expected
    assert meta.sensor_info.wavelength == wavelength


# --- sensor -------------------------------------------------------------------------------


def test_rate(products):
    path = products["rate"]
    primary = fits.getheader(path, 0)
    meta = read_header_metadata(path, suffix="rate")
    sensor = meta.sensor_info
    assert sensor.instrument == "NIRCAM"
    assert sensor.wavelength == 4.05  # F405N in the pupil wheel behind F444W
    assert sensor.data_points == 64 * 64
    assert sensor.sampling_rate == pytest.approx(1 / primary["TGROUP"])
    assert sensor.integration_time == primary["EFFINTTM"]
    assert sensor.detector_type == "NRCALONG"
    assert meta.image_info.units == "DN/s" and meta.image_info.calibration_level == 2
    assert meta.image_info.filter == "F444W;F405N"
    assert meta.data_type_hint is DataType.sensor
    assert meta.spectral_info is None


def test_rateints_counts_integrations(products):
    meta = read_header_metadata(products["rateints"], suffix="rateints")
    assert meta.sensor_info.data_points == 2 * 32 * 32
    assert meta.metadata["nints"] == 2


def test_uncal(products):
    path = products["uncal"]
    meta = read_header_metadata(path, suffix="uncal")
    assert meta.image_info.calibration_level == 1
    assert meta.data_type_hint is DataType.raw
    assert meta.sensor_info.data_points == 1 * 4 * 32 * 32  # ints x groups x pixels
    assert (meta.image_info.width, meta.image_info.height) == (32, 32)
    assert "cal_ver" not in meta.metadata  # no pipeline ran yet
    assert meta.exposure_id == EXPOSURE_ID


def test_integration_time_falls_back_on_tgroup_times_ngroups(tmp_path):
    path = ff.write_product(tmp_path, "uncal", primary={"EFFINTTM": None})
    primary = fits.getheader(path, 0)
    meta = read_header_metadata(path, suffix="uncal")
    assert meta.sensor_info.integration_time == pytest.approx(
        primary["TGROUP"] * primary["NGROUPS"]
    )


# --- spectra ------------------------------------------------------------------------------


def test_nirspec_s2d(products):
    meta = read_header_metadata(products["s2d"], suffix="s2d")
    spectral = meta.spectral_info
    assert spectral.instrument == "NIRSPEC" and spectral.grating == "G395H"
    assert (spectral.wavelength_start, spectral.wavelength_end) == (2.87, 5.27)  # WAVSTART in m
    assert spectral.data_points == 20 * 200
    assert spectral.units == "MJy/sr"
    assert spectral.spectral_resolution is None
    assert meta.data_type_hint is DataType.spectral
    assert (meta.image_info.width, meta.image_info.height) == (200, 20)
    assert meta.image_info.filter == "F290LP"
    assert "CTYPE1" not in (meta.image_info.wcs or {})  # s2d carries its WCS in ASDF only


def test_s3d_wavelengths_from_the_spectral_axis(products):
    meta = read_header_metadata(products["s3d"], suffix="s3d")
    assert meta.spectral_info.wavelength_start == pytest.approx(2.87)
    assert meta.spectral_info.wavelength_end == pytest.approx(5.27)
    assert meta.spectral_info.data_points == 40 * 15 * 15
    assert meta.image_info.wcs["CTYPE3"] == "WAVE"


def test_x1d_table(products):
    path = products["x1d"]
    meta = read_header_metadata(path, suffix="x1d")
    spectral = meta.spectral_info
    with fits.open(path) as hdul:
        wave = hdul["EXTRACT1D"].data["WAVELENGTH"]
        assert spectral.wavelength_start == float(wave.min()) == 0.6
        assert spectral.wavelength_end == float(wave.max()) == 5.3
    assert spectral.data_points == 100
    assert spectral.units == "Jy"
    assert spectral.grating == "G395H"
    assert meta.data_type_hint is DataType.spectral
    assert meta.image_info.width is None and meta.image_info.calibration_level == 2


def test_x1d_column_anywhere_in_the_row_with_units(tmp_path):
    wave = np.zeros((3, 4), np.float32)
    wave[:, :3] = [[500, 600, 700], [800, 900, 1000], [1100, 1200, np.nan]]  # nm, 0 = padding
    columns = {
        "SPEC_ID": (np.arange(3, dtype=np.int32), None),
        "NAME": (np.array(["a", "b", "c"]), None),
        "FLUX": (np.ones((3, 4)), "mJy"),
        "WAVELENGTH": (wave, "nm"),
        "DQ": (np.zeros(3, np.int16), None),
    }
    path = ff.write_product(tmp_path, "x1d", columns=columns)
    spectral = read_header_metadata(path, suffix="x1d").spectral_info
    assert (spectral.wavelength_start, spectral.wavelength_end) == (0.5, 1.2)
    assert spectral.data_points == 12
    assert spectral.units == "mJy"


def test_x1dints_reads_the_first_table(tmp_path):
    path = ff.write_product(tmp_path, "x1dints", instrument="NIRSPEC", nints=3, nrows=50)
    with fits.open(path) as hdul:
        assert [h.name for h in hdul].count("EXTRACT1D") == 3
    meta = read_header_metadata(path, suffix="x1dints")
    assert meta.spectral_info.data_points == 50
    assert meta.spectral_info.wavelength_start == 2.87


# --- suffix from headers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("product", "instrument", "suffix", "hint", "level"),
    [
        ("x1d", "NIRSPEC", "x1d", DataType.spectral, 2),
        ("uncal", "NIRCAM", "uncal", DataType.raw, 1),
        ("rate", "NIRCAM", "rate", DataType.sensor, 2),
        ("rateints", "NIRCAM", "rateints", DataType.sensor, 2),
        ("cal", "NIRCAM", None, DataType.image, None),
        ("cal", "NIRSPEC", None, DataType.spectral, None),  # EXP_TYPE NRS_FIXEDSLIT
    ],
)
def test_suffix_inferred_from_structure(tmp_path, product, instrument, suffix, hint, level):
    options = {"exp_type": "NRS_FIXEDSLIT"} if instrument == "NIRSPEC" else {}
    path = ff.write_product(
        tmp_path / "upload.fits", product, instrument=instrument, primary={"FILENAME": None},
        **options,
    )  # fmt: skip
    meta = read_header_metadata(path)
    assert meta.suffix == suffix
    assert meta.data_type_hint is hint
    assert meta.image_info.calibration_level == level
    assert (meta.sensor_info is not None) == (suffix in ("uncal", "rate", "rateints"))
    assert (meta.spectral_info is not None) == (suffix == "x1d")


def test_suffix_argument_wins_over_headers(products):
    meta = read_header_metadata(products["cal"], suffix="CAL")
    assert meta.suffix == "cal"
    assert read_header_metadata(products["cal"]).suffix == "cal"  # from FILENAME


# --- gzip ---------------------------------------------------------------------------------


@pytest.mark.parametrize("product", ["cal", "x1d", "uncal"])
def test_gzip_reads_like_plain(tmp_path, product):
    plain = ff.write_product(
        tmp_path, product, instrument="NIRSPEC" if product == "x1d" else "NIRCAM"
    )
    packed = ff.write_product(
        tmp_path, product, instrument="NIRSPEC" if product == "x1d" else "NIRCAM", gzip=True
    )
    assert packed.name.endswith(".fits.gz") and packed.read_bytes()[:2] == b"\x1f\x8b"
    a = read_header_metadata(plain, suffix=product)
    b = read_header_metadata(str(packed), suffix=product)
    assert a == b


def test_gzip_truncated_in_the_headers_is_an_error(tmp_path):
    packed = ff.gzip_copy(ff.write_product(tmp_path, "cal"))
    cut = ff.write_truncated(packed, tmp_path / "cut.fits.gz", at=300)
    with pytest.raises(FitsReadError, match="truncated gzip stream"):
        read_header_metadata(cut)


def test_gzip_truncated_after_the_headers_is_not_detected(tmp_path):
    """Documented limit: checking a gzip file's data means decompressing all of it."""
    packed = ff.gzip_copy(ff.write_product(tmp_path, "cal", shape=(256, 256)))
    raw = packed.read_bytes()
    cut = tmp_path / "late-cut.fits.gz"
    cut.write_bytes(raw[: len(raw) * 3 // 4])
    assert read_header_metadata(cut, suffix="cal").image_info.width == 256


# --- dates, exposure time, target ---------------------------------------------------------


def test_date_from_expstart_when_date_obs_is_missing(tmp_path):
    path = ff.write_product(tmp_path, "cal", primary={"DATE-OBS": None, "TIME-OBS": None})
    date = read_header_metadata(path).image_info.observation_date
    assert abs(date - ff.DEFAULT_DATE) < timedelta(milliseconds=1)
    assert date.tzinfo is not None and date.utcoffset() == timedelta(0)


def test_date_obs_with_time_part_and_date_only(tmp_path):
    path = ff.write_product(
        tmp_path / "a.fits", "cal", primary={"DATE-OBS": "2023-01-02T03:04:05.5", "TIME-OBS": None}
    )
    assert read_header_metadata(path).image_info.observation_date == datetime(
        2023, 1, 2, 3, 4, 5, 500000, tzinfo=UTC
    )
    path = ff.write_product(
        tmp_path / "b.fits", "cal", primary={"TIME-OBS": None, "EXPSTART": None}
    )
    assert read_header_metadata(path).image_info.observation_date == datetime(
        2022, 6, 3, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("primary", "sci", "expected"),
    [
        ({}, {}, "EFFEXPTM"),
        ({"EFFEXPTM": None}, {"XPOSURE": 99.5}, 99.5),
        ({"EFFEXPTM": None}, {"XPOSURE": None}, "DURATION"),
        ({"EFFEXPTM": "n/a"}, {"XPOSURE": None}, "DURATION"),  # malformed reads as absent
        ({"EFFEXPTM": None, "DURATION": None}, {"XPOSURE": None}, None),
    ],
)
def test_exposure_time_fallbacks(tmp_path, primary, sci, expected):
    path = ff.write_product(tmp_path, "cal", primary=primary, sci=sci)
    if isinstance(expected, str):
        expected = fits.getval(path, expected)
    assert read_header_metadata(path).image_info.exposure_time == expected


def test_target_name_prefers_targprop(tmp_path):
    path = ff.write_product(tmp_path / "a.fits", "cal")
    assert read_header_metadata(path).image_info.target_name == "NGC3132"
    path = ff.write_product(tmp_path / "b.fits", "cal", primary={"TARGPROP": None})
    assert read_header_metadata(path).image_info.target_name == "NGC 3132"
    path = ff.write_product(tmp_path / "c.fits", "cal", primary={"TARGPROP": "N/A"})
    assert read_header_metadata(path).image_info.target_name == "NGC 3132"


# --- unreadable files ---------------------------------------------------------------------


def _broken_files(d: Path) -> list[tuple[Path, str]]:
    src = ff.write_product(d / "src_cal.fits", "cal")
    truncated = {
        "primary-header": "header of HDU 0 ends before END",
        "sci-header": "header of HDU 1 ends before END",
        "after-sci-header": "data of HDU 1 (SCI) needs",
        "sci-data": "data of HDU 1 (SCI) needs",
        "last-data": "data of HDU 8 (ASDF) needs",
        "primary-padding": "header of HDU 0 is cut inside its last block",
        4000: "header of HDU 0 ends before END",
    }
    cases = [(ff.write_truncated(src, d / f"t-{at}.fits", at=at), r) for at, r in truncated.items()]
    cases += [
        (ff.write_not_fits(d / f"{kind}.fits", kind), "not a FITS file: no SIMPLE card")
        for kind in ("png", "html", "text", "random")
    ]
    cases += [
        (ff.write_not_fits(d / "empty.fits", "empty"), "empty file"),
        (ff.write_corrupt(d / "c1.fits", "bad_naxis"), "corrupt FITS header: invalid NAXIS"),
        (ff.write_corrupt(d / "c2.fits", "non_ascii"), "corrupt FITS header: non-ASCII"),
        (ff.write_corrupt(d / "c3.fits", "bad_extension"), "not an extension header"),
        (ff.write_corrupt(d / "c4.fits.gz", "gzip"), "corrupt gzip stream"),
        (ff.write_huge(d / "cut.fits", complete=False), "HDU 1 (SCI) needs 1600000000 bytes"),
        (d / "missing.fits", "file not found"),
        (d, "not a regular file"),
    ]
    empty_gz = d / "empty.fits.gz"
    empty_gz.write_bytes(gzip.compress(b""))
    cases.append((empty_gz, "empty file"))
    return cases


def test_every_unreadable_file_raises_fits_read_error(tmp_path):
    for path, reason in _broken_files(tmp_path):
        with pytest.raises(FitsReadError) as caught:
            read_header_metadata(path)
        error = caught.value
        assert reason in error.reason, (path.name, error.reason)
        assert isinstance(error, ValidationError)
        assert error.code == "invalid_fits" and error.http_status == 422
        assert str(error) == f"{path.name}: {error.reason}"
        assert error.to_dict()["details"] == [{"field": "file", "message": error.reason}]


def test_no_warning_escapes(tmp_path, products):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = [p for p, _ in _broken_files(tmp_path)]
        caught.clear()  # writing the files may warn; reading them must not
        for path in [*files, *products.values()]:
            with contextlib.suppress(FitsReadError):
                read_header_metadata(path)
        date_only = ff.write_product(tmp_path / "d.fits", "cal", primary={"DATE-OBS": None})
        caught.clear()
        read_header_metadata(date_only)
    assert [str(w.message) for w in caught] == []


# --- pixel data is never read -------------------------------------------------------------


class _CountingReader(io.BufferedReader):
    total = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        _CountingReader.total += len(data)
        return data


def test_headers_of_a_huge_file_cost_a_few_blocks(tmp_path, monkeypatch):
    path = ff.write_huge(tmp_path / "huge.fits", shape=(20000, 20000))  # 1.6 GB, sparse
    assert path.stat().st_size > 1_600_000_000
    monkeypatch.setattr(hdus, "_open", lambda p: _CountingReader(io.FileIO(p, "rb")))
    _CountingReader.total = 0
    meta = read_header_metadata(path, suffix="cal")
    assert (meta.image_info.width, meta.image_info.height) == (20000, 20000)
    assert _CountingReader.total < 64 * 1024


def test_headers_of_an_x1d_read_only_the_table(tmp_path, monkeypatch):
    path = ff.write_product(tmp_path, "x1d", nrows=5000)
    monkeypatch.setattr(hdus, "_open", lambda p: _CountingReader(io.FileIO(p, "rb")))
    _CountingReader.total = 0
    read_header_metadata(path, suffix="x1d")
    with fits.open(path) as hdul:
        table_bytes = hdul["EXTRACT1D"].header["NAXIS1"] * 5000
    assert _CountingReader.total < table_bytes + 20 * 2880


# --- the card parser agrees with astropy --------------------------------------------------


def _raw_headers(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    return [
        raw[int(h["header"]) : int(h["data"])]
        for h in ff.hdu_offsets(path)
        if h["name"] in ("PRIMARY", "SCI", "EXTRACT1D")
    ]


def test_card_values_match_astropy(products, tmp_path):
    odd = ff.write_product(
        tmp_path / "odd.fits",
        "cal",
        primary={
            "QUOTED": "it''s 'quoted'",
            "LEADING": "  spaced  ",
            "EMPTY": "",
            "LONGSTR": "x" * 100 + "&" + "y" * 150,
            "BIGINT": 2**62,
            "NEGREAL": -1.5e-300,
            "TINY": 1e-12,
            "TRUTH": True,
            "FALSITY": False,
            "UNDEF": fits.card.Undefined(),
        },
    )
    for path in [*products.values(), odd]:
        for raw in _raw_headers(path):
            ours = HeaderCards(raw)
            theirs = fits.Header.fromstring(raw.decode("ascii"))
            checked = 0
            for key in ours:
                expected = theirs[key]
                if isinstance(expected, fits.card.Undefined):
                    expected = None
                assert ours.get(key) == expected, (path.name, key)
                assert type(ours.get(key)) is type(expected), (path.name, key)
                checked += 1
            assert checked > 20


def test_card_parser_edge_cases():
    def header(*cards: str) -> bytes:
        return b"".join(c.ljust(80).encode() for c in (*cards, "END")).ljust(2880)

    cards = HeaderCards(
        header(
            "DEXP    =               1.5D+3 / Fortran exponent",
            "INTPLUS =                  +42",
            "COMPLEX = (1.0, 2.0)",
            "NOQUOTE = 'unterminated",
            "SLASH   = 'a/b' / comment with 'quote'",
            "DUP     = 1",
            "DUP     = 2",
            "COMMENT   this is not a value",
            "HISTORY = not a value either",
        )
    )
    assert cards["DEXP"] == 1500.0
    assert cards["INTPLUS"] == 42
    assert cards["COMPLEX"] == "(1.0, 2.0)"
    assert cards["NOQUOTE"] == "unterminated"
    assert cards["SLASH"] == "a/b"
    assert cards["DUP"] == 1  # the first card wins, as in astropy
    assert "COMMENT" not in cards
    with pytest.raises(KeyError):
        cards["MISSING"]
    with pytest.raises(ValueError, match="non-ASCII"):
        HeaderCards("SIMPLE  = 'é'".encode().ljust(80))


# --- keyword rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.float32(1.5), 1.5),
        (np.int64(7), 7),
        (np.bool_(True), True),
        (float("nan"), None),
        (float("inf"), None),
        (fits.card.Undefined(), None),
        (2**70, str(2**70)),
        ("  padded  ", "padded"),
        (1 + 2j, "(1+2j)"),
    ],
)
def test_clean_values_are_bson_safe(value, expected):
    cleaned = kw.clean(value)
    assert cleaned == expected and type(cleaned) is type(expected)


@pytest.mark.parametrize(
    ("suffix", "stage3", "level"),
    [
        ("uncal", False, 1),
        ("rate", False, 2),
        ("rateints", False, 2),
        ("cal", False, 2),
        ("crf", False, 2),
        ("i2d", False, 2),
        ("i2d", True, 3),
        ("s2d", True, 3),
        ("x1d", False, 2),
        ("cal", True, 3),  # source-named spec3 cal of early pipeline versions
        ("c1d", False, 3),  # exists only source-named
        ("segm", False, 3),
        ("asn", False, None),
        ("bogus", False, None),
        (None, False, None),
    ],
)
def test_calibration_level_rule(suffix, stage3, level):
    assert kw.calibration_level(suffix, stage3=stage3) == level


def test_header_metadata_is_exported():
    assert dataclasses.is_dataclass(HeaderMetadata)
    assert hdus.FitsReadError is FitsReadError


def test_factory_writes_injected_data(tmp_path):
    image = ff.stars((48, 40), [(10.0, 12.0, 1000.0), (30.0, 5.0, 500.0)], background=0.25)
    path = ff.write_product(tmp_path / "stars.fits", "cal", data=image, gzip=True)
    assert path.name == "stars.fits.gz"
    with fits.open(path) as hdul:
        np.testing.assert_array_equal(hdul["SCI"].data, image)
        assert hdul["DQ"].data.shape == (48, 40) and hdul["DQ"].data.dtype == np.uint32
        assert hdul[-1].name == "ASDF"
    assert image.sum() == pytest.approx(0.25 * 48 * 40 + 1500, rel=1e-4)
    meta = read_header_metadata(path, suffix="cal")
    assert (meta.image_info.width, meta.image_info.height) == (40, 48)
