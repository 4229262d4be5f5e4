"""The file-name parser, read as documentation of JWST naming."""

from __future__ import annotations

import dataclasses
import doctest
import re
import time
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jwstdata.naming
import jwstdata.naming.rules
from jwstdata.models.enums import DataType, ProcessingLevel
from jwstdata.naming import (
    KNOWN_SUFFIXES,
    PIPELINE_VERSION,
    SUFFIX_RULES,
    SUFFIX_TABLE,
    NameKind,
    ParsedName,
    level_for,
    parse_name,
)
from tests.naming_cases import CASES, CORE_KEYS, JSON_KEYS

# --- the table of real names ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_name_says(name, expected):
    assert parse_name(name).to_json() == expected


def test_the_table_is_large_and_covers_every_suffix_and_kind():
    assert len(CASES) >= 150
    assert len({name for name, _ in CASES}) == len(CASES), "duplicate names in the table"
    named = {doc["suffix"] for _, doc in CASES}
    # Every product suffix has a real-form row; the step intermediates of the table are
    # covered one by one by test_every_table_suffix_parses_back_whole.
    products = {
        *("uncal", "ramp", "trapsfilled", "fitopt", "rate", "rateints", "dark", "bsub"),
        *("bsubints", "flat", "cal", "calints", "crf", "crfints", "i2d", "s2d", "s3d", "x1d"),
        *("x1dints", "c1d", "cat", "segm", "phot", "whtlt", "psfstack", "psfalign", "psfsub"),
        *("ami", "amiavg", "aminorm", "psf-amiavg", "ami-oi", "amimulti-oi", "amilg"),
        *("aminorm-oi", "wfscmb", "asn", "pool", "msa", "stream", "bias"),
        *("mbsub", "median", "blot", "masterbg1d", "masterbg2d", "bkgx1d", "psf-ami-oi", "snr"),
        *("residual_fringe", "assign_wcs", "extract_1d"),
    }
    assert named >= products
    assert {doc["kind"] for _, doc in CASES} == {k.value for k in NameKind}


def test_json_has_the_core_keys_first_then_the_extras():
    doc = parse_name("jw02733001001_02101_00001_nrca1_cal.fits").to_json()
    assert tuple(doc)[:16] == CORE_KEYS
    assert tuple(doc) == JSON_KEYS


def test_python_side_uses_the_model_enums():
    p = parse_name("jw02733-o001_t001_nircam_clear-f090w_s2d.fits")
    assert p.processing_level is ProcessingLevel.L3
    assert p.data_type is DataType.spectral
    assert p.kind is NameKind.source


# --- suffixes are whole tokens ----------------------------------------------------------------


def test_cal_is_not_calints():
    assert parse_name("jw01386002001_03106_00001_nrcalong_cal.fits").suffix == "cal"
    assert parse_name("jw01386002001_03106_00001_nrcalong_calints.fits").suffix == "calints"


@pytest.mark.parametrize(
    ("short", "long"),
    [("rate", "rateints"), ("x1d", "x1dints"), ("crf", "crfints"), ("bsub", "bsubints")],
)
def test_a_suffix_is_never_a_prefix_of_another(short, long):
    stem = "jw01366004001_04101_00001-seg001_nrs1_"
    assert parse_name(f"{stem}{short}.fits").suffix == short
    assert parse_name(f"{stem}{long}.fits").suffix == long


def test_ami_suffixes_with_hyphens_are_single_tokens():
    stem = "jw87600027001_02101_00002_nis_a3001_"
    for suffix in ("ami", "ami-oi", "amimulti-oi", "amilg"):
        assert parse_name(f"{stem}{suffix}.fits").suffix == suffix


def test_an_unknown_suffix_still_parses_the_shape_but_not_the_level():
    p = parse_name("jw02733001001_02101_00001_nrca1_mystep.fits")
    assert (p.kind, p.suffix, p.processing_level, p.data_type) == (
        NameKind.exposure,
        "mystep",
        ProcessingLevel.unknown,
        None,
    )
    assert p.exposure_id == "jw02733001001_02101_00001"


# --- levels depend on the shape of the name ---------------------------------------------------


@pytest.mark.parametrize("suffix", ["i2d", "s2d", "s3d", "x1d", "x1dints"])
def test_resampled_and_extracted_products_are_l2b_per_exposure_and_l3_per_source(suffix):
    assert parse_name(f"jw02733001001_02101_00001_nrca1_{suffix}.fits").processing_level == "L2b"
    assert parse_name(f"jw02733-o001_t001_nircam_clear-f090w_{suffix}.fits").processing_level == (
        "L3"
    )


@pytest.mark.parametrize(
    ("suffix", "kind", "level"),
    [
        ("uncal", "exposure", "L1"),
        ("rate", "exposure", "L2a"),
        ("rateints", "exposure", "L2a"),
        ("ramp", "exposure", "L2a"),
        ("trapsfilled", "exposure", "L2a"),
        ("fitopt", "exposure", "L2a"),
        ("cal", "exposure", "L2b"),
        ("calints", "exposure", "L2b"),
        ("bsub", "exposure", "L2b"),
        ("crf", "exposure", "L2b"),
        ("crfints", "exposure", "L2b"),
        ("i2d", "exposure", "L2b"),
        ("i2d", "source", "L3"),
        ("c1d", "source", "L3"),
        ("cat", "source", "L3"),
        ("wfscmb", "source", "L3"),
        ("aminorm-oi", "source", "L3"),
        ("uncal", "source", "unknown"),
        ("cat", "exposure", "unknown"),
        ("cal", "guidestar", "unknown"),
        ("cal", "preview", "unknown"),
        ("asn", "association", "unknown"),
        ("nonsense", "exposure", "unknown"),
        (None, "source", "unknown"),
        ("CAL", NameKind.exposure, "L2b"),
    ],
)
def test_level_for(suffix, kind, level):
    assert level_for(suffix, kind) == level


def test_associations_pools_guidestars_and_previews_have_no_level():
    for name in (
        "jw02733-o001_20220713t004107_image3_00001_asn.json",
        "jw02733_20220712t204227_pool.csv",
        "jw02733001001_gs-fg_2022169021014_uncal.fits",
        "jw02733001001_02101_00001_nrca1_uncal_thumb.jpg",
    ):
        assert parse_name(name).processing_level is ProcessingLevel.unknown


def test_the_docstring_shows_the_one_table_and_cites_the_pipeline_version():
    doc = jwstdata.naming.rules.__doc__ or ""
    row = re.compile(r"^[a-z][a-z0-9_-]* +(L|-)")
    rows = [line.split() for line in doc.splitlines() if row.match(line)]
    table = {row[0]: row[1:5] for row in rows}

    def cell(level: ProcessingLevel) -> str:
        return "-" if level is ProcessingLevel.unknown else level.value

    assert table == {
        suffix: [
            cell(rule.exposure_level),
            cell(rule.source_level),
            rule.data_type.value,
            "yes" if rule.viewable else "no",
        ]
        for suffix, rule in SUFFIX_RULES.items()
    }
    assert PIPELINE_VERSION == "jwst 3.0.0" and PIPELINE_VERSION in doc
    assert len(SUFFIX_TABLE) == len(SUFFIX_RULES) >= 120, "one row per suffix"


@pytest.mark.parametrize("entry", SUFFIX_TABLE, ids=[e.suffix for e in SUFFIX_TABLE])
def test_every_table_suffix_parses_back_whole(entry):
    """Longest match: a multi-token suffix is never cut to its last token, in every shape."""
    exposure = parse_name(f"jw02733001001_02101_00001_nrca1_{entry.suffix}.fits")
    source = parse_name(f"jw02733-o001_t001_nircam_clear-f090w_{entry.suffix}.fits")
    renamed = parse_name(f"my_copy_of_{entry.suffix}.fits")
    if entry.suffix not in ("asn", "pool", "msa"):  # these decide the shape themselves
        assert (exposure.suffix, exposure.detector) == (entry.suffix, "nrca1")
        assert exposure.processing_level == entry.rule.exposure_level
        assert (source.suffix, source.optical_elements) == (entry.suffix, "clear-f090w")
        assert source.processing_level == entry.rule.source_level
        assert renamed.suffix == entry.suffix and renamed.data_type == entry.rule.data_type
    for parsed in (exposure, source):
        if parsed.processing_level is not ProcessingLevel.unknown:
            assert parsed.data_type == entry.rule.data_type
            assert parsed.is_viewable == entry.rule.viewable


@pytest.mark.parametrize(
    ("name", "suffix", "level"),
    [
        ("jw01523003001_03102_00001_mirifulong_residual_fringe.fits", "residual_fringe", "L2b"),
        ("jw01523003001_03102_00001_mirifulong_fringe.fits", "fringe", "L2b"),
        ("jw02733001001_02101_00001_nrca1_extract_1d.fits", "extract_1d", "L2b"),
        ("jw02733001001_02101_00001_nrca1_extract_2d.fits", "extract_2d", "L2b"),
        ("jw02733001001_02101_00001_nrca1_outlier_i2d.fits", "outlier_i2d", "L2b"),
        ("jw02733001001_02101_00001_nrca1_i2d.fits", "i2d", "L2b"),
        ("jw02733001001_02101_00001_nrca1_badpix_selfcal_bkg.fits", "badpix_selfcal_bkg", "L2b"),
        ("jw02733-o001_t001_nircam_clear-f090w_outlier_detection.fits", "outlier_detection", "L3"),
        ("jw02733-o001_t001_nircam_clear-f090w_source_catalog.ecsv", "source_catalog", "L3"),
    ],
)
def test_longest_known_suffix_wins(name, suffix, level):
    parsed = parse_name(name)
    assert (parsed.suffix, parsed.processing_level.value) == (suffix, level)


def test_the_issue_products_have_levels():
    for name, level in (
        ("jw01345064001_03101_00001_nrs1_mbsub.fits", "L2b"),
        ("jw02733-o001_t001_nircam_clear-f090w_median.fits", "L3"),
        ("jw02733001001_02101_00001_nrca1_o001_blot.fits", "L3"),
        ("jw01345-o064_s000000001_nirspec_clear-prism_masterbg1d.fits", "L3"),
        ("jw01345-o064_s000000001_nirspec_clear-prism_masterbg2d.fits", "L3"),
        ("jw01345064001_03101_00001_nrs1_bkgx1d.fits", "L2b"),
        ("jw87600027001_02101_00002_nis_a3001_psf-ami-oi.fits", "L3"),
        ("jw01386-o001_t001_nircam_f444w-maskrnd_snr.fits", "L3"),
    ):
        assert parse_name(name).processing_level.value == level, name


def test_known_suffixes_are_the_rule_keys_in_lower_case():
    assert tuple(SUFFIX_RULES) == KNOWN_SUFFIXES
    assert all(s == s.lower() for s in KNOWN_SUFFIXES)
    assert {"uncal", "rate", "cal", "i2d", "x1d", "asn", "pool"} <= set(KNOWN_SUFFIXES)


# --- exposure names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detector", "instrument"),
    [
        ("nrca1", "nircam"),
        ("nrca4", "nircam"),
        ("nrcalong", "nircam"),
        ("nrcb3", "nircam"),
        ("nrcblong", "nircam"),
        ("mirimage", "miri"),
        ("mirifushort", "miri"),
        ("mirifulong", "miri"),
        ("nrs1", "nirspec"),
        ("nrs2", "nirspec"),
        ("nis", "niriss"),
        ("guider1", "fgs"),
        ("guider2", "fgs"),
        ("xyz9", None),
    ],
)
def test_instrument_follows_from_the_detector(detector, instrument):
    p = parse_name(f"jw02733001001_02101_00001_{detector}_cal.fits")
    assert (p.detector, p.instrument) == (detector, instrument)


def test_detectors_of_one_exposure_share_the_exposure_id():
    a = parse_name("jw02733001001_02101_00001_nrca1_cal.fits")
    b = parse_name("jw02733001001_02101_00001_nrcblong_cal.fits")
    assert a.exposure_id == b.exposure_id == "jw02733001001_02101_00001"
    assert a.detector != b.detector


def test_exposures_fall_back_to_grouping_by_observation():
    """Until the lineage service knows the stage-3 product, an exposure groups with the other
    files of its observation, including that observation's association."""
    cal = parse_name("jw02733001001_02101_00001_nrca1_cal.fits")
    uncal = parse_name("jw02733001002_02101_00003_nrcb4_uncal.fits")
    asn = parse_name("jw02733-o001_20220713t004107_image3_00001_asn.json")
    assert cal.observation_base_id == uncal.observation_base_id == asn.observation_base_id
    assert cal.observation_base_id == "jw02733-o001"


def test_segments_and_stage3_association_ids_are_parts_of_the_name():
    p = parse_name("jw00733003001_02101_00002-seg001_nrs1_o001_crfints.fits")
    assert (p.segment, p.association_id, p.suffix, p.exposure_id) == (
        "001",
        "o001",
        "crfints",
        "jw00733003001_02101_00002",
    )


def test_activity_is_base_36():
    p = parse_name("jw01180005001_0310c_00001_nrcb2_cal.fits")
    assert (p.visit_group, p.parallel_sequence, p.activity) == ("03", "1", "0c")


# --- source names -----------------------------------------------------------------------------


def test_observation_base_id_leaves_out_the_epoch():
    p = parse_name("jw80600-o009_t001-epoch1_miri_f1130w_i2d.fits")
    assert (p.observation_base_id, p.epoch) == ("jw80600-o009_t001_miri", "1")


@pytest.mark.parametrize(
    ("elements", "optical", "subarray"),
    [
        ("clear-prism-s200a1-subs200a1", "clear-prism-s200a1", "subs200a1"),
        ("clear-prism-s1600a1-sub512", "clear-prism-s1600a1", "sub512"),
        ("f444w-maskrnd-sub320a335r", "f444w-maskrnd", "sub320a335r"),
        ("f322w2-grismr-subgrism256", "f322w2-grismr", "subgrism256"),
        ("p750l-slitlessprism", "p750l", "slitlessprism"),
        ("f1550c-mask1550", "f1550c", "mask1550"),
        ("f140m-maskbar", "f140m-maskbar", None),
        ("clear-prism-s200a1", "clear-prism-s200a1", None),
        ("g395h-f290lp", "g395h-f290lp", None),
        ("ch1-long", "ch1-long", None),
        ("f480m-nrm-sub80", "f480m-nrm", "sub80"),
        ("full", "full", None),
    ],
)
def test_subarray_is_the_last_optical_element_when_it_names_a_subarray(elements, optical, subarray):
    p = parse_name(f"jw01366-o004_t001_nirspec_{elements}_x1d.fits")
    assert (p.optical_elements, p.subarray) == (optical, subarray)


def test_only_observation_candidates_name_an_observation():
    assert parse_name("jw02733-o001_t001_nircam_clear-f090w_i2d.fits").observation == "001"
    assert parse_name("jw01386-c1020_t001_nircam_f444w-maskrnd_i2d.fits").observation is None
    assert parse_name("jw87600-a3001_t001_niriss_f480m-nrm_amiavg.fits").observation is None


# --- previews, case, paths --------------------------------------------------------------------


def test_a_preview_shows_its_product():
    product = parse_name("jw02733001001_02101_00001_nrca1_cal.fits")
    thumb = parse_name("jw02733001001_02101_00001_nrca1_cal_thumb.jpg")
    assert thumb.kind is NameKind.preview and thumb.thumbnail
    assert (thumb.exposure_id, thumb.detector, thumb.suffix) == (
        product.exposure_id,
        product.detector,
        product.suffix,
    )
    assert (thumb.processing_level, thumb.data_type, thumb.is_viewable) == (
        ProcessingLevel.unknown,
        DataType.image,
        True,
    )


def test_upper_case_is_matched_in_lower_case_and_the_file_name_is_kept():
    p = parse_name("JW02733-O001_T001_NIRCAM_CLEAR-F090W_I2D.FITS")
    assert p.file_name == "JW02733-O001_T001_NIRCAM_CLEAR-F090W_I2D.FITS"
    assert (p.kind, p.optical_elements, p.extension) == (NameKind.source, "clear-f090w", "fits")


@pytest.mark.parametrize(
    "path",
    [
        Path("/data/mast/jw02733001001_02101_00001_nrca1_cal.fits"),
        PurePosixPath("relative/dir/jw02733001001_02101_00001_nrca1_cal.fits"),
        PureWindowsPath(r"C:\mast\jw02733001001_02101_00001_nrca1_cal.fits"),
        "https://mast.stsci.edu/api/v0.1/Download/file?uri=mast:JWST/product/"
        "jw02733001001_02101_00001_nrca1_cal.fits",
        b"/data/jw02733001001_02101_00001_nrca1_cal.fits",
    ],
)
def test_paths_urls_and_uris_are_reduced_to_the_basename(path):
    p = parse_name(path)
    assert p.file_name == "jw02733001001_02101_00001_nrca1_cal.fits"
    assert p.processing_level is ProcessingLevel.L2b


def test_compressed_files_keep_both_extensions():
    p = parse_name("jw02733-o001_t001_nircam_clear-f090w_i2d.fits.gz")
    assert (p.extension, p.compressed, p.suffix) == ("fits.gz", True, "i2d")


# --- the result -------------------------------------------------------------------------------


def test_the_result_is_a_frozen_slotted_dataclass():
    p = parse_name("jw02733001001_02101_00001_nrca1_cal.fits")
    assert type(p) is ParsedName and dataclasses.is_dataclass(p)
    assert not hasattr(p, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.suffix = "rate"  # type: ignore[misc]
    assert p == dataclasses.replace(p) and hash(p) == hash(dataclasses.replace(p))


def test_docstring_examples_hold():
    for module in (jwstdata.naming, jwstdata.naming.rules):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


# --- never raises -----------------------------------------------------------------------------

_JWST_ALPHABET = "jw0123456789_-.abcdefgilmnoprstuvxyzJWT/\\"
_REAL_NAMES = [name for name, _ in CASES if name]


def _check(p: ParsedName) -> None:
    assert isinstance(p, ParsedName)
    doc = p.to_json()
    assert tuple(doc) == JSON_KEYS
    assert doc["kind"] in {k.value for k in NameKind}
    assert doc["processingLevel"] in {lv.value for lv in ProcessingLevel}


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text):
    _check(parse_name(text))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_JWST_ALPHABET, max_size=90))
def test_never_raises_on_name_like_text(text):
    _check(parse_name("jw" + text))
    _check(parse_name(text))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_REAL_NAMES), st.integers(0, 120), st.integers(0, 5), st.text(max_size=4))
def test_never_raises_on_damaged_real_names(name, at, cut, insert):
    _check(parse_name(name[:at] + insert + name[at + cut :]))


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.binary(max_size=60)))
def test_never_raises_on_things_that_are_not_text(value):
    _check(parse_name(value))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "hostile",
    [
        "jwst_" + "a1_" * 20_000 + "x",
        "jw02733001001_02101_00001_" + "a_" * 20_000 + "!",
        "jw02733-o001_t001_nircam_" + "a-_" * 20_000 + "!",
        "jw02733001001_gs-fg_" + "1" * 50_000 + "-",
        "jw02733-o001_" + "a-" * 20_000 + "_1_asn",
        "x" * 1_000_000,
    ],
    ids=["crds", "exposure", "source", "guidestar", "association", "megabyte"],
)
def test_long_hostile_names_do_not_backtrack(hostile):
    # A liveness bound, not a speed target (bench/ has those): a pattern that backtracks on
    # these names runs for hours; a linear one finishes in milliseconds, even on a busy CI.
    start = time.perf_counter()
    _check(parse_name(hostile))
    assert time.perf_counter() - start < 30


def test_cli_lists_the_suffix_table_with_its_pipeline_version() -> None:
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "jwstdata", "naming", "suffixes", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert listed["pipeline"] == PIPELINE_VERSION
    rows = {row["suffix"]: row for row in listed["suffixes"]}
    assert len(rows) == len(SUFFIX_TABLE)
    assert rows["residual_fringe"]["exposureLevel"] == "L2b"
    assert rows["median"]["sourceLevel"] == "L3" and rows["median"]["stage"] == "stage 3"
