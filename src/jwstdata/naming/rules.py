"""Suffix rules: the one table that maps a product suffix to its level, data type and viewability.

The table follows the JWST calibration pipeline, **jwst 3.0.0** (PyPI ``jwst``): the suffixes of
``jwst.lib.suffix`` (``SUFFIXES_TO_ADD`` and the step aliases it collects, which the pipeline
uses as the suffix of any step output saved with ``save_results``) and the suffixes the
``calwebb_*`` pipelines and steps pass to ``save_model`` (``mbsub``, ``masterbg1d``,
``masterbg2d``, ``bkgx1d``, ``psf-ami-oi``, ``median``, ``blot``, ``snr``...). Suffixes are
matched as whole known suffixes, longest first, multi-token ones included: ``_residual_fringe``
is one suffix, never ``fringe``; ``_cal`` is never ``_calints``.

A suffix's processing level depends on the *shape* of the name that carries it: ``i2d`` is a
stage-2 product in ``jw02733001001_02101_00001_nrca1_i2d.fits`` (exposure-named) and a stage-3
product in ``jw02733-o001_t001_nircam_clear-f090w_i2d.fits`` (source-named). The table
therefore gives one level per shape; ``-`` means the suffix does not occur in that shape
(``level_for`` answers ``unknown``). Names of any other shape (associations, pools, guide-star
files, previews, unparsable names) always have level ``unknown``.

How levels are chosen: ``uncal`` (the pipeline's input) is L1. Everything calwebb_detector1
writes is L2a, its step intermediates included (they are the ``ramp`` product at an earlier
step, and ``ramp`` is L2a). Everything calwebb_image2/spec2 writes is L2b, step intermediates
included. Stage-3 step outputs that are still one calibrated exposure (``tweakreg``,
``skymatch``, ``outlier_detection``, ``crf``, ``mbsub``) stay L2b when exposure-named; new
stage-3 products (``median``, ``blot``, ``psfalign``, ``ami-oi``...) are L3 in either shape;
every source-named product is L3. Count-rate-like and ramp-like products are ``sensor`` (not
viewable); 2-D detector images a viewer can draw are ``image`` (spectral modes' 2-D products
``spectral``), viewable; 1-D spectra are ``spectral`` and tables (catalogues, OIFITS, ECSV)
``metadata``, not viewable; on-the-fly darks and flats are ``calibration``.

Suffix table (``SUFFIX_TABLE`` is parsed from this text; ``stage`` is the pipeline or step
that writes the suffix):
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from jwstdata.models.enums import DataType, ProcessingLevel

# ruff: noqa: E501  (the suffix table below is wider than code lines)
PIPELINE_VERSION = "jwst 3.0.0"

_TABLE = """
======================  ========  ======  ===========  ========  ==================  =====================================
suffix                  exposure  source  data type    viewable  stage               product
======================  ========  ======  ===========  ========  ==================  =====================================
uncal                   L1        -       raw          no        level-1b            uncalibrated ramps
group_scale             L2a       -       sensor       no        detector1           ramps after group_scale
dq_init                 L2a       -       sensor       no        detector1           ramps after dq_init
emicorr                 L2a       -       sensor       no        detector1           ramps after emicorr (MIRI)
saturation              L2a       -       sensor       no        detector1           ramps after saturation
ipc                     L2a       -       sensor       no        detector1           ramps after ipc
superbias               L2a       -       sensor       no        detector1           ramps after superbias
refpix                  L2a       -       sensor       no        detector1           ramps after refpix
linearity               L2a       -       sensor       no        detector1           ramps after linearity
rscd                    L2a       -       sensor       no        detector1           ramps after rscd (MIRI)
firstframe              L2a       -       sensor       no        detector1           ramps after firstframe (MIRI)
lastframe               L2a       -       sensor       no        detector1           ramps after lastframe (MIRI)
reset                   L2a       -       sensor       no        detector1           ramps after reset (MIRI)
persistence             L2a       -       sensor       no        detector1           ramps after persistence
dark_current            L2a       -       sensor       no        detector1           ramps after dark_current
charge_migration        L2a       -       sensor       no        detector1           ramps after charge_migration
jump                    L2a       -       sensor       no        detector1           ramps after jump
picture_frame           L2a       -       sensor       no        detector1           ramps after picture_frame (NIRSpec)
pctfrm_mask             L2a       -       sensor       no        detector1           picture_frame mask
pctfrm_correction       L2a       -       sensor       no        detector1           picture_frame correction
clean_flicker_noise     L2a       -       sensor       no        detector1           ramps after clean_flicker_noise
flicker_noise           L2a       -       sensor       no        detector1           clean_flicker_noise noise model
flicker_bkg             L2a       -       sensor       no        detector1           clean_flicker_noise background
mask                    L2a       -       sensor       no        detector1           clean_flicker_noise mask
ramp_fit                L2a       -       sensor       no        detector1           count rate after ramp_fit
gain_scale              L2a       -       sensor       no        detector1           count rate after gain_scale
gain_scaleints          L2a       -       sensor       no        detector1           same, per integration
ramp                    L2a       -       sensor       no        detector1           corrected ramps (optional)
trapsfilled             L2a       -       sensor       no        detector1           charge-trap state
fitopt                  L2a       -       sensor       no        detector1           ramp-fit diagnostics (optional)
rate                    L2a       -       sensor       no        detector1           count-rate image
rateints                L2a       -       sensor       no        detector1           count rate per integration
dark                    L2a       -       calibration  no        dark                dark exposure / on-the-fly dark
assign_wcs              L2b       -       image        yes       image2/spec2        exposure after assign_wcs
bkg_subtract            L2b       -       sensor       no        image2/spec2        count rate after background
combinedbackground      L2b       -       sensor       no        image2/spec2        combined background image
bsub                    L2b       -       sensor       no        image2/spec2        background-subtracted count rate
bsubints                L2b       -       sensor       no        image2/spec2        same, per integration
imprint                 L2b       -       spectral     yes       spec2               exposure after imprint (NIRSpec)
msaflagopen             L2b       -       spectral     yes       spec2               exposure after msaflagopen
extract_2d              L2b       -       spectral     yes       spec2               2-D cut-outs after extract_2d
srctype                 L2b       -       spectral     yes       spec2               exposure after srctype
wavecorr                L2b       -       spectral     yes       spec2               exposure after wavecorr
straylight              L2b       -       spectral     yes       spec2               exposure after straylight (MIRI)
fringe                  L2b       -       spectral     yes       spec2               exposure after fringe (MIRI)
residual_fringe         L2b       -       spectral     yes       spec2               exposure after residual_fringe
pathloss                L2b       -       spectral     yes       spec2               exposure after pathloss
barshadow               L2b       -       spectral     yes       spec2               exposure after barshadow
wfss_contam             L2b       -       spectral     yes       spec2               exposure after wfss_contam
simul                   L2b       -       spectral     yes       spec2               wfss_contam simulated image
simul_slits             L2b       -       spectral     yes       spec2               wfss_contam simulated cut-outs
contam                  L2b       -       spectral     yes       spec2               wfss_contam contamination
badpix_selfcal          L2b       -       spectral     yes       spec2               exposure after badpix_selfcal
badpix_selfcal_bkg      L2b       -       spectral     yes       spec2               badpix_selfcal background
adaptive_trace_model    L2b       -       spectral     yes       spec2               exposure after adaptive_trace_model
targ_centroid           L2b       -       image        yes       image2              exposure after targ_centroid (TSO)
flat_field              L2b       -       image        yes       image2/spec2        exposure after flat_field
flat                    L2b       -       calibration  no        spec2               on-the-fly NIRSpec flat (optional)
interpolatedflat        L2b       -       calibration  no        spec2               same (flat_field flat_suffix)
photom                  L2b       -       image        yes       image2/spec2        exposure after photom
master_background_mos   L2b       -       spectral     yes       spec2               exposure after master_background_mos
cal                     L2b       L3      image        yes       image2/spec2        calibrated exposure
calints                 L2b       L3      image        yes       image2/spec2        calibrated, per integration
pixel_replace           L2b       L3      spectral     yes       spec2/spec3         after pixel_replace
resample                L2b       L3      image        yes       image2/image3       after resample
resample_spec           L2b       L3      spectral     yes       spec2/spec3         after resample_spec
cube_build              L2b       L3      spectral     yes       spec2/spec3         after cube_build
extract_1d              L2b       L3      spectral     no        spec2/spec3         after extract_1d
spectral_leak           -         L3      spectral     no        spec3               after spectral_leak
i2d                     L2b       L3      image        yes       image2/image3       resampled image
s2d                     L2b       L3      spectral     yes       spec2/spec3         resampled 2-D spectrum
s3d                     L2b       L3      spectral     yes       spec2/spec3         IFU cube
x1d                     L2b       L3      spectral     no        spec2/spec3         extracted 1-D spectrum
x1dints                 L2b       L3      spectral     no        spec2/tso3          1-D spectra per integration
assign_mtwcs            L2b       L3      image        yes       image3/spec3        moving-target WCS
tweakreg                L2b       -       image        yes       image3              exposure after tweakreg
skymatch                L2b       -       image        yes       image3              exposure after skymatch
master_background       L2b       -       spectral     yes       spec3               exposure after master_background
mbsub                   L2b       -       spectral     yes       spec2/spec3         master-background-subtracted
masterbg1d              L2b       L3      spectral     no        spec2/spec3         master background spectrum
masterbg2d              L2b       L3      spectral     yes       spec2/spec3         master background, 2-D
bkgx1d                  L2b       L3      spectral     no        spec2               background 1-D spectra (MOS)
outlier_detection       L2b       L3      image        yes       stage 3             after outlier_detection
outlier_i2d             L2b       -       image        yes       image3              outlier_detection resampled image
outlier_s2d             L2b       -       spectral     yes       spec3               outlier_detection resampled
crf                     L2b       L3      image        yes       stage 3             outlier-flagged exposure
crfints                 L2b       L3      image        yes       coron3/tso3         same, per integration
median                  L3        L3      image        yes       stage 3             outlier_detection median
blot                    L3        -       image        yes       stage 3             median blotted to an exposure
source_catalog          -         L3      metadata     no        image3              after source_catalog
cat                     -         L3      metadata     no        image3              source catalog
segm                    -         L3      image        yes       image3              segmentation map
combine_1d              -         L3      spectral     no        spec3               after combine_1d
c1d                     -         L3      spectral     no        spec3               combined 1-D spectrum
white_light             -         L3      metadata     no        tso3                after white_light
phot                    -         L3      metadata     no        tso3                TSO photometry table
whtlt                   -         L3      metadata     no        tso3                TSO white-light table
stackrefs               -         L3      image        yes       coron3              after stack_refs
psfstack                -         L3      image        yes       coron3              PSF reference stack
align_refs              L3        L3      image        yes       coron3              after align_refs
psfalign                L3        L3      image        yes       coron3              aligned PSF images
klip                    L3        L3      image        yes       coron3              after klip
psfsub                  L3        L3      image        yes       coron3              PSF-subtracted images
hlsp                    -         L3      image        yes       coron3              after hlsp
snr                     -         L3      image        yes       coron3              signal-to-noise image (hlsp)
contrast                -         L3      metadata     no        coron3              contrast curve (hlsp)
ami_analyze             L3        -       metadata     no        ami3                after ami_analyze
ami                     L3        -       metadata     no        ami3                fringe parameters (before 1.13)
amiavg                  -         L3      metadata     no        ami3                averaged fringe parameters (old)
aminorm                 -         L3      metadata     no        ami3                normalised fringe parameters (old)
psf-amiavg              -         L3      metadata     no        ami3                averaged PSF fringe parameters (old)
ami-oi                  L3        L3      metadata     no        ami3                interferometric observables (OIFITS)
psf-ami-oi              L3        L3      metadata     no        ami3                PSF reference observables (OIFITS)
amimulti-oi             L3        L3      metadata     no        ami3                observables per integration
amilg                   L3        L3      image        yes       ami3                LG model, data and residuals
ami_normalize           -         L3      metadata     no        ami3                after ami_normalize
aminorm-oi              -         L3      metadata     no        ami3                calibrated observables
wfscombine              -         L3      image        yes       wfs-image3          after wfs_combine
wfscmb                  -         L3      image        yes       wfs-image3          combined WFS&C image
guider_cds              -         -       sensor       no        guider              guider CDS image
asn                     -         -       metadata     no        associations        association (JSON)
pool                    -         -       metadata     no        associations        association pool (CSV)
msa                     -         -       metadata     no        NIRSpec planning    MSA configuration
stream                  -         -       sensor       no        guider              guide-star centroid stream
bias                    -         -       calibration  no        CRDS                bias / superbias
======================  ========  ======  ===========  ========  ==================  =====================================
"""
__doc__ = (__doc__ or "") + _TABLE


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


class SuffixEntry(NamedTuple):
    """One row of the suffix table."""

    suffix: str
    rule: SuffixRule
    stage: str
    product: str


def _level(cell: str) -> ProcessingLevel:
    return ProcessingLevel.unknown if cell == "-" else ProcessingLevel(cell)


def _parse_table(text: str) -> tuple[SuffixEntry, ...]:
    lines = [line for line in text.strip().splitlines() if not line.startswith("=")]
    # Column extents come from the ruler line, so cells may hold spaces (stage, product).
    ruler = text.strip().splitlines()[0]
    spans: list[tuple[int, int]] = []
    position = 0
    for run in ruler.split(" "):
        if run:
            spans.append((position, position + len(run)))
        position += len(run) + 1
    spans[-1] = (spans[-1][0], 10_000)
    entries = []
    for line in lines[1:]:  # the first line is the header
        suffix, exposure, source, data_type, viewable, stage, product = (
            line[a:b].strip() for a, b in spans
        )
        rule = SuffixRule(_level(exposure), _level(source), DataType(data_type), viewable == "yes")
        entries.append(SuffixEntry(suffix, rule, stage, product))
    return tuple(entries)


SUFFIX_TABLE: tuple[SuffixEntry, ...] = _parse_table(_TABLE)
SUFFIX_RULES: dict[str, SuffixRule] = {entry.suffix: entry.rule for entry in SUFFIX_TABLE}
KNOWN_SUFFIXES: tuple[str, ...] = tuple(SUFFIX_RULES)
# Longest first: the parser tries multi-token suffixes before their last token.
MAX_SUFFIX_TOKENS = max(suffix.count("_") + 1 for suffix in SUFFIX_RULES)

_NONE = ProcessingLevel.unknown


def match_suffix(tokens: list[str], keep: int = 0) -> str | None:
    """The longest known suffix that ``tokens`` (``_``-separated parts) end with, leaving at
    least ``keep`` tokens before it.

    >>> match_suffix(["nrs1", "residual", "fringe"], keep=1), match_suffix(["x", "cal"])
    ('residual_fringe', 'cal')
    """
    for width in range(min(MAX_SUFFIX_TOKENS, len(tokens) - keep), 0, -1):
        candidate = "_".join(tokens[-width:])
        if candidate in SUFFIX_RULES:
            return candidate
    return None


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
