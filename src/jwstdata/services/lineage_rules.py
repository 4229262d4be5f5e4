"""Lineage rules as tables: which product a product is made from.

Within one exposure and detector the pipeline runs
``uncal → rate/rateints → cal/calints (→ crf/crfints, i2d/s2d/x1d…)``. Each suffix lists
the suffixes its parent may have, best first; the first one present wins. Detectors of one
exposure are siblings and never parents of each other.

>>> EXPOSURE_PARENTS["cal"]
('rate', 'rateints', 'ramp', 'uncal')
"""

from __future__ import annotations

_FROM_RATE = ("rate", "rateints", "ramp", "uncal")
_FROM_RATEINTS = ("rateints", "rate", "ramp", "uncal")

EXPOSURE_PARENTS: dict[str, tuple[str, ...]] = {
    # calwebb_detector1
    "ramp": ("uncal",),
    "rate": ("uncal",),
    "rateints": ("uncal",),
    "trapsfilled": ("uncal",),
    "fitopt": ("uncal",),
    # calwebb_image2 / spec2
    "cal": _FROM_RATE,
    "bsub": _FROM_RATE,
    "calints": _FROM_RATEINTS,
    "bsubints": _FROM_RATEINTS,
    "i2d": ("cal", "bsub", *_FROM_RATE),
    "s2d": ("cal", "bsub", *_FROM_RATE),
    "s3d": ("cal", "bsub", *_FROM_RATE),
    "x1d": ("s2d", "s3d", "cal", *_FROM_RATE),
    "x1dints": ("calints", *_FROM_RATEINTS),
    # stage-3 per-exposure products (outlier detection)
    "crf": ("cal", "bsub", *_FROM_RATE),
    "crfints": ("calints", "bsubints", *_FROM_RATEINTS),
}

# Exposure-named products that stage 3 takes as input, best first.
STAGE3_INPUT_SUFFIXES: tuple[str, ...] = ("cal", "calints", "bsub", "bsubints")

# Source-named products made from another product of the same stage-3 run.
STAGE3_PARENTS: dict[str, tuple[str, ...]] = {
    "cat": ("i2d",),
    "segm": ("i2d",),
    "x1d": ("s3d", "s2d"),
    "c1d": ("x1d",),
    "psfsub": ("psfalign",),
    "psfalign": ("psfstack",),
}
