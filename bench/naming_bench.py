"""File-name parser benchmark: parse a large list of realistic JWST names.

    python bench/naming_bench.py [--names 200000] [--repeat 3] [--seed 1]

The mix follows a MAST product listing: mostly exposure files (uncal/rate/cal ... per detector,
some segmented or with a stage-3 association id), stage-3 products, previews, associations,
pools, guide-star files and a few names of no known shape. Reports the best of ``--repeat``
passes over the whole list.
"""

from __future__ import annotations

import argparse
import collections
import random
import time

from _common import emit
from jwstdata.naming import parse_name

DETECTORS = [
    "nrca1",
    "nrca2",
    "nrca3",
    "nrca4",
    "nrcalong",
    "nrcb1",
    "nrcb2",
    "nrcb3",
    "nrcb4",
    "nrcblong",
    "mirimage",
    "mirifushort",
    "mirifulong",
    "nrs1",
    "nrs2",
    "nis",
    "guider1",
]
EXPOSURE_SUFFIXES = [
    "uncal",
    "rate",
    "rateints",
    "cal",
    "calints",
    "trapsfilled",
    "i2d",
    "s2d",
    "x1d",
    "x1dints",
    "ramp",
    "bsub",
]
STAGE3 = [
    ("nircam", "clear-f090w"),
    ("nircam", "clear-f444w"),
    ("nircam", "f444w-maskrnd-sub320a335r"),
    ("miri", "f1130w"),
    ("miri", "ch1-short"),
    ("miri", "p750l-slitlessprism"),
    ("nirspec", "clear-prism-s200a1-subs200a1"),
    ("nirspec", "g395h-f290lp"),
    ("niriss", "clear-gr700xd-substrip256"),
    ("niriss", "f480m-nrm"),
    ("fgs", "clear"),
]
SOURCE_SUFFIXES = ["i2d", "s2d", "s3d", "x1d", "x1dints", "c1d", "cat", "segm", "whtlt", "psfstack"]
ASN_TYPES = ["image2", "image3", "spec2", "spec3", "tso3", "coron3", "ami3"]


def realistic_names(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    names = []
    for _ in range(n):
        program, obs, visit = rng.randint(1000, 6999), rng.randint(1, 200), rng.randint(1, 3)
        roll = rng.random()
        if roll < 0.62:
            seg = f"-seg{rng.randint(1, 4):03d}" if rng.random() < 0.1 else ""
            asn = f"_o{obs:03d}" if rng.random() < 0.08 else ""
            suffix = "crf" if asn else rng.choice(EXPOSURE_SUFFIXES)
            group, activity, number = rng.randint(1, 20), rng.randint(1, 9), rng.randint(1, 40)
            names.append(
                f"jw{program:05d}{obs:03d}{visit:03d}_{group:02d}1{activity:02d}_{number:05d}{seg}"
                f"_{rng.choice(DETECTORS)}{asn}_{suffix}.fits"
            )
        elif roll < 0.80:
            instrument, optical = rng.choice(STAGE3)
            acid = rng.choice([f"o{obs:03d}", f"c{rng.randint(1001, 1099)}", "a3001"])
            target = (
                f"t{rng.randint(1, 30):03d}"
                if rng.random() < 0.8
                else f"s{rng.randint(1, 99999):09d}"
            )
            suffix = rng.choice(SOURCE_SUFFIXES)
            ext = "ecsv" if suffix in ("cat", "whtlt") else "fits"
            names.append(f"jw{program:05d}-{acid}_{target}_{instrument}_{optical}_{suffix}.{ext}")
        elif roll < 0.90:
            thumb = "_thumb" if rng.random() < 0.5 else ""
            names.append(
                f"jw{program:05d}{obs:03d}{visit:03d}_02101_00001_{rng.choice(DETECTORS)}_cal{thumb}.jpg"
            )
        elif roll < 0.94:
            names.append(
                f"jw{program:05d}-o{obs:03d}_2023{rng.randint(1, 12):02d}13t004107"
                f"_{rng.choice(ASN_TYPES)}_{rng.randint(1, 9):05d}_asn.json"
            )
        elif roll < 0.95:
            names.append(f"jw{program:05d}_2023{rng.randint(1, 12):02d}12t204227_pool.csv")
        elif roll < 0.99:
            mode = rng.choice(["fg", "track", "acq1", "acq2"])
            names.append(
                f"jw{program:05d}{obs:03d}{visit:03d}_gs-{mode}_2023{rng.randint(1, 365):03d}021014"
                f"_{rng.choice(['uncal', 'cal'])}.fits"
            )
        else:
            names.append(
                rng.choice(["notes.txt", "jwst_nircam_flat_0313.fits", "my_reduction.fits"])
            )
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    names = realistic_names(args.names, args.seed)
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        parsed = [parse_name(name) for name in names]
        best = min(best, time.perf_counter() - start)
    kinds = collections.Counter(p.kind.value for p in parsed)
    emit(
        "naming",
        {
            "names": len(names),
            "seconds": round(best, 4),
            "names_per_second": round(len(names) / best),
            "kinds": dict(kinds.most_common()),
        },
    )


if __name__ == "__main__":
    main()
