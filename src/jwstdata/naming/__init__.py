"""JWST product file names: what a name says about a file, without opening it.

One parser for the whole project (pure functions, no I/O). ``parse_name`` recognises:

- **exposure** names (stages 0-2, and stage-3 per-exposure products with an association id):
  ``jw<PPPPP><OOO><VVV>_<GG><S><AA>_<EEEEE>[-seg<NNN>]_<detector>[_<acid>]_<suffix>.<ext>``,
  e.g. ``jw02733001001_02101_00001_nrca1_cal.fits`` or, from stage 3,
  ``jw02733001001_02101_00001_nrca1_o001_crf.fits``.
  ``exposureId`` is ``jw02733001001_02101_00001``; ``observationBaseId`` is the documented fallback
  ``jw<PPPPP>-o<OOO>`` (the lineage service replaces it with the stage-3 base id when known);
  ``instrument`` follows from the detector (nrc* nircam, mir* miri, nrs* nirspec, nis niriss,
  guider* fgs).
- **source** names (stage 3):
  ``jw<PPPPP>-<acid>_<target>[-epochN]_<instrument>_<optical elements>[-<subarray>]_<suffix>``,
  e.g. ``jw02733-o001_t001_nircam_clear-f090w_i2d.fits``; ``observationBaseId`` is
  ``jw02733-o001_t001_nircam`` (epoch left out). The target field is ``tNNN``, a source id
  (``s``/``b``/``v`` + digits) or both (``t001-s000000001``, NIRSpec fixed slit); ``sourceId`` is
  the source-id part. The last optical element is the ``subarray`` when it starts with ``sub`` or
  is one of the few subarrays that do not (``full``, ``brightsky``, ``slitlessprism``,
  ``mask1065``/``1140``/``1550``/``lyot``, ``allslits``, ``wfss64r`` ...), and only when another
  element precedes it: ``clear-prism-s200a1-subs200a1`` is optical ``clear-prism-s200a1`` and
  subarray ``subs200a1`` (``s200a1`` is the slit). ``wfscmb-05`` is suffix ``wfscmb``,
  ``activity`` ``05``.
- **association** ``jw02733-o001_20220713t004107_image3_00001_asn.json`` (``asnType`` image3,
  ``timestamp``, ``observationBaseId`` ``jw<PPPPP>-<acid>``), **pool**
  ``jw02733_20220712t204227_pool.csv``; any other ``*_asn``/``*_pool`` name gets the kind only.
- **guidestar** ``jw02733001001_gs-fg_2022169021014_cal.fits`` (``gs-id``, ``gs-acq1``,
  ``gs-acq2``, ``gs-track``, ``gs-fg``; ``guiderMode``, ``timestamp``, optional ``-segNNN``):
  level unknown, dataType raw for ``uncal``, sensor for ``cal``/``stream``, not viewable.
- **preview** ``.jpg``/``.jpeg``/``.png`` (``_thumb`` sets ``thumbnail``): the fields of the
  product it shows, with level unknown, dataType image, viewable.
- **unknown**: anything else. CRDS reference names (``jwst_nircam_flat_0313.fits``,
  ``jwst_1100.pmap``) give dataType calibration, ``suffix`` the reference type and the
  instrument; NIRSpec MSA files (``jw01118008001_01_msa.fits``) give program, observation, visit
  and dataType metadata. Otherwise a known suffix token still gives the dataType, and
  json/csv/ecsv/txt/xml/yaml files are metadata. ``None`` means the name does not tell.

The suffix is the longest known suffix the stem ends with, matched as whole ``_``-separated
tokens (multi-token ones included: ``_residual_fringe``, ``_assign_wcs``, ``_extract_1d``):
``_cal`` is never ``_calints``; an unknown last token is still the suffix, with level unknown.
An association id (``o001``, ``a3001``, ``c1003``, ``r0001``) is found wherever it stands
between the detector and the suffix. Levels, data types and viewability come from the one
suffix table of the jwst pipeline version it follows (``SUFFIX_TABLE``, see
``jwstdata.naming.rules`` for the table and the reasoning). Upper-case input is matched in lower
case; ``fileName`` keeps the basename as given. ``extension`` is the part after the last dot, lower
case, with the one before it for compressed files (``fits.gz``, and ``compressed`` is true).

``to_json()`` keys, in order: ``fileName, kind, suffix, extension, processingLevel, dataType,
isViewable, program, observation, visit, exposureId, detector, instrument, opticalElements,
associationId, observationBaseId``, then the extras ``segment, visitGroup, parallelSequence,
activity, exposureNumber, target, sourceId, epoch, subarray, compressed, thumbnail, asnType,
timestamp, guiderMode``. Name parts are strings as written (``"00001"``).

>>> p = parse_name("jw02733001001_02101_00001_nrca1_cal.fits")
>>> p.kind.value, p.suffix, p.processing_level.value, p.exposure_id, p.instrument
('exposure', 'cal', 'L2b', 'jw02733001001_02101_00001', 'nircam')
>>> p = parse_name("/data/jw01366-o004_t001_nirspec_clear-prism-s1600a1-sub512_x1d.fits")
>>> p.processing_level.value, p.optical_elements, p.subarray, p.observation_base_id
('L3', 'clear-prism-s1600a1', 'sub512', 'jw01366-o004_t001_nirspec')
>>> parse_name("notes.txt").kind
<NameKind.unknown: 'unknown'>
"""

from jwstdata.naming.parsed import ParsedName
from jwstdata.naming.parser import parse_name
from jwstdata.naming.rules import (
    KNOWN_SUFFIXES,
    PIPELINE_VERSION,
    SUFFIX_RULES,
    SUFFIX_TABLE,
    NameKind,
    SuffixEntry,
    SuffixRule,
    level_for,
)

__all__ = [
    "KNOWN_SUFFIXES",
    "PIPELINE_VERSION",
    "SUFFIX_RULES",
    "SUFFIX_TABLE",
    "NameKind",
    "ParsedName",
    "SuffixEntry",
    "SuffixRule",
    "level_for",
    "parse_name",
]
