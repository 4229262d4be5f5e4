"""Real-form JWST file names and what ``parse_name(...).to_json()`` must say about them.

Names come from the JWST pipeline documentation and regression tests, association pools,
MAST listings and published analysis code (forms checked against the pipeline's file-naming
rules); a few are built in the same form to cover a suffix or shape. Expectations are written by
hand, one row per name. The row helpers only spell out what a literal in the row already says:
an exposure id ``jwPPPPPOOOVVV_GGSAA_EEEEE`` gives program, observation, visit, visit group,
parallel sequence, activity and exposure number; a stage-3 base id ``jwPPPPP-<acid>_<target>_<instr>``
gives program, association id, target and instrument.
"""

# ruff: noqa: E501
from __future__ import annotations

from typing import Any

JSON_KEYS = (
    # core keys, in this order
    "fileName",
    "kind",
    "suffix",
    "extension",
    "processingLevel",
    "dataType",
    "isViewable",
    "program",
    "observation",
    "visit",
    "exposureId",
    "detector",
    "instrument",
    "opticalElements",
    "associationId",
    "observationBaseId",
    # extras
    "segment",
    "visitGroup",
    "parallelSequence",
    "activity",
    "exposureNumber",
    "target",
    "sourceId",
    "epoch",
    "subarray",
    "compressed",
    "thumbnail",
    "asnType",
    "timestamp",
    "guiderMode",
)
CORE_KEYS = JSON_KEYS[:16]
_DEFAULTS: dict[str, Any] = dict.fromkeys(JSON_KEYS) | {
    "processingLevel": "unknown",
    "isViewable": False,
    "compressed": False,
    "thumbnail": False,
}


def case(name: str, **expected: Any) -> tuple[str, dict[str, Any]]:
    """A name and its full expected document: keys not given are null (false for flags)."""
    unknown = set(expected) - set(JSON_KEYS)
    assert not unknown, f"not a document key: {unknown}"
    doc = dict(_DEFAULTS)
    doc["fileName"] = name.replace("\\", "/").rsplit("/", 1)[-1]
    doc.update(expected)
    return name, doc


def exposure(name, suffix, level, data_type, viewable, exposure_id, detector, instrument, asn, segment, ext, **extra):  # fmt: skip
    p = exposure_id
    return case(
        name,
        kind="exposure",
        suffix=suffix,
        extension=ext,
        processingLevel=level,
        dataType=data_type,
        isViewable=viewable,
        program=p[2:7],
        observation=p[7:10],
        visit=p[10:13],
        exposureId=exposure_id,
        detector=detector,
        instrument=instrument,
        associationId=asn,
        observationBaseId=f"jw{p[2:7]}-o{p[7:10]}",
        segment=segment,
        visitGroup=p[14:16],
        parallelSequence=p[16],
        activity=p[17:19],
        exposureNumber=p[20:25],
        compressed=bool(ext) and ext.endswith(".gz"),
        **extra,
    )


def source(name, suffix, level, data_type, viewable, base_id, optical, subarray, source_id, ext, **extra):  # fmt: skip
    head, target, instrument = base_id.split("_")
    program, acid = head[2:7], head[8:]
    return case(
        name,
        kind="source",
        suffix=suffix,
        extension=ext,
        processingLevel=level,
        dataType=data_type,
        isViewable=viewable,
        program=program,
        observation=acid[1:] if acid.startswith("o") else None,
        instrument=instrument,
        opticalElements=optical,
        associationId=acid,
        observationBaseId=base_id,
        target=target,
        sourceId=source_id,
        subarray=subarray,
        compressed=bool(ext) and ext.endswith(".gz"),
        **extra,
    )


def association(name, asn_type, timestamp, base_id):  # fmt: skip
    program, acid = base_id[2:7], base_id[8:]
    return case(
        name,
        kind="association",
        suffix="asn",
        extension="json",
        dataType="metadata",
        program=program,
        observation=acid[1:] if acid.startswith("o") else None,
        associationId=acid,
        observationBaseId=base_id,
        asnType=asn_type,
        timestamp=timestamp,
    )


def pool(name, program, timestamp):  # fmt: skip
    return case(name, kind="pool", suffix="pool", extension="csv", dataType="metadata", program=program, timestamp=timestamp)  # fmt: skip


def guidestar(name, suffix, data_type, program, observation, visit, mode, timestamp, segment, ext):  # fmt: skip
    return case(
        name,
        kind="guidestar",
        suffix=suffix,
        extension=ext,
        dataType=data_type,
        program=program,
        observation=observation,
        visit=visit,
        instrument="fgs",
        observationBaseId=f"jw{program}-o{observation}",
        segment=segment,
        timestamp=timestamp,
        guiderMode=mode,
    )


def preview(shown: tuple[str, dict[str, Any]], name: str, thumbnail: bool, ext: str = "jpg"):
    """A preview says what the product it shows says, but is an image with no level."""
    doc = dict(shown[1]) | {
        "fileName": name,
        "kind": "preview",
        "extension": ext,
        "processingLevel": "unknown",
        "dataType": "image",
        "isViewable": True,
        "compressed": False,
        "thumbnail": thumbnail,
    }
    return name, doc


# fmt: off
# exposure(name, suffix, level, dataType, viewable, exposureId, detector, instrument, associationId, segment, extension)
NIRCAM_CAL = exposure("jw02733001001_02101_00001_nrca1_cal.fits", "cal", "L2b", "image", True, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits")
NIRCAM_UNCAL = exposure("jw02733001001_02101_00001_nrca1_uncal.fits", "uncal", "L1", "raw", False, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits")
NIRCAM_RATE = exposure("jw02733001001_02101_00001_nrca1_rate.fits", "rate", "L2a", "sensor", False, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits")
NIRCAM_TRAPS = exposure("jw02733001001_02101_00001_nrca1_trapsfilled.fits", "trapsfilled", "L2a", "sensor", False, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits")

EXPOSURES = [
    NIRCAM_UNCAL,
    NIRCAM_RATE,
    NIRCAM_CAL,
    NIRCAM_TRAPS,
    exposure("jw02733001001_02101_00001_nrca1_rateints.fits", "rateints", "L2a", "sensor", False, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrca1_ramp.fits", "ramp", "L2a", "sensor", False, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrca1_fitopt.fits", "fitopt", "L2a", "sensor", False, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrca1_i2d.fits", "i2d", "L2b", "image", True, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrca1_o001_crf.fits", "crf", "L2b", "image", True, "jw02733001001_02101_00001", "nrca1", "nircam", "o001", None, "fits"),
    exposure("jw02733001001_02101_00001_nrcalong_cal.fits", "cal", "L2b", "image", True, "jw02733001001_02101_00001", "nrcalong", "nircam", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrcblong_uncal.fits", "uncal", "L1", "raw", False, "jw02733001001_02101_00001", "nrcblong", "nircam", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrcb2_rateints.fits", "rateints", "L2a", "sensor", False, "jw02733001001_02101_00001", "nrcb2", "nircam", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrca1_cal.fits.gz", "cal", "L2b", "image", True, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits.gz"),
    exposure("jw93065002001_02101_00001_nrca1_rate.fits", "rate", "L2a", "sensor", False, "jw93065002001_02101_00001", "nrca1", "nircam", None, None, "fits"),
    exposure("jw00327001001_02101_00002_nrca1_rate.fits", "rate", "L2a", "sensor", False, "jw00327001001_02101_00002", "nrca1", "nircam", None, None, "fits"),
    exposure("jw01234001001_03101_00001_nrca2_o001_crf.fits", "crf", "L2b", "image", True, "jw01234001001_03101_00001", "nrca2", "nircam", "o001", None, "fits"),
    exposure("jw01939001001_02101_00001_nrcb1_cal.fits", "cal", "L2b", "image", True, "jw01939001001_02101_00001", "nrcb1", "nircam", None, None, "fits"),
    exposure("jw01180005001_0310c_00001_nrcb2_cal.fits", "cal", "L2b", "image", True, "jw01180005001_0310c_00001", "nrcb2", "nircam", None, None, "fits"),
    exposure("jw01345002001_14201_00001_mirimage_cal.fits", "cal", "L2b", "image", True, "jw01345002001_14201_00001", "mirimage", "miri", None, None, "fits"),
    exposure("jw01076107001_02101_00002_nrcalong_rate.fits", "rate", "L2a", "sensor", False, "jw01076107001_02101_00002", "nrcalong", "nircam", None, None, "fits"),
    exposure("jw01076101001_02101_00003_nrcalong_cal.fits", "cal", "L2b", "image", True, "jw01076101001_02101_00003", "nrcalong", "nircam", None, None, "fits"),
    exposure("jw00632003002_03105_00001_nrca4_cal.fits", "cal", "L2b", "image", True, "jw00632003002_03105_00001", "nrca4", "nircam", None, None, "fits"),
    exposure("jw01386002001_03106_00001_nrcalong_calints.fits", "calints", "L2b", "image", True, "jw01386002001_03106_00001", "nrcalong", "nircam", None, None, "fits"),
    exposure("jw01386002001_03106_00001_nrcalong_a3001_crfints.fits", "crfints", "L2b", "image", True, "jw01386002001_03106_00001", "nrcalong", "nircam", "a3001", None, "fits"),
    exposure("jw01386002001_03106_00001_nrcalong_a3001_psfalign.fits", "psfalign", "L3", "image", True, "jw01386002001_03106_00001", "nrcalong", "nircam", "a3001", None, "fits"),
    exposure("jw01386002001_03106_00001_nrcalong_a3001_psfsub.fits", "psfsub", "L3", "image", True, "jw01386002001_03106_00001", "nrcalong", "nircam", "a3001", None, "fits"),
    exposure("jw01386007001_03106_00001_mirimage_c1021_crfints.fits", "crfints", "L2b", "image", True, "jw01386007001_03106_00001", "mirimage", "miri", "c1021", None, "fits"),
    exposure("jw01523003001_03102_00001_mirifushort_uncal.fits", "uncal", "L1", "raw", False, "jw01523003001_03102_00001", "mirifushort", "miri", None, None, "fits"),
    exposure("jw01523003001_03102_00001_mirifushort_rate.fits", "rate", "L2a", "sensor", False, "jw01523003001_03102_00001", "mirifushort", "miri", None, None, "fits"),
    exposure("jw01523003001_03102_00001_mirifushort_cal.fits", "cal", "L2b", "image", True, "jw01523003001_03102_00001", "mirifushort", "miri", None, None, "fits"),
    exposure("jw01523003001_03102_00001_mirifushort_s3d.fits", "s3d", "L2b", "spectral", True, "jw01523003001_03102_00001", "mirifushort", "miri", None, None, "fits"),
    exposure("jw01523003001_03102_00001_mirifulong_x1d.fits", "x1d", "L2b", "spectral", False, "jw01523003001_03102_00001", "mirifulong", "miri", None, None, "fits"),
    exposure("jw01523003001_03102_00001_mirifushort_c1001_crf.fits", "crf", "L2b", "image", True, "jw01523003001_03102_00001", "mirifushort", "miri", "c1001", None, "fits"),
    exposure("jw01523003001_03102_00001_mirifushort_bsub.fits", "bsub", "L2b", "sensor", False, "jw01523003001_03102_00001", "mirifushort", "miri", None, None, "fits"),
    exposure("jw94015002002_02108_00001_mirimage_o002_crf.fits", "crf", "L2b", "image", True, "jw94015002002_02108_00001", "mirimage", "miri", "o002", None, "fits"),
    exposure("jw01366011001_04101_00001-seg001_mirimage_rateints.fits", "rateints", "L2a", "sensor", False, "jw01366011001_04101_00001", "mirimage", "miri", None, "001", "fits"),
    exposure("jw01366011001_04101_00001-seg001_mirimage_bsubints.fits", "bsubints", "L2b", "sensor", False, "jw01366011001_04101_00001", "mirimage", "miri", None, "001", "fits"),
    exposure("jw01366011001_04101_00001-seg001_mirimage_x1dints.fits", "x1dints", "L2b", "spectral", False, "jw01366011001_04101_00001", "mirimage", "miri", None, "001", "fits"),
    exposure("jw01366011001_04101_00001-seg002_mirimage_o011_crfints.fits", "crfints", "L2b", "image", True, "jw01366011001_04101_00001", "mirimage", "miri", "o011", "002", "fits"),
    exposure("jw00733003001_02101_00002-seg001_nrs1_rate.fits", "rate", "L2a", "sensor", False, "jw00733003001_02101_00002", "nrs1", "nirspec", None, "001", "fits"),
    exposure("jw00733003001_02101_00002-seg001_nrs1_o001_crfints.fits", "crfints", "L2b", "image", True, "jw00733003001_02101_00002", "nrs1", "nirspec", "o001", "001", "fits"),
    exposure("jw01366004001_04101_00001-seg001_nrs1_uncal.fits", "uncal", "L1", "raw", False, "jw01366004001_04101_00001", "nrs1", "nirspec", None, "001", "fits"),
    exposure("jw01366004001_04101_00001-seg003_nrs1_calints.fits", "calints", "L2b", "image", True, "jw01366004001_04101_00001", "nrs1", "nirspec", None, "003", "fits"),
    exposure("jw01366004001_04101_00001-seg001_nrs2_x1dints.fits", "x1dints", "L2b", "spectral", False, "jw01366004001_04101_00001", "nrs2", "nirspec", None, "001", "fits"),
    exposure("jw01492003001_03102_00005_nrs2_rate.fits", "rate", "L2a", "sensor", False, "jw01492003001_03102_00005", "nrs2", "nirspec", None, None, "fits"),
    exposure("jw01537007001_07101_00003_nrs2_cal.fits", "cal", "L2b", "image", True, "jw01537007001_07101_00003", "nrs2", "nirspec", None, None, "fits"),
    exposure("jw01345064001_03101_00001_nrs1_s2d.fits", "s2d", "L2b", "spectral", True, "jw01345064001_03101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw01345064001_03101_00001_nrs1_x1d.fits", "x1d", "L2b", "spectral", False, "jw01345064001_03101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw01345064001_03101_00001_nrs1_flat.fits", "flat", "L2b", "calibration", False, "jw01345064001_03101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw01251004001_03102_00001_nrs1_s3d.fits", "s3d", "L2b", "spectral", True, "jw01251004001_03102_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw01189011001_05101_00003_nrs1_cal.fits", "cal", "L2b", "image", True, "jw01189011001_05101_00003", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw01023001001_02101_00001_nrs1_dark.fits", "dark", "L2a", "calibration", False, "jw01023001001_02101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw90002001001_02102_00001_nis_rateints.fits", "rateints", "L2a", "sensor", False, "jw90002001001_02102_00001", "nis", "niriss", None, None, "fits"),
    exposure("jw87600027001_02101_00002_nis_calints.fits", "calints", "L2b", "image", True, "jw87600027001_02101_00002", "nis", "niriss", None, None, "fits"),
    exposure("jw87600027001_02101_00002_nis_a3001_ami-oi.fits", "ami-oi", "L3", "metadata", False, "jw87600027001_02101_00002", "nis", "niriss", "a3001", None, "fits"),
    exposure("jw87600027001_02101_00002_nis_a3001_amimulti-oi.fits", "amimulti-oi", "L3", "metadata", False, "jw87600027001_02101_00002", "nis", "niriss", "a3001", None, "fits"),
    exposure("jw87600027001_02101_00002_nis_a3001_amilg.fits", "amilg", "L3", "image", True, "jw87600027001_02101_00002", "nis", "niriss", "a3001", None, "fits"),
    exposure("jw87600027001_02101_00002_nis_a3001_ami.fits", "ami", "L3", "metadata", False, "jw87600027001_02101_00002", "nis", "niriss", "a3001", None, "fits"),
    exposure("jw01366001001_04101_00001-seg001_nis_rateints.fits", "rateints", "L2a", "sensor", False, "jw01366001001_04101_00001", "nis", "niriss", None, "001", "fits"),
    exposure("jw01534002002_04101_00001_guider2_cal.fits", "cal", "L2b", "image", True, "jw01534002002_04101_00001", "guider2", "fgs", None, None, "fits"),
    exposure("jw01534001004_03101_00001_guider1_uncal.fits", "uncal", "L1", "raw", False, "jw01534001004_03101_00001", "guider1", "fgs", None, None, "fits"),
    # upper case, paths and URIs: matched in lower case, fileName is the basename as given
    exposure("JW02733001001_02101_00001_NRCA1_CAL.FITS", "cal", "L2b", "image", True, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits"),
    exposure("/test/dir/to/the/file/public/jw90002/jw90002001001/jw90002001001_02102_00001_nis_rateints.fits", "rateints", "L2a", "sensor", False, "jw90002001001_02102_00001", "nis", "niriss", None, None, "fits"),
    exposure("mast:JWST/product/jw02733001001_02101_00001_nrca1_uncal.fits", "uncal", "L1", "raw", False, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits"),
    exposure("C:\\data\\jw02733001001_02101_00001_nrcb1_cal.fits", "cal", "L2b", "image", True, "jw02733001001_02101_00001", "nrcb1", "nircam", None, None, "fits"),
    # product roots (MAST obs_id form): no suffix, no level
    exposure("jw00327001001_02101_00002_nrca1", None, "unknown", None, False, "jw00327001001_02101_00002", "nrca1", "nircam", None, None, None),
    exposure("jw90001001003_02101_00001_nis_o001", None, "unknown", None, False, "jw90001001003_02101_00001", "nis", "niriss", "o001", None, None),
    exposure("jw02733001001_02101_00001_nrca1_cal", "cal", "L2b", "image", True, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, None),
    # multi-token suffixes are one suffix (jwst 3.0.0 step outputs), never their last token
    exposure("jw01523003001_03102_00001_mirifulong_residual_fringe.fits", "residual_fringe", "L2b", "spectral", True, "jw01523003001_03102_00001", "mirifulong", "miri", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrca1_assign_wcs.fits", "assign_wcs", "L2b", "image", True, "jw02733001001_02101_00001", "nrca1", "nircam", None, None, "fits"),
    exposure("jw01345064001_03101_00001_nrs1_extract_1d.fits", "extract_1d", "L2b", "spectral", False, "jw01345064001_03101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrcb4_dark_current.fits", "dark_current", "L2a", "sensor", False, "jw02733001001_02101_00001", "nrcb4", "nircam", None, None, "fits"),
    exposure("jw01366001001_04101_00001-seg002_nrs1_gain_scaleints.fits", "gain_scaleints", "L2a", "sensor", False, "jw01366001001_04101_00001", "nrs1", "nirspec", None, "002", "fits"),
    exposure("jw01345064001_03101_00001_nrs1_master_background_mos.fits", "master_background_mos", "L2b", "spectral", True, "jw01345064001_03101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw01523003001_03102_00001_assign_wcs.fits", "assign_wcs", "L2b", "image", True, "jw01523003001_03102_00001", None, None, None, None, "fits"),
    # official products that are not step names
    exposure("jw01345064001_03101_00001_nrs1_mbsub.fits", "mbsub", "L2b", "spectral", True, "jw01345064001_03101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw01345064001_03101_00001_nrs1_masterbg1d.fits", "masterbg1d", "L2b", "spectral", False, "jw01345064001_03101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw01345064001_03101_00001_nrs1_masterbg2d.fits", "masterbg2d", "L2b", "spectral", True, "jw01345064001_03101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw01345064001_03101_00001_nrs1_bkgx1d.fits", "bkgx1d", "L2b", "spectral", False, "jw01345064001_03101_00001", "nrs1", "nirspec", None, None, "fits"),
    exposure("jw02733001001_02101_00001_nrca1_o001_blot.fits", "blot", "L3", "image", True, "jw02733001001_02101_00001", "nrca1", "nircam", "o001", None, "fits"),
    exposure("jw87600027001_02101_00002_nis_a3001_psf-ami-oi.fits", "psf-ami-oi", "L3", "metadata", False, "jw87600027001_02101_00002", "nis", "niriss", "a3001", None, "fits"),
    # an association id after another token is still found
    exposure("jw02733001001_02101_00001_nrca1_x_o001_crf.fits", "crf", "L2b", "image", True, "jw02733001001_02101_00001", "nrca1", "nircam", "o001", None, "fits"),
]

# source(name, suffix, level, dataType, viewable, observationBaseId, opticalElements, subarray, sourceId, extension, **extras)
NIRCAM_I2D = source("jw02733-o001_t001_nircam_clear-f090w_i2d.fits", "i2d", "L3", "image", True, "jw02733-o001_t001_nircam", "clear-f090w", None, None, "fits")
SOURCES = [
    NIRCAM_I2D,
    source("jw02733-o001_t001_nircam_clear-f090w_median.fits", "median", "L3", "image", True, "jw02733-o001_t001_nircam", "clear-f090w", None, None, "fits"),
    source("jw01345-o064_s000000001_nirspec_clear-prism_masterbg1d.fits", "masterbg1d", "L3", "spectral", False, "jw01345-o064_s000000001_nirspec", "clear-prism", None, "s000000001", "fits"),
    source("jw01386-o001_t001_nircam_f444w-maskrnd-sub320a335r_snr.fits", "snr", "L3", "image", True, "jw01386-o001_t001_nircam", "f444w-maskrnd", "sub320a335r", None, "fits"),
    source("jw01523-o003_t002_miri_ch1-long_residual_fringe.fits", "residual_fringe", "unknown", "spectral", True, "jw01523-o003_t002_miri", "ch1-long", None, None, "fits"),
    source("jw01523-o003_t002_miri_ch1-long_extract_1d.fits", "extract_1d", "L3", "spectral", False, "jw01523-o003_t002_miri", "ch1-long", None, None, "fits"),
    source("jw02733-o001_t001_nircam_clear-f090w_segm.fits", "segm", "L3", "image", True, "jw02733-o001_t001_nircam", "clear-f090w", None, None, "fits"),
    source("jw02733-o001_t001_nircam_clear-f090w_cat.ecsv", "cat", "L3", "metadata", False, "jw02733-o001_t001_nircam", "clear-f090w", None, None, "ecsv"),
    source("jw02733-o001_t001_nircam_clear-f444w_i2d.fits", "i2d", "L3", "image", True, "jw02733-o001_t001_nircam", "clear-f444w", None, None, "fits"),
    source("jw02733-o001_t001_nircam_clear-f090w_i2d.fits.gz", "i2d", "L3", "image", True, "jw02733-o001_t001_nircam", "clear-f090w", None, None, "fits.gz"),
    source("jw02733-o001_t001_nircam_clear-f090w", None, "unknown", None, False, "jw02733-o001_t001_nircam", "clear-f090w", None, None, None),
    source("JW02733-O001_T001_NIRCAM_CLEAR-F090W_I2D.FITS", "i2d", "L3", "image", True, "jw02733-o001_t001_nircam", "clear-f090w", None, None, "fits"),
    source("jw80600-o009_t001_miri_f1130w_i2d.fits", "i2d", "L3", "image", True, "jw80600-o009_t001_miri", "f1130w", None, None, "fits"),
    source("jw80600-c0001_t001_miri_f1130w_i2d.fits", "i2d", "L3", "image", True, "jw80600-c0001_t001_miri", "f1130w", None, None, "fits"),
    source("jw80600-o009_s00001_miri_f1130w_i2d.fits", "i2d", "L3", "image", True, "jw80600-o009_s00001_miri", "f1130w", None, "s00001", "fits"),
    source("jw80600-o009_t001-epoch1_miri_f1130w_i2d.fits", "i2d", "L3", "image", True, "jw80600-o009_t001_miri", "f1130w", None, None, "fits", epoch="1"),
    source("jw80600-o009_s00001-epoch1_miri_f1130w_i2d.fits", "i2d", "L3", "image", True, "jw80600-o009_s00001_miri", "f1130w", None, "s00001", "fits", epoch="1"),
    source("jw80600-o009_t001_miri_f1130w", None, "unknown", None, False, "jw80600-o009_t001_miri", "f1130w", None, None, None),
    source("jw87600-a3001_t001_niriss_f480m-nrm_amiavg.fits", "amiavg", "L3", "metadata", False, "jw87600-a3001_t001_niriss", "f480m-nrm", None, None, "fits"),
    source("jw87600-a3001_t001_niriss_f480m-nrm_aminorm.fits", "aminorm", "L3", "metadata", False, "jw87600-a3001_t001_niriss", "f480m-nrm", None, None, "fits"),
    source("jw87600-a3001_t001_niriss_f480m-nrm_psf-amiavg.fits", "psf-amiavg", "L3", "metadata", False, "jw87600-a3001_t001_niriss", "f480m-nrm", None, None, "fits"),
    source("jw01093-o012_t001_niriss_f480m-nrm-sub80_aminorm-oi.fits", "aminorm-oi", "L3", "metadata", False, "jw01093-o012_t001_niriss", "f480m-nrm", "sub80", None, "fits"),
    # the pipeline docs' own example writes the optical elements with "_": read as "-"
    source("jw54321-o066_s000123456_nirspec_f170lp_g235m_s2d.fits", "s2d", "L3", "spectral", True, "jw54321-o066_s000123456_nirspec", "f170lp-g235m", None, "s000123456", "fits"),
    # NIRSpec fixed slit and BOTS: the slit (s200a1, s1600a1) is optical, the sub* after it is the subarray
    source("jw01366-o004_t001_nirspec_clear-prism-s200a1-subs200a1_x1d.fits", "x1d", "L3", "spectral", False, "jw01366-o004_t001_nirspec", "clear-prism-s200a1", "subs200a1", None, "fits"),
    source("jw01366-o004_t001_nirspec_clear-prism-s1600a1-sub512_x1dints.fits", "x1dints", "L3", "spectral", False, "jw01366-o004_t001_nirspec", "clear-prism-s1600a1", "sub512", None, "fits"),
    source("jw01366-o004_t001_nirspec_clear-prism-s1600a1-sub512_whtlt.ecsv", "whtlt", "L3", "metadata", False, "jw01366-o004_t001_nirspec", "clear-prism-s1600a1", "sub512", None, "ecsv"),
    source("jw01492-o001_t001-s000000001_nirspec_f170lp-g235m-s200a1-subs200a1_x1d.fits", "x1d", "L3", "spectral", False, "jw01492-o001_t001-s000000001_nirspec", "f170lp-g235m-s200a1", "subs200a1", "s000000001", "fits"),
    source("jw01492-o001_t001-s000000001_nirspec_f100lp-g140m-s200a1-subs200a1_x1d.fits", "x1d", "L3", "spectral", False, "jw01492-o001_t001-s000000001_nirspec", "f100lp-g140m-s200a1", "subs200a1", "s000000001", "fits"),
    source("jw01492-o001_t001-s000000001_nirspec_clear-prism-s200a1-subs200a1_s2d.fits", "s2d", "L3", "spectral", True, "jw01492-o001_t001-s000000001_nirspec", "clear-prism-s200a1", "subs200a1", "s000000001", "fits"),
    source("jw01537-o007_t001-s000000001_nirspec_clear-prism-s1600a1-sub2048_x1d.fits", "x1d", "L3", "spectral", False, "jw01537-o007_t001-s000000001_nirspec", "clear-prism-s1600a1", "sub2048", "s000000001", "fits"),
    source("jw01245-o002_s000000001_nirspec_clear-prism-s200a1-subs200a1_s2d.fits", "s2d", "L3", "spectral", True, "jw01245-o002_s000000001_nirspec", "clear-prism-s200a1", "subs200a1", "s000000001", "fits"),
    source("jw02072-c1003_s00002_nirspec_clear-prism-s200a1_x1d.fits", "x1d", "L3", "spectral", False, "jw02072-c1003_s00002_nirspec", "clear-prism-s200a1", None, "s00002", "fits"),
    source("jw06456-o001_t001_nirspec_clear-prism-sub512_x1dints.fits", "x1dints", "L3", "spectral", False, "jw06456-o001_t001_nirspec", "clear-prism", "sub512", None, "fits"),
    source("jw02589-o006_t001_nirspec_clear-prism-sub512_x1dints.fits", "x1dints", "L3", "spectral", False, "jw02589-o006_t001_nirspec", "clear-prism", "sub512", None, "fits"),
    # NIRSpec MOS: s, b (background) and v (virtual) source ids
    source("jw01324-o006_s00005_nirspec_f100lp-g140h_s2d.fits", "s2d", "L3", "spectral", True, "jw01324-o006_s00005_nirspec", "f100lp-g140h", None, "s00005", "fits"),
    source("jw05224-o004_s000277193_nirspec_clear-prism_x1d.fits", "x1d", "L3", "spectral", False, "jw05224-o004_s000277193_nirspec", "clear-prism", None, "s000277193", "fits"),
    source("jw01210-o001_s000000054_nirspec_clear-prism_x1d.fits", "x1d", "L3", "spectral", False, "jw01210-o001_s000000054_nirspec", "clear-prism", None, "s000000054", "fits"),
    source("jw01345-o064_s000000030_nirspec_f170lp-g235m_s2d.fits", "s2d", "L3", "spectral", True, "jw01345-o064_s000000030_nirspec", "f170lp-g235m", None, "s000000030", "fits"),
    source("jw01345-o064_b000000030_nirspec_clear-prism_s2d.fits", "s2d", "L3", "spectral", True, "jw01345-o064_b000000030_nirspec", "clear-prism", None, "b000000030", "fits"),
    source("jw01345-o064_v000000001_nirspec_clear-prism_x1d.fits", "x1d", "L3", "spectral", False, "jw01345-o064_v000000001_nirspec", "clear-prism", None, "v000000001", "fits"),
    # early spec3 wrote source-named cal/crf: every source-named product is L3
    source("jw01189-o011_s00015_nirspec_f290lp-g395h-s200b1_cal.fits", "cal", "L3", "image", True, "jw01189-o011_s00015_nirspec", "f290lp-g395h-s200b1", None, "s00015", "fits"),
    source("jw01189-o011_s00012_nirspec_clear-prism-s200a2_cal.fits", "cal", "L3", "image", True, "jw01189-o011_s00012_nirspec", "clear-prism-s200a2", None, "s00012", "fits"),
    source("jw99999-o002_s00001_nircam_f250m-f070w-grismr_crf.fits", "crf", "L3", "image", True, "jw99999-o002_s00001_nircam", "f250m-f070w-grismr", None, "s00001", "fits"),
    source("jw99999-o002_s00001_nircam_f250m-f070w-grismr_s2d.fits", "s2d", "L3", "spectral", True, "jw99999-o002_s00001_nircam", "f250m-f070w-grismr", None, "s00001", "fits"),
    source("jw99999-o002_s00001_nircam_f250m-f070w-grismr_x1d.fits", "x1d", "L3", "spectral", False, "jw99999-o002_s00001_nircam", "f250m-f070w-grismr", None, "s00001", "fits"),
    source("jw99999-o001_t001_nircam_f227w-f090w_i2d.fits", "i2d", "L3", "image", True, "jw99999-o001_t001_nircam", "f227w-f090w", None, None, "fits"),
    source("jw99999-o001_t001_nircam_f227w-f090w_cat.ecsv", "cat", "L3", "metadata", False, "jw99999-o001_t001_nircam", "f227w-f090w", None, None, "ecsv"),
    source("jw00624-o027_s00001_nircam_f356w-grismr_x1d.fits", "x1d", "L3", "spectral", False, "jw00624-o027_s00001_nircam", "f356w-grismr", None, "s00001", "fits"),
    source("jw00660-o016_s00002_nircam_f444w-grismr_x1d.fits", "x1d", "L3", "spectral", False, "jw00660-o016_s00002_nircam", "f444w-grismr", None, "s00002", "fits"),
    source("jw00787-o014_s00002_niriss_f150w-gr150c-gr150r_c1d.fits", "c1d", "L3", "spectral", False, "jw00787-o014_s00002_niriss", "f150w-gr150c-gr150r", None, "s00002", "fits"),
    # MIRI MRS and NIRSpec IFU cubes
    source("jw02016-c1012_t023_miri_ch1-long_s3d.fits", "s3d", "L3", "spectral", True, "jw02016-c1012_t023_miri", "ch1-long", None, None, "fits"),
    source("jw02016-c1012_t023_miri_ch2-short_s3d.fits", "s3d", "L3", "spectral", True, "jw02016-c1012_t023_miri", "ch2-short", None, None, "fits"),
    source("jw00675-o019_t010_miri_ch1-short", None, "unknown", None, False, "jw00675-o019_t010_miri", "ch1-short", None, None, None),
    source("jw01250-o003_t001_miri_ch1-short_s3d.fits", "s3d", "L3", "spectral", True, "jw01250-o003_t001_miri", "ch1-short", None, None, "fits"),
    source("jw01024-o001_t002_miri_ch1-short_s3d.fits", "s3d", "L3", "spectral", True, "jw01024-o001_t002_miri", "ch1-short", None, None, "fits"),
    source("jw00623-o057_t008_miri_ch1-long_x1d.fits", "x1d", "L3", "spectral", False, "jw00623-o057_t008_miri", "ch1-long", None, None, "fits"),
    source("jw01328-o015_t014_miri_ch1-mediumshortlong-_s3d.fits", "s3d", "L3", "spectral", True, "jw01328-o015_t014_miri", "ch1-mediumshortlong", None, None, "fits"),
    source("jw01373-o031_t007_miri_ch1-shortmediumlong_s3d.fits", "s3d", "L3", "spectral", True, "jw01373-o031_t007_miri", "ch1-shortmediumlong", None, None, "fits"),
    source("jw03368-o043_t029_miri_ch1-long_s3d.fits", "s3d", "L3", "spectral", True, "jw03368-o043_t029_miri", "ch1-long", None, None, "fits"),
    source("jw01751-o010_t005_miri_ch1-short_s3d.fits", "s3d", "L3", "spectral", True, "jw01751-o010_t005_miri", "ch1-short", None, None, "fits"),
    source("jw00626-o064_t007_nirspec_g235h-f170lp_x1d.fits", "x1d", "L3", "spectral", False, "jw00626-o064_t007_nirspec", "g235h-f170lp", None, None, "fits"),
    source("jw01128-o009_t007_nirspec_g395h-f290lp_s3d.fits", "s3d", "L3", "spectral", True, "jw01128-o009_t007_nirspec", "g395h-f290lp", None, None, "fits"),
    source("jw01264-o013_t010_nirspec_g395h-f290lp_s3d.fits", "s3d", "L3", "spectral", True, "jw01264-o013_t010_nirspec", "g395h-f290lp", None, None, "fits"),
    source("jw01266-o005_t001_nirspec_g235h-f170lp_s3d.fits", "s3d", "L3", "spectral", True, "jw01266-o005_t001_nirspec", "g235h-f170lp", None, None, "fits"),
    source("jw01189-o004_t002_nirspec_g395h-f290lp_s3d.fits", "s3d", "L3", "spectral", True, "jw01189-o004_t002_nirspec", "g395h-f290lp", None, None, "fits"),
    # MIRI LRS, NIRISS SOSS, NIRCam grism TSO: subarrays with and without "sub"
    source("jw00623-c1012_t002_miri_p750l_x1d.fits", "x1d", "L3", "spectral", False, "jw00623-c1012_t002_miri", "p750l", None, None, "fits"),
    source("jw01536-o028_t001_miri_p750l_s2d.fits", "s2d", "L3", "spectral", True, "jw01536-o028_t001_miri", "p750l", None, None, "fits"),
    source("jw01366-o011_t002_miri_p750l-slitlessprism_x1dints.fits", "x1dints", "L3", "spectral", False, "jw01366-o011_t002_miri", "p750l", "slitlessprism", None, "fits"),
    source("jw01366-o011_t002_miri_p750l-slitlessprism_whtlt.ecsv", "whtlt", "L3", "metadata", False, "jw01366-o011_t002_miri", "p750l", "slitlessprism", None, "ecsv"),
    source("jw01366-o001_t001_niriss_clear-gr700xd-substrip256_x1dints.fits", "x1dints", "L3", "spectral", False, "jw01366-o001_t001_niriss", "clear-gr700xd", "substrip256", None, "fits"),
    source("jw00625-o023_t001_niriss_clear-gr700xd-substrip256_whtlt.ecsv", "whtlt", "L3", "metadata", False, "jw00625-o023_t001_niriss", "clear-gr700xd", "substrip256", None, "ecsv"),
    source("jw87600-a3001_t001_niriss_clear-gr700xd_whtlt.ecsv", "whtlt", "L3", "metadata", False, "jw87600-a3001_t001_niriss", "clear-gr700xd", None, None, "ecsv"),
    source("jw01366-o002_t001_nircam_f322w2-grismr-subgrism256_x1dints.fits", "x1dints", "L3", "spectral", False, "jw01366-o002_t001_nircam", "f322w2-grismr", "subgrism256", None, "fits"),
    source("jw01366-o002_t001_nircam_f322w2-grismr-subgrism256_whtlt.ecsv", "whtlt", "L3", "metadata", False, "jw01366-o002_t001_nircam", "f322w2-grismr", "subgrism256", None, "ecsv"),
    source("jw00721-o012_t004_nircam_f444w-grismr-subgrism256_whtlt.ecsv", "whtlt", "L3", "metadata", False, "jw00721-o012_t004_nircam", "f444w-grismr", "subgrism256", None, "ecsv"),
    source("jw01185-o005_t001_nircam_f210m-wlp8-sub64p_phot.ecsv", "phot", "L3", "metadata", False, "jw01185-o005_t001_nircam", "f210m-wlp8", "sub64p", None, "ecsv"),
    source("jw02739-o001_t001_miri_f770w-brightsky_i2d.fits", "i2d", "L3", "image", True, "jw02739-o001_t001_miri", "f770w", "brightsky", None, "fits"),
    # imaging
    source("jw01076-o107_t001_nircam_clear-f322w2_i2d.fits", "i2d", "L3", "image", True, "jw01076-o107_t001_nircam", "clear-f322w2", None, None, "fits"),
    source("jw01076-o107_t001_nircam_clear-f322w2_segm.fits", "segm", "L3", "image", True, "jw01076-o107_t001_nircam", "clear-f322w2", None, None, "fits"),
    source("jw01076-o107_t001_nircam_clear-f322w2_cat.ecsv", "cat", "L3", "metadata", False, "jw01076-o107_t001_nircam", "clear-f322w2", None, None, "ecsv"),
    source("jw01076-o101_t002_nircam_clear-f356w_segm.fits", "segm", "L3", "image", True, "jw01076-o101_t002_nircam", "clear-f356w", None, None, "fits"),
    source("jw42424-o002_t001_nircam_clear-f444w_segm.fits", "segm", "L3", "image", True, "jw42424-o002_t001_nircam", "clear-f444w", None, None, "fits"),
    source("jw02731-o001_t017_nircam_clear-f335m_segm.fits", "segm", "L3", "image", True, "jw02731-o001_t017_nircam", "clear-f335m", None, None, "fits"),
    source("jw02736-o003_t001_niriss_clear-f115w_i2d.fits", "i2d", "L3", "image", True, "jw02736-o003_t001_niriss", "clear-f115w", None, None, "fits"),
    source("jw01345-o001_t021_nircam_clear-f200w_i2d.fits", "i2d", "L3", "image", True, "jw01345-o001_t021_nircam", "clear-f200w", None, None, "fits"),
    source("jw01252-o005_t003_nircam_clear-f277w_i2d.fits", "i2d", "L3", "image", True, "jw01252-o005_t003_nircam", "clear-f277w", None, None, "fits"),
    source("jw01029-o001_t009_fgs_clear_i2d.fits", "i2d", "L3", "image", True, "jw01029-o001_t009_fgs", "clear", None, None, "fits"),
    source("jw01029-o001_t009_fgs_clear_segm.fits", "segm", "L3", "image", True, "jw01029-o001_t009_fgs", "clear", None, None, "fits"),
    source("jw01029-o001_t009_fgs_clear_cat.ecsv", "cat", "L3", "metadata", False, "jw01029-o001_t009_fgs", "clear", None, None, "ecsv"),
    source("jw01234-r0001_t001_nircam_clear-f200w_i2d.fits", "i2d", "L3", "image", True, "jw01234-r0001_t001_nircam", "clear-f200w", None, None, "fits"),
    # coronagraphy: maskrnd/maskbar are pupils, mask1140/mask1550 are MIRI subarrays
    source("jw01386-c1020_t001_nircam_f444w-maskrnd-sub320a335r_i2d.fits", "i2d", "L3", "image", True, "jw01386-c1020_t001_nircam", "f444w-maskrnd", "sub320a335r", None, "fits"),
    source("jw01386-c1021_t001_miri_f1140c-mask1140_i2d.fits", "i2d", "L3", "image", True, "jw01386-c1021_t001_miri", "f1140c", "mask1140", None, "fits"),
    source("jw01412-c0000_t000_nircam_f444w-maskrnd-sub320a430r_i2d.fits", "i2d", "L3", "image", True, "jw01412-c0000_t000_nircam", "f444w-maskrnd", "sub320a430r", None, "fits"),
    source("jw86073-a3001_t001_nircam_f140m-maskbar_psfstack.fits", "psfstack", "L3", "image", True, "jw86073-a3001_t001_nircam", "f140m-maskbar", None, None, "fits"),
    source("jw01386-o008_t001_miri_f1550c-mask1550_psfstack.fits", "psfstack", "L3", "image", True, "jw01386-o008_t001_miri", "f1550c", "mask1550", None, "fits"),
    # WFS&C: the suffix carries the activity
    source("jw00632-o003_t001_nircam_f212n-wlp8-nrca4_wfscmb-05.fits", "wfscmb", "L3", "image", True, "jw00632-o003_t001_nircam", "f212n-wlp8-nrca4", None, None, "fits", activity="05"),
]

# association(name, asnType, timestamp, observationBaseId)
ASSOCIATIONS = [
    association("jw02733-o001_20220713t004107_image3_00001_asn.json", "image3", "20220713t004107", "jw02733-o001"),
    association("jw02733-o001_20220713t004107_image2_00001_asn.json", "image2", "20220713t004107", "jw02733-o001"),
    association("jw01234-a3001_20230101t000000_coron3_00001_asn.json", "coron3", "20230101t000000", "jw01234-a3001"),
    association("jw01366-o002_20230107t004627_tso3_00001_asn.json", "tso3", "20230107t004627", "jw01366-o002"),
    association("jw00625-o023_20191210t204036_tso3_001_asn.json", "tso3", "20191210t204036", "jw00625-o023"),
    association("jw42424-o002_20191220t214154_image3_001_asn.json", "image3", "20191220t214154", "jw42424-o002"),
    association("jw01029-o001_20240716t172128_image3_00001_asn.json", "image3", "20240716t172128", "jw01029-o001"),
    association("jw01252-o005_20240905t222322_image3_00001_asn.json", "image3", "20240905t222322", "jw01252-o005"),
    association("jw01611-o002_20240910t150659_image3_00001_asn.json", "image3", "20240910t150659", "jw01611-o002"),
    association("jw00721-o012_20191119t043909_tso3_001_asn.json", "tso3", "20191119t043909", "jw00721-o012"),
    association("jw99999-o001_20170719t112133_image2_001_asn.json", "image2", "20170719t112133", "jw99999-o001"),
    association("jw99999-o001_20170719t112133_spec2_001_asn.json", "spec2", "20170719t112133", "jw99999-o001"),
    association("jw99999-o001_20170719t112133_spec3_001_asn.json", "spec3", "20170719t112133", "jw99999-o001"),
    association("jw01386-c1020_20230501t084051_coron3_00001_asn.json", "coron3", "20230501t084051", "jw01386-c1020"),
    association("jw00632-o003_20191210t000000_wfs-image3_001_asn.json", "wfs-image3", "20191210t000000", "jw00632-o003"),
    association("jw00017-o001_image3_001_asn.json", "image3", None, "jw00017-o001"),
    case("my_dithers_asn.json", kind="association", suffix="asn", extension="json", dataType="metadata"),
]

POOLS = [
    pool("jw02733_20220712t204227_pool.csv", "02733", "20220712t204227"),
    pool("jw01611_20240910t150659_pool.csv", "01611", "20240910t150659"),
    pool("jw99999_20170719t112133_pool.csv", "99999", "20170719t112133"),
    pool("jw82600_002_20151107T165901_pool.csv", "82600", "20151107t165901"),
    case("level3_test_pool.csv", kind="pool", suffix="pool", extension="csv", dataType="metadata"),
]

# guidestar(name, suffix, dataType, program, observation, visit, guiderMode, timestamp, segment, extension)
GUIDESTARS = [
    guidestar("jw02733001001_gs-fg_2022169021014_cal.fits", "cal", "sensor", "02733", "001", "001", "fg", "2022169021014", None, "fits"),
    guidestar("jw02733001001_gs-fg_2022169021014_uncal.fits", "uncal", "raw", "02733", "001", "001", "fg", "2022169021014", None, "fits"),
    guidestar("jw02420001001_gs-fg_2022192192555_cal.fits", "cal", "sensor", "02420", "001", "001", "fg", "2022192192555", None, "fits"),
    guidestar("jw01534002002_gs-fg_2022338021919_cal.fits", "cal", "sensor", "01534", "002", "002", "fg", "2022338021919", None, "fits"),
    guidestar("jw86600048001_gs-fg_2016018175411_stream.fits", "stream", "sensor", "86600", "048", "001", "fg", "2016018175411", None, "fits"),
    guidestar("jw01118005001_gs-fg_2022150070312-seg002_uncal.fits", "uncal", "raw", "01118", "005", "001", "fg", "2022150070312", "002", "fits"),
    guidestar("jw00729011001_gs-acq2_2019155024808", None, None, "00729", "011", "001", "acq2", "2019155024808", None, None),
    guidestar("jw01023001001_gs-acq1_2022200123456_uncal.fits", "uncal", "raw", "01023", "001", "001", "acq1", "2022200123456", None, "fits"),
    guidestar("jw01023001001_gs-acq2_2022200123501_cal.fits", "cal", "sensor", "01023", "001", "001", "acq2", "2022200123501", None, "fits"),
    guidestar("jw01023001001_gs-track_2022200123530_cal.fits", "cal", "sensor", "01023", "001", "001", "track", "2022200123530", None, "fits"),
    guidestar("jw00729011001_gs-id_1_image_cal.fits", "cal", "sensor", "00729", "011", "001", "id", None, None, "fits"),
    guidestar("jw00729011001_gs-id_12_image_cal.fits", "cal", "sensor", "00729", "011", "001", "id", None, None, "fits"),
    guidestar("jw00327001001_gs-id_2", None, None, "00327", "001", "001", "id", None, None, None),
    guidestar("jw01023001001_gs-id_1_image-uncal.fits", "uncal", "raw", "01023", "001", "001", "id", None, None, "fits"),
    guidestar("jw01023001001_gs-id_1_stacked-uncal.fits", "uncal", "raw", "01023", "001", "001", "id", None, None, "fits"),
]

PREVIEWS = [
    preview(NIRCAM_I2D, "jw02733-o001_t001_nircam_clear-f090w_i2d.jpg", thumbnail=False),
    preview(NIRCAM_I2D, "jw02733-o001_t001_nircam_clear-f090w_i2d_thumb.jpg", thumbnail=True),
    preview(NIRCAM_CAL, "jw02733001001_02101_00001_nrca1_cal.jpg", thumbnail=False),
    preview(NIRCAM_CAL, "jw02733001001_02101_00001_nrca1_cal_thumb.jpg", thumbnail=True),
    preview(NIRCAM_UNCAL, "jw02733001001_02101_00001_nrca1_uncal.jpg", thumbnail=False),
    preview(NIRCAM_RATE, "jw02733001001_02101_00001_nrca1_rate.png", thumbnail=False, ext="png"),
    preview(NIRCAM_TRAPS, "jw02733001001_02101_00001_nrca1_trapsfilled.jpg", thumbnail=False),
    case("galaxy.png", kind="preview", extension="png", dataType="image", isViewable=True),
]

# everything else: no known shape; reference files and MSA files still tell their data type
OTHERS = [
    case("jwst_nircam_flat_0313.fits", kind="unknown", suffix="flat", extension="fits", dataType="calibration", instrument="nircam"),
    case("jwst_miri_dark_0081.fits", kind="unknown", suffix="dark", extension="fits", dataType="calibration", instrument="miri"),
    case("jwst_nircam_superbias_0012.fits", kind="unknown", suffix="superbias", extension="fits", dataType="calibration", instrument="nircam"),
    case("jwst_nirspec_fflat_0123.fits", kind="unknown", suffix="fflat", extension="fits", dataType="calibration", instrument="nirspec"),
    case("jwst_nircam_distortion_0173.asdf", kind="unknown", suffix="distortion", extension="asdf", dataType="calibration", instrument="nircam"),
    case("jwst_niriss_specwcs_0001.asdf", kind="unknown", suffix="specwcs", extension="asdf", dataType="calibration", instrument="niriss"),
    case("jwst_nircam_flat_0050.rmap", kind="unknown", suffix="flat", extension="rmap", dataType="calibration", instrument="nircam"),
    case("jwst_nircam_0250.imap", kind="unknown", extension="imap", dataType="calibration", instrument="nircam"),
    case("jwst_1100.pmap", kind="unknown", extension="pmap", dataType="calibration"),
    case("jw01118008001_01_msa.fits", kind="unknown", suffix="msa", extension="fits", dataType="metadata", program="01118", observation="008", visit="001", instrument="nirspec", observationBaseId="jw01118-o008"),
    case("jw02560013001_01_msa.fits", kind="unknown", suffix="msa", extension="fits", dataType="metadata", program="02560", observation="013", visit="001", instrument="nirspec", observationBaseId="jw02560-o013"),
    case("combine_dithers_all_exposures_ch1-long_x1d.fits", kind="unknown", suffix="x1d", extension="fits", dataType="spectral"),
    case("hlsp_jades_jwst_nirspec_goods-s-deephst-00005457_clear-prism_v1.0_x1d.fits", kind="unknown", suffix="x1d", extension="fits", dataType="spectral"),
    case("nrcb1_master_bias.fits", kind="unknown", suffix="bias", extension="fits", dataType="calibration"),
    case("not_a_jwst_file.fits", kind="unknown", extension="fits"),
    case("gaia_virac2_refcat_epoch2023.21.fits", kind="unknown", extension="fits"),
    case("README.txt", kind="unknown", extension="txt", dataType="metadata"),
    case("jw02733001001_02101_00001_nrca1_cal.fits.part", kind="unknown", extension="part"),
    case("jw12345.fits", kind="unknown", extension="fits"),
    case("", kind="unknown"),
]
# fmt: on

CASES: list[tuple[str, dict[str, Any]]] = (
    EXPOSURES + SOURCES + ASSOCIATIONS + POOLS + GUIDESTARS + PREVIEWS + OTHERS
)
