"""Suffix rules: the one table that maps a product suffix to its level, data type and viewability.

A suffix's processing level depends on the *shape* of the name that carries it: ``i2d`` is a
stage-2 product in ``jw02733001001_02101_00001_nrca1_i2d.fits`` (exposure-named) and a stage-3
product in ``jw02733-o001_t001_nircam_clear-f090w_i2d.fits`` (source-named). ``SUFFIX_RULES``
therefore gives one level per shape; ``-`` below means the suffix does not occur in that shape
(``level_for`` answers ``unknown``). Names of any other shape (associations, pools, guide-star
files, previews, unparsable names) always have level ``unknown``.

Suffix table (checked against ``SUFFIX_RULES`` by the tests):

============  ========  ======  ===========  ========  ============================================
suffix        exposure  source  data type    viewable  product
============  ========  ======  ===========  ========  ============================================
uncal         L1        -       raw          no        uncalibrated ramps (stage 0)
ramp          L2a       -       sensor       no        corrected ramps (detector1, optional)
trapsfilled   L2a       -       sensor       no        charge-trap state (detector1)
fitopt        L2a       -       sensor       no        ramp-fit diagnostics (detector1, optional)
rate          L2a       -       sensor       no        count-rate image (detector1)
rateints      L2a       -       sensor       no        count rate per integration (detector1)
dark          L2a       -       calibration  no        dark exposure / on-the-fly dark (stage 1)
bsub          L2b       -       sensor       no        background-subtracted count rate (stage 2)
bsubints      L2b       -       sensor       no        same, per integration (stage 2)
flat          L2b       -       calibration  no        on-the-fly NIRSpec flat (spec2, optional)
cal           L2b       L3      image        yes       calibrated exposure (stage 2)
calints       L2b       L3      image        yes       calibrated, per integration (stage 2)
crf           L2b       L3      image        yes       outlier-flagged exposure (stage 3)
crfints       L2b       L3      image        yes       same, per integration (stage 3)
i2d           L2b       L3      image        yes       resampled image
s2d           L2b       L3      spectral     yes       resampled 2-D spectrum
s3d           L2b       L3      spectral     yes       IFU cube
x1d           L2b       L3      spectral     no        extracted 1-D spectrum
x1dints       L2b       L3      spectral     no        1-D spectra per integration
c1d           -         L3      spectral     no        combined 1-D spectrum (spec3)
cat           -         L3      metadata     no        source catalog (image3)
segm          -         L3      image        yes       segmentation map (image3)
phot          -         L3      metadata     no        TSO photometry table (tso3)
whtlt         -         L3      metadata     no        TSO white-light table (tso3)
psfstack      -         L3      image        yes       PSF reference stack (coron3)
psfalign      L3        L3      image        yes       aligned PSF images (coron3)
psfsub        L3        L3      image        yes       PSF-subtracted images (coron3)
ami           L3        -       metadata     no        fringe parameters (ami3, before 1.13)
amiavg        -         L3      metadata     no        averaged fringe parameters (ami3, old)
aminorm       -         L3      metadata     no        normalised fringe parameters (ami3, old)
psf-amiavg    -         L3      metadata     no        averaged PSF fringe parameters (ami3, old)
ami-oi        L3        L3      metadata     no        interferometric observables, OIFITS (ami3)
amimulti-oi   L3        L3      metadata     no        observables per integration (ami3)
amilg         L3        L3      image        yes       LG model, data and residuals (ami3)
aminorm-oi    -         L3      metadata     no        calibrated observables (ami3)
wfscmb        -         L3      image        yes       combined WFS&C image (wfs-image3)
asn           -         -       metadata     no        association (JSON)
pool          -         -       metadata     no        association pool (CSV)
msa           -         -       metadata     no        NIRSpec MSA configuration
stream        -         -       sensor       no        guide-star centroid stream
bias          -         -       calibration  no        bias / superbias
============  ========  ======  ===========  ========  ============================================

Choices beyond DOMAIN.md: count-rate-like products (``ramp``, ``trapsfilled``, ``fitopt``, ``bsub``)
are ``sensor`` like ``rate``, and not viewable; on-the-fly ``dark``/``flat`` are ``calibration``.
The stage-3 analysis products that the pipeline names per exposure (``psfalign``, ``psfsub``,
``ami-oi``, ``amimulti-oi``, ``amilg``, e.g. ``jw..._nis_a3001_ami-oi.fits``) are L3, because they
are new products of a stage-3 pipeline; ``crf``/``crfints`` stay L2b because they are the L2b
exposure with outliers flagged. Source-named ``cal``/``crf`` (spec3 output of early pipeline
versions, e.g. ``jw01189-o011_s00015_nirspec_f290lp-g395h-s200b1_cal.fits``) are L3 like every
source-named product. Tables (OIFITS, ECSV) are ``metadata``; images a viewer can draw
(``segm``, ``psfstack``, ``amilg``, ``wfscmb``) are viewable.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from jwstdata.models.enums import DataType, ProcessingLevel


class NameKind(StrEnum):
    """The shape of a file name."""

    exposure = "exposure"  # jw02733001001_02101_00001_nrca1_cal.fits
    source = "source"  # jw02733-o001_t001_nircam_clear-f090w_i2d.fits
    association = "association"  # jw02733-o001_20220713t004107_image3_00001_asn.json
    pool = "pool"  # jw02733_20220712t204227_pool.csv
    guidestar = "guidestar"  # jw02733001001_gs-fg_2022169021014_cal.fits
    preview = "preview"  # jw02733-o001_t001_nircam_clear-f090w_i2d_thumb.jpg
    unknown = "unknown"  # anything else (CRDS reference files, MSA files, user files)


class SuffixRule(NamedTuple):
    """What a suffix means; ``unknown`` level means the suffix does not occur in that shape."""

    exposure_level: ProcessingLevel
    source_level: ProcessingLevel
    data_type: DataType
    viewable: bool


_L1, _L2A, _L2B, _L3 = (
    ProcessingLevel.L1,
    ProcessingLevel.L2a,
    ProcessingLevel.L2b,
    ProcessingLevel.L3,
)
_NONE = ProcessingLevel.unknown
_RAW, _SENSOR, _IMAGE = DataType.raw, DataType.sensor, DataType.image
_SPECTRAL, _META, _CALIB = DataType.spectral, DataType.metadata, DataType.calibration

SUFFIX_RULES: dict[str, SuffixRule] = {
    "uncal": SuffixRule(_L1, _NONE, _RAW, False),
    "ramp": SuffixRule(_L2A, _NONE, _SENSOR, False),
    "trapsfilled": SuffixRule(_L2A, _NONE, _SENSOR, False),
    "fitopt": SuffixRule(_L2A, _NONE, _SENSOR, False),
    "rate": SuffixRule(_L2A, _NONE, _SENSOR, False),
    "rateints": SuffixRule(_L2A, _NONE, _SENSOR, False),
    "dark": SuffixRule(_L2A, _NONE, _CALIB, False),
    "bsub": SuffixRule(_L2B, _NONE, _SENSOR, False),
    "bsubints": SuffixRule(_L2B, _NONE, _SENSOR, False),
    "flat": SuffixRule(_L2B, _NONE, _CALIB, False),
    "cal": SuffixRule(_L2B, _L3, _IMAGE, True),
    "calints": SuffixRule(_L2B, _L3, _IMAGE, True),
    "crf": SuffixRule(_L2B, _L3, _IMAGE, True),
    "crfints": SuffixRule(_L2B, _L3, _IMAGE, True),
    "i2d": SuffixRule(_L2B, _L3, _IMAGE, True),
    "s2d": SuffixRule(_L2B, _L3, _SPECTRAL, True),
    "s3d": SuffixRule(_L2B, _L3, _SPECTRAL, True),
    "x1d": SuffixRule(_L2B, _L3, _SPECTRAL, False),
    "x1dints": SuffixRule(_L2B, _L3, _SPECTRAL, False),
    "c1d": SuffixRule(_NONE, _L3, _SPECTRAL, False),
    "cat": SuffixRule(_NONE, _L3, _META, False),
    "segm": SuffixRule(_NONE, _L3, _IMAGE, True),
    "phot": SuffixRule(_NONE, _L3, _META, False),
    "whtlt": SuffixRule(_NONE, _L3, _META, False),
    "psfstack": SuffixRule(_NONE, _L3, _IMAGE, True),
    "psfalign": SuffixRule(_L3, _L3, _IMAGE, True),
    "psfsub": SuffixRule(_L3, _L3, _IMAGE, True),
    "ami": SuffixRule(_L3, _NONE, _META, False),
    "amiavg": SuffixRule(_NONE, _L3, _META, False),
    "aminorm": SuffixRule(_NONE, _L3, _META, False),
    "psf-amiavg": SuffixRule(_NONE, _L3, _META, False),
    "ami-oi": SuffixRule(_L3, _L3, _META, False),
    "amimulti-oi": SuffixRule(_L3, _L3, _META, False),
    "amilg": SuffixRule(_L3, _L3, _IMAGE, True),
    "aminorm-oi": SuffixRule(_NONE, _L3, _META, False),
    "wfscmb": SuffixRule(_NONE, _L3, _IMAGE, True),
    "asn": SuffixRule(_NONE, _NONE, _META, False),
    "pool": SuffixRule(_NONE, _NONE, _META, False),
    "msa": SuffixRule(_NONE, _NONE, _META, False),
    "stream": SuffixRule(_NONE, _NONE, _SENSOR, False),
    "bias": SuffixRule(_NONE, _NONE, _CALIB, False),
}

KNOWN_SUFFIXES: tuple[str, ...] = tuple(SUFFIX_RULES)


def level_for(suffix: str | None, kind: NameKind | str) -> ProcessingLevel:
    """The processing level of ``suffix`` in a name of shape ``kind``.

    >>> level_for("i2d", NameKind.exposure), level_for("i2d", "source")
    (<ProcessingLevel.L2b: 'L2b'>, <ProcessingLevel.L3: 'L3'>)
    >>> level_for("calints", "exposure"), level_for("asn", "association")
    (<ProcessingLevel.L2b: 'L2b'>, <ProcessingLevel.unknown: 'unknown'>)
    """
    rule = SUFFIX_RULES.get(suffix.lower()) if suffix else None
    if rule is None:
        return _NONE
    if kind == NameKind.exposure:
        return rule.exposure_level
    if kind == NameKind.source:
        return rule.source_level
    return _NONE
