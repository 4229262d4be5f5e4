"""Preview benchmark: the ``preview`` algorithm vs a bare astropy + numpy + Pillow script.

    python bench/preview_bench.py [--size 2048] [--repeat 9]

Both sides read the same 2048x2048 float32 i2d (stars, noise, a NaN border like a real
mosaic; memory-mapped), take zscale limits, stretch linearly to 8 bits, box-resize to a
1024-px preview and a 256-px thumbnail and encode both as greyscale PNG (Pillow defaults).
The algorithm also walks the headers first (size check, truncation check), which the bare
script does not. Runs alternate between the two after one warm-up each (imports, page
cache); the ratio is algorithm p50 / bare p50 (target <= 1.2).
"""

from __future__ import annotations

import argparse
import io
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.visualization import ZScaleInterval
from PIL import Image

from _common import emit, percentiles, timed
from jwstdata.models import DataType, JwstDataModel
from jwstdata.processing import AlgorithmInput, Limits, get_algorithm
from tests import fitsfactory as ff

PREVIEW = 1024
THUMBNAIL = 256


def make_image(folder: Path, size: int) -> Path:
    rng = np.random.default_rng(5)
    positions = [(x, y, f) for x, y, f in rng.uniform((0, 0, 1e3), (size, size, 1e5), (300, 3))]
    data = ff.stars((size, size), positions, background=0.3, fwhm=3.0)
    data += rng.normal(0, 0.02, data.shape).astype(np.float32)
    data[:, :40] = np.nan  # outside the mosaic footprint
    return ff.write_product(folder, "i2d", data=data, extras=False, stage3=True)


def bare_script(path: Path) -> tuple[bytes, bytes]:
    """What one would write by hand with astropy, numpy and Pillow."""
    with fits.open(path) as hdul:
        data = hdul["SCI"].data
        vmin, vmax = ZScaleInterval().get_limits(data)
        scaled = np.clip((data - vmin) / (vmax - vmin), 0, 1)
        np.nan_to_num(scaled, copy=False, nan=0.0)
        pixels = (scaled * 255 + 0.5).astype(np.uint8)
    image = Image.fromarray(np.flipud(pixels))
    preview = image.resize((PREVIEW, PREVIEW), Image.Resampling.BOX)
    thumbnail = preview.resize((THUMBNAIL, THUMBNAIL), Image.Resampling.BOX)
    encoded = []
    for picture in (preview, thumbnail):
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        encoded.append(buffer.getvalue())
    return encoded[0], encoded[1]


def algorithm_run(path: Path) -> tuple[bytes, bytes]:
    preview = get_algorithm("preview")
    record = JwstDataModel(file_name=path.name, data_type=DataType.image, file_format="fits")
    out = preview.run(
        AlgorithmInput(
            path=path,
            record=record,
            params=preview.parse_params({"maxSize": PREVIEW, "thumbnailSize": THUMBNAIL}),
            limits=Limits(max_pixels=100_000_000),
        )
    )
    return out.outputs[0].content or b"", out.outputs[1].content or b""


def peak_mb(fn: Callable[[Path], object], path: Path) -> float:
    tracemalloc.start()
    fn(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 2**20, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jwstdata-preview-bench-") as folder:
        path = make_image(Path(folder), args.size)
        ours_png, _ = algorithm_run(path)  # warm-up: imports, page cache, colormap cache
        bare_png, _ = bare_script(path)
        ours_samples: list[float] = []
        bare_samples: list[float] = []
        for _ in range(args.repeat):
            ours_samples += timed(lambda: algorithm_run(path), 1)
            bare_samples += timed(lambda: bare_script(path), 1)
        ours = percentiles(ours_samples)
        bare = percentiles(bare_samples)
        ours_image = np.asarray(Image.open(io.BytesIO(ours_png)), dtype=np.int16)
        bare_image = np.asarray(Image.open(io.BytesIO(bare_png)), dtype=np.int16)
        difference = float(np.abs(ours_image - bare_image).mean())
        emit(
            "preview",
            {
                "image": f"{args.size}x{args.size} float32 ({path.stat().st_size / 2**20:.0f} MB)",
                "outputs": f"{PREVIEW}px + {THUMBNAIL}px greyscale PNG, zscale, linear",
                "algorithm": ours,
                "bare_script": bare,
                "ratio_p50": round(ours["p50_ms"] / bare["p50_ms"], 3),
                "target_ratio": 1.2,
                "png_bytes": {"algorithm": len(ours_png), "bare_script": len(bare_png)},
                # resize-then-stretch vs stretch-then-resize; same zscale limits
                "mean_abs_pixel_difference_8bit": round(difference, 3),
                "python_peak_alloc_mb": {
                    "algorithm": peak_mb(algorithm_run, path),
                    "bare_script": peak_mb(bare_script, path),
                },
            },
        )


if __name__ == "__main__":
    main()
