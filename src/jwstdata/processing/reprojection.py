"""Putting several images on one sky grid: the pieces composites and mosaics share.

- :func:`read_image`: one input's science plane with DQ ``DO_NOT_USE`` pixels as NaN, and
  its celestial WCS. The plane is written to a ``.npy`` file in a scratch folder and handed
  back memory-mapped, so holding many inputs costs disk, not memory: only the input being
  read and whatever the reprojection is computing are in memory at once.
- :func:`common_frame`: the output WCS and shape covering every input, from the ``reproject``
  package's :func:`~reproject.mosaicking.find_optimal_celestial_wcs` (TAN, north up, the
  finest input pixel scale unless a resolution is given), refused above the pixel limit.
- :func:`reproject_onto`: one input interpolated onto that grid
  (:func:`reproject.reproject_interp`, bilinear), with its footprint.

Every function takes local paths; storage and records are the caller's business.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
from reproject import reproject_interp
from reproject.mosaicking import find_optimal_celestial_wcs

from jwstdata.processing.cutout import celestial_wcs
from jwstdata.processing.data import DO_NOT_USE, check_pixels, open_image, select_plane
from jwstdata.processing.registry import ProcessingError

# Output blocks reprojected at a time: the coordinate arrays of one block instead of the whole
# grid (measured: a 1400x1400 grid peaks at 67 MB in blocks, 277 MB in one piece).
BLOCK = (512, 512)


@dataclass
class SkyImage:
    name: str
    data: np.ndarray  # 2-D float32, memory-mapped from the scratch folder
    wcs: WCS
    unit: str | None
    filter: str | None


def read_image(
    path: Path, *, name: str, scratch: Path, max_pixels: int, suffix: str | None = None
) -> SkyImage:
    """The input's science plane (masked by DQ DO_NOT_USE), spilled to ``scratch``."""
    with open_image(path, max_pixels=max_pixels) as image:
        wcs = celestial_wcs(image.header, name)
        plane = select_plane(image.sci, plane=None, suffix=suffix)
        target = scratch / f"{len(list(scratch.glob('*.npy'))):03d}.npy"
        out = np.lib.format.open_memmap(target, mode="w+", dtype=np.float32, shape=plane.shape)
        for start in range(0, plane.shape[0], 512):  # bands: memory stays a band, not a plane
            stop = min(start + 512, plane.shape[0])
            band = np.asarray(plane[start:stop], dtype=np.float32)
            if image.dq is not None and image.dq.shape[-2:] == plane.shape:
                dq = image.dq if image.dq.ndim == 2 else image.dq.reshape(-1, *plane.shape)[0]
                band = np.where((dq[start:stop] & DO_NOT_USE) != 0, np.float32(np.nan), band)
            out[start:stop] = band
        out.flush()
        unit = str(image.header.get("BUNIT", "") or "") or None
        primary_filter = _filter(path)
    del out
    data = np.load(target, mmap_mode="r")
    return SkyImage(name=name, data=data, wcs=wcs, unit=unit, filter=primary_filter)


def _filter(path: Path) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        with fits.open(path, lazy_load_hdus=True) as hdul:
            value = hdul[0].header.get("FILTER")
    return str(value).strip() or None if value is not None else None


@dataclass(frozen=True)
class Frame:
    wcs: WCS
    shape: tuple[int, int]  # (ny, nx)

    @property
    def pixels(self) -> int:
        return self.shape[0] * self.shape[1]


def common_frame(
    images: list[SkyImage], *, resolution_arcsec: float | None, max_pixels: int, planes: int = 1
) -> Frame:
    """The TAN frame covering every image (north up), checked against ``max_pixels``."""
    # (shape, WCS) pairs: a bare list of two WCS would read as one (data, WCS) pair
    described = [(image.data.shape, image.wcs) for image in images]
    resolution = resolution_arcsec * u.arcsec if resolution_arcsec else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        try:
            wcs, shape = find_optimal_celestial_wcs(described, resolution=resolution)
        except (ValueError, TypeError) as exc:
            raise ProcessingError(
                f"no common sky frame for the inputs: {exc}", reason="unsupported_input"
            ) from None
    shape = (int(shape[0]), int(shape[1]))
    check_pixels(
        math.prod(shape) * planes,
        max_pixels,
        f"the output grid {shape[1]}x{shape[0]}" + (f" x {planes} channels" if planes > 1 else ""),
    )
    return Frame(wcs=wcs, shape=shape)


def reproject_onto(image: SkyImage, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """(values, footprint) of ``image`` on ``frame``: NaN where it has no data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        values, footprint = reproject_interp(
            (image.data, image.wcs),
            frame.wcs,
            shape_out=frame.shape,
            order="bilinear",
            return_footprint=True,
            block_size=BLOCK,
        )
    values = values.astype(np.float32, copy=False)
    values[footprint <= 0] = np.nan
    return values, footprint.astype(np.float32, copy=False)


def frame_header(frame: Frame) -> fits.Header:
    header = frame.wcs.to_header(relax=True)
    header.remove("DATE-OBS", ignore_missing=True)
    header.remove("MJD-OBS", ignore_missing=True)
    return header


def wcs_summary(frame: Frame) -> dict[str, object]:
    """The frame's WCS keywords as plain values (for ``imageInfo.wcs``)."""
    return {k: v for k, v in frame_header(frame).items() if isinstance(v, str | int | float)}
