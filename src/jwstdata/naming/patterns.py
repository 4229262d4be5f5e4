"""Compiled name patterns and the constant sets the parser consults, built once at import."""

from __future__ import annotations

import re

from jwstdata.models.enums import DataType

INSTRUMENTS = "nircam|miri|nirspec|niriss|fgs"
ACID = r"o[0-9]{3}|[ac][0-9]{4}|r[0-9]{4}"
ACID_TOKEN = re.compile(ACID, re.ASCII)

# jw<PPPPP><OOO><VVV>_<GG><S><AA>_<EEEEE>[-seg<NNN>]_<detector>[_<acid>][_<suffix>]
EXPOSURE = re.compile(
    r"jw(?P<program>[0-9]{5})(?P<observation>[0-9]{3})(?P<visit>[0-9]{3})"
    r"_(?P<visit_group>[0-9]{2})(?P<parallel>[0-9])(?P<activity>[0-9a-z]{2})"
    r"_(?P<exposure>[0-9]{5})(?:-seg(?P<segment>[0-9]{3}))?"
    rf"_(?P<detector>[a-z0-9]+)(?:_(?P<acid>{ACID}))?(?:_(?P<rest>[a-z0-9_-]+))?",
    re.ASCII,
)
# jw<PPPPP>-<acid>_<target>[-epochN]_<instrument>_<optical elements>[-<subarray>][_<suffix>]
SOURCE = re.compile(
    rf"jw(?P<program>[0-9]{{5}})-(?P<acid>{ACID})"
    r"_(?P<target>t[0-9]+(?:-[sbv][0-9]+)?|[sbv][0-9]+)(?:-epoch(?P<epoch>[0-9]+))?"
    rf"_(?P<instrument>{INSTRUMENTS})_(?P<rest>[a-z0-9-]+(?:_[a-z0-9-]+)*)",
    re.ASCII,
)
# jw<PPPPP>-<acid>[_<yyyymmddthhmmss>]_<asn type>_<sequence>_asn
ASSOCIATION = re.compile(
    rf"jw(?P<program>[0-9]{{5}})-(?P<acid>{ACID})(?:_(?P<stamp>[0-9]{{8}}t[0-9]{{6}}))?"
    r"_(?P<asn_type>[a-z0-9]+(?:-[a-z0-9]+)*)_[0-9]+_asn",
    re.ASCII,
)
# jw<PPPPP>[_<NNN>]_<yyyymmddthhmmss>_pool
POOL = re.compile(
    r"jw(?P<program>[0-9]{5})(?:_[0-9]{3})?_(?P<stamp>[0-9]{8}t[0-9]{6})_pool", re.ASCII
)
# jw<PPPPP><OOO><VVV>_gs-id_<m>[_image|_stacked][_<suffix>]  (the docs also write image-uncal)
# jw<PPPPP><OOO><VVV>_gs-<acq1|acq2|track|fg>_<yyyydddhhmmss>[-seg<NNN>][_<suffix>]
GUIDESTAR = re.compile(
    r"jw(?P<program>[0-9]{5})(?P<observation>[0-9]{3})(?P<visit>[0-9]{3})_gs-"
    r"(?:(?P<id>id)_[0-9]+(?:_(?:image|stacked))?"
    r"|(?P<mode>acq1|acq2|track|fg)_(?P<stamp>[0-9]+)(?:-seg(?P<segment>[0-9]{3}))?)"
    r"(?:[_-](?P<suffix>[a-z0-9]+))?",
    re.ASCII,
)
# jw<PPPPP><OOO><VVV>_<NN>_msa (NIRSpec MSA configuration)
MSA = re.compile(r"jw([0-9]{5})([0-9]{3})([0-9]{3})_[0-9]{2}_msa", re.ASCII)
# CRDS: jwst_1100.pmap, jwst_nircam_0250.imap, jwst_nircam_flat_0313.fits
CRDS = re.compile(
    rf"jwst_(?:(?P<instrument>{INSTRUMENTS})_)?(?:(?P<reftype>[a-z0-9]+(?:_[a-z0-9]+)*)_)?[0-9]{{4}}",
    re.ASCII,
)
ACTIVITY_SUFFIX = re.compile(r"(?P<suffix>[a-z0-9-]+)-(?P<activity>[0-9]{2})", re.ASCII)

# Subarray names that do not start with "sub" (MIRI, NIRSpec, NIRISS); all others do.
PLAIN_SUBARRAYS = frozenset(
    {
        "full",
        "brightsky",
        "slitlessprism",
        "mask1065",
        "mask1140",
        "mask1550",
        "masklyot",
        "allslits",
        "wfss64r",
        "wfss64c",
        "wfss128r",
        "wfss128c",
    }
)
INSTRUMENT_BY_NAME = {name: name for name in INSTRUMENTS.split("|")}
INSTRUMENT_BY_PREFIX = {"nrc": "nircam", "mir": "miri", "nrs": "nirspec", "nis": "niriss"}
PREVIEW_EXTENSIONS = frozenset({"jpg", "jpeg", "png"})
COMPRESSIONS = frozenset({"gz", "bz2", "xz", "zst", "zip"})
METADATA_EXTENSIONS = frozenset({"json", "csv", "ecsv", "txt", "xml", "yaml", "yml"})
GUIDESTAR_TYPES = {"uncal": DataType.raw, "cal": DataType.sensor, "stream": DataType.sensor}
