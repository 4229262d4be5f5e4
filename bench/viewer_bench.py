"""Full-resolution viewer benchmark: tiles, region statistics, grid, overlay, aligned image.

    python bench/viewer_bench.py [--size 4096] [--gzip] [--repeat 7]

The input is a synthetic NIRCam-like cal image (``--size`` px a side, float32, SIP WCS, 1,000
stars and noise), stored through a local storage provider in a temporary home (``--gzip``:
gzip-compressed, level 1), and a second one of the same size, 30 degrees rolled and 20"
away, for the aligned window. The services are called directly, as the routes call them
(``api/routes/tiles.py``, ``api/routes/viewer_tools.py``): the image is opened by a
:class:`TileCache` in the home's ``cache/tiles`` folder, the default settings give the
budgets. Reported per operation: wall time p50/p95 over ``--repeat`` untraced runs, and
peak traced memory (numpy allocations, via tracemalloc) of one more run. The file was just
written, so its pages are in the OS cache: "cold" means a new tile cache (the file opened and
mapped; with ``--gzip`` also inflated to the cache copy), not a cold disk.

What bounds the memory of each, and what it measured (4096x4096, ``--repeat 7``, 2 cores
shared with a running test suite, so times are noisy and p95 especially; peak in MB, one
image plane is 64 MB):

- ``tile``: the image area under the tile, ``(256 * 2**z)**2`` pixels, read in bands of
  about 1 M pixels (``pixel_window.reduced_window``) and reduced to block means band by
  band. The top level's first tile (z=4) covers the whole image: 16.5 MB at peak (it was
  225 MB, 3.5 planes, when the whole area was read in one piece; 170-650 ms on the loaded
  machine, both ways). A full-resolution tile: 0.08 ms warm,
  5 ms cold (open and parse the headers), under 1 MB. Gzip, cold: the file inflated to the
  cache copy in 1 MB chunks first, 1.1 s for the full-resolution tile (3 MB peak), 2.1 s for
  the top one; warm it is a plain memory map again.
- ``region``: the region's bounding box, at most ``viewer_max_region_pixels`` (16 M by
  default, refused before any read above that), read in bands of 1 M pixels; but the
  values inside are all kept (float32 pieces, their concatenation, then float64 for the
  median), about 19 bytes a pixel: circle of radius 100 px, 11 ms, 0.6 MB; 2000x2000
  box 245 ms, 76 MB; the 4000x4000 box the budget allows 0.8 s, 305 MB.
- ``grid`` (whole image, 12 lines): independent of the image: at most 30 lines a side,
  200 samples each, refined up to 20,000 points a line. 17 ms, 0.1 MB.
- ``catalogue`` (1,000 stars, all inside): the table; at most 20,000 positions are
  converted. 53 ms, 0.8 MB.
- ``aligned``: the output window and the input read, each at most
  ``viewer_max_window_pixels`` (4 M); the input box is read in bands of 1 M pixels (block
  means at reduced zoom) and reprojected in 512x512 output blocks. 1024x1024 window at
  z=0 (input box about 1400x1400, step 1): 1.7 s, 62 MB, most of it the blocks' fixed
  cost; the whole image at z=4 (256x256 output, input step 16): 200 ms, 16 MB.

The default run takes about 45 s here (``--gzip`` about 80 s).
"""

from __future__ import annotations

import argparse
import io
import math
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table
from astropy.wcs import WCS

from _common import emit, percentiles, timed
from jwstdata.config import Settings
from jwstdata.models import JwstDataModel
from jwstdata.services.align import PixelWindow, aligned_window
from jwstdata.services.image_wcs import image_wcs
from jwstdata.services.overlays import catalogue_overlay
from jwstdata.services.regions import BoxRegion, CircleRegion, region_stats
from jwstdata.services.tiles import TILE, TileCache, TileSource, tile
from jwstdata.services.wcs_grid import Window, coordinate_grid
from jwstdata.storage.factory import open_storage
from tests import fitsfactory as ff

STARS = 1000
STAMP = 7  # half-size of the square each star is drawn in (pixels)


def _stars(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A noisy float32 image with STARS Gaussian stars; also their (x, y) positions.

    Each star is drawn in a small stamp: ``ff.stars`` evaluates every star over the whole
    image, which is too slow at 4096x4096.
    """
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((size, size), dtype=np.float32)
    data *= 0.02
    data += 0.3
    positions = rng.uniform(STAMP, size - STAMP - 1, (STARS, 2))
    fluxes = rng.uniform(1e3, 1e5, STARS)
    sigma = 2.5 / (2 * math.sqrt(2 * math.log(2)))
    offsets = np.arange(-STAMP, STAMP + 1)
    for (x, y), flux in zip(positions, fluxes, strict=True):
        cx, cy = round(x), round(y)
        gx, gy = np.meshgrid(cx + offsets - x, cy + offsets - y)
        stamp = flux / (2 * math.pi * sigma**2) * np.exp(-(gx**2 + gy**2) / (2 * sigma**2))
        data[cy - STAMP : cy + STAMP + 1, cx - STAMP : cx + STAMP + 1] += stamp.astype(np.float32)
    return data, positions


def _store(
    settings: Settings, folder: Path, n: int, data: np.ndarray, roll: float, ra: float, gzip: bool
) -> JwstDataModel:
    """Write the image as a cal product, store it locally and return its record."""
    path = ff.write_product(
        folder, "cal", data=data, extras=False, dq=False, roll=roll, ra=ra,
        ids=ff.Ids(exposure=f"{n:05d}"),
    )  # fmt: skip
    if gzip:
        path = ff.gzip_copy(path, path.with_name(path.name + ".gz"))
    key = f"bench/{path.name}"
    open_storage(settings).write_path(key, path)
    return JwstDataModel.model_validate({
        "id": f"{n:024x}",
        "fileName": path.name,
        "filePath": key,
        "fileFormat": "fits.gz" if gzip else "fits",
        "dataType": "image",
        "checksum": f"{n:064x}",
    })  # fmt: skip


def _peak(fn: Callable[[], Any]) -> float:
    """Peak traced memory of one run, in MB."""
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


def _measure(fn: Callable[[], Any], repeat: int, **facts: Any) -> dict[str, Any]:
    fn()  # once untimed: imports, first page faults, lazy astropy state
    samples = timed(fn, repeat)
    stats = percentiles(samples)
    return {
        **facts,
        "p50_ms": stats["p50_ms"],
        "p95_ms": stats["p95_ms"],
        "n": stats["n"],
        "peak_traced_mb": _peak(fn),
    }


def _cold_tile(settings: Settings, record: JwstDataModel, z: int, x: int, y: int) -> None:
    """A new tile cache (the file opened; a gzip file inflated to the copy), then the tile."""
    with tempfile.TemporaryDirectory(dir=settings.home_dir, prefix="cold-") as folder:
        cache = TileCache(Path(folder) / "cache" / "tiles")
        try:
            tile(cache.source(open_storage(settings), record), z, x, y)
        finally:
            cache.close()


def _ecsv(wcs: WCS, positions: np.ndarray) -> str:
    ra, dec = wcs.all_pix2world(positions[:, 0], positions[:, 1], 0)
    names = [f"star-{i}" for i in range(len(positions))]
    out = io.StringIO()
    Table({"name": names, "ra": ra, "dec": dec}).write(out, format="ascii.ecsv")
    return out.getvalue()


def _tiles(
    settings: Settings, source: TileSource, record: JwstDataModel, repeat: int
) -> dict[str, Any]:
    ny, nx = source.shape
    top = source.levels - 1
    centre = ((nx // 2) // TILE, (ny // 2) // TILE)
    out: dict[str, Any] = {}
    for name, (z, x, y) in (("top_level", (top, 0, 0)), ("full_resolution", (0, *centre))):
        shape = tile(source, z, x, y).shape
        facts = {"z": z, "x": x, "y": y, "tile": f"{shape[1]}x{shape[0]}"}
        out[f"tile_{name}_cold"] = _measure(
            lambda z=z, x=x, y=y: _cold_tile(settings, record, z, x, y), repeat, **facts
        )
        out[f"tile_{name}_warm"] = _measure(
            lambda z=z, x=x, y=y: tile(source, z, x, y), repeat, **facts
        )
    return out


def _regions(source: TileSource, budget: int, repeat: int) -> dict[str, Any]:
    ny, nx = source.shape
    cx, cy = nx // 2, ny // 2
    half = min(1000, nx // 2, ny // 2)
    side = min(math.isqrt(budget), nx, ny)
    shapes = {
        "region_circle_r100": CircleRegion(cx, cy, 100),
        "region_box_2000": BoxRegion(cx - half, cy - half, cx + half - 1, cy + half - 1),
        "region_box_budget": BoxRegion(0, 0, side - 1, side - 1),
    }
    out: dict[str, Any] = {}
    for name, shape in shapes.items():
        pixels = region_stats(source, shape, budget)["pixels"]
        out[name] = _measure(
            lambda shape=shape: region_stats(source, shape, budget), repeat, pixels=pixels
        )
    return out


def _aligned(first: TileSource, second: TileSource, budget: int, repeat: int) -> dict[str, Any]:
    ny, nx = first.shape
    top = first.levels - 1
    side = min(1024, nx, ny)
    x0, y0 = (nx - side) // 2, (ny - side) // 2
    windows = {
        "aligned_1024_z0": PixelWindow(x0, y0, x0 + side, y0 + side, 1),
        "aligned_whole_top": PixelWindow(0, 0, nx, ny, 2**top),
    }
    out: dict[str, Any] = {}
    for name, window in windows.items():
        data, meta = aligned_window(first, second, window, budget)
        facts = {
            "z": int(math.log2(window.factor)),
            "output": f"{data.shape[1]}x{data.shape[0]}",
            "input_step": meta["inputStep"],
            "overlap": meta["overlap"],
        }
        out[name] = _measure(
            lambda window=window: aligned_window(first, second, window, budget), repeat, **facts
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=4096, help="pixels a side")
    parser.add_argument("--gzip", action="store_true", help="store the images gzip-compressed")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per operation")
    args = parser.parse_args()
    size, repeat = args.size, args.repeat
    with tempfile.TemporaryDirectory(prefix="jwstdata-viewer-bench-") as home:
        settings = Settings(home=Path(home), storage="local")
        folder = Path(home) / "written"
        folder.mkdir()
        start = time.perf_counter()
        data, positions = _stars(size, seed=1)
        first_record = _store(settings, folder, 1, data, 293.09, 151.7574, args.gzip)
        other, _ = _stars(size, seed=2)
        second_record = _store(settings, folder, 2, other, 323.09, 151.7574 + 20 / 3600, args.gzip)
        del data, other
        written = round(time.perf_counter() - start, 1)

        cache = TileCache(settings.home_dir / "cache" / "tiles")  # as tile_source has it
        storage = open_storage(settings)
        first = cache.source(storage, first_record)
        second = cache.source(storage, second_record)
        wcs = image_wcs(first.header)
        whole = Window(-0.5, -0.5, size - 0.5, size - 0.5)
        ecsv = _ecsv(wcs, positions)
        results: dict[str, Any] = {}
        results |= _tiles(settings, first, first_record, repeat)
        results |= _regions(first, settings.viewer_max_region_pixels, repeat)
        lines = len(coordinate_grid(image_wcs(first.header), whole)["lines"])
        results["grid_whole_image"] = _measure(
            lambda: coordinate_grid(image_wcs(first.header), whole), repeat, lines=lines
        )
        inside = catalogue_overlay(wcs, first.shape, ecsv)["inside"]
        results["catalogue_1000_stars"] = _measure(
            lambda: catalogue_overlay(image_wcs(first.header), first.shape, ecsv),
            repeat,
            inside=inside,
        )
        results |= _aligned(first, second, settings.viewer_max_window_pixels, repeat)
        cache.close()
        emit(
            "viewer-gzip" if args.gzip else "viewer",
            {
                "image": f"{size}x{size} float32" + (", gzip" if args.gzip else ""),
                "image_plane_mb": round(size * size * 4 / 2**20, 1),
                "levels": first.levels,
                "budgets": {
                    "viewer_max_region_pixels": settings.viewer_max_region_pixels,
                    "viewer_max_window_pixels": settings.viewer_max_window_pixels,
                },
                "setup_seconds": written,
                "results": results,
            },
        )


if __name__ == "__main__":
    main()
