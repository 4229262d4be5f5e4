"""Colour composites and mosaics: several records onto one sky grid (see ``reprojection``).

Composite
    2-6 images (usually one per filter) are reprojected onto the common frame; each channel is
    stretched on its own (interval and stretch from :mod:`jwstdata.processing.stretch`) and
    tinted with its colour; the tints add up (screen-like, clipped at white). Outputs: an RGB
    PNG (north up, row 0 of the FITS arrays at the bottom, like the previews) and a FITS cube
    (``SCI``: channels x ny x nx of reprojected, unstretched values; the celestial WCS on
    axes 1-2; ``CHANn``/``COLORn`` name each plane).
Mosaic
    Overlapping images of one filter combined with
    :func:`reproject.mosaicking.reproject_and_coadd` (bilinear interpolation; mean or sum of
    the overlapping values). Outputs: FITS (``SCI`` and ``COVERAGE``, the summed footprint)
    and a preview PNG.

Memory: the inputs live memory-mapped on scratch disk; what is held is the output grid (one
float32 plane per channel, plus a float64 plane and footprint while one input is reprojected).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from reproject import reproject_interp
from reproject.mosaicking import reproject_and_coadd

from jwstdata.models.enums import Combine
from jwstdata.processing.preview import PreviewParams, render
from jwstdata.processing.registry import ProcessingError
from jwstdata.processing.reprojection import (
    BLOCK,
    Frame,
    SkyImage,
    common_frame,
    frame_header,
    reproject_onto,
)
from jwstdata.processing.stretch import Interval, Stretch, limits, to_uint8

Progress = Callable[[float, str], None]
# Default tints by position (bluest filter first): blue, green, red, then the in-betweens.
DEFAULT_COLORS = ("#0000ff", "#00ff00", "#ff0000", "#00ffff", "#ffff00", "#ff00ff")


class _Params(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Channel(_Params):
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$", examples=["#ff0000"])
    interval: Interval = Interval.percentile
    stretch: Stretch = Stretch.asinh
    percentile_low: float = Field(default=0.5, ge=0, le=100)
    percentile_high: float = Field(default=99.8, ge=0, le=100)


class CompositeParams(_Params):
    channels: list[Channel] = Field(default_factory=list, max_length=6)
    resolution: float | None = Field(
        default=None, gt=0, le=3600, description="arcsec per output pixel (default: finest)"
    )


class MosaicParams(_Params):
    resolution: float | None = Field(default=None, gt=0, le=3600, description="arcsec/pixel")
    combine: Combine = Combine.mean
    match_background: bool = False


@dataclass
class Product:
    """What a composite or mosaic made: files (name -> bytes) and a summary."""

    files: dict[str, bytes] = field(default_factory=dict)
    frame: Frame | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)], dtype=np.float32)


def _fits_bytes(hdus: fits.HDUList) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        hdus.writeto(buffer, output_verify="silentfix")
    return buffer.getvalue()


def composite(
    images: list[SkyImage],
    params: CompositeParams,
    *,
    max_pixels: int,
    progress: Progress,
) -> Product:
    if not 2 <= len(images) <= 6:
        raise ProcessingError("a composite takes 2 to 6 images", reason="bad_parameters")
    channels = list(params.channels) or [Channel() for _ in images]
    if len(channels) != len(images):
        raise ProcessingError(
            f"{len(channels)} channel settings for {len(images)} images", reason="bad_parameters"
        )
    frame = common_frame(
        images, resolution_arcsec=params.resolution, max_pixels=max_pixels, planes=len(images)
    )
    ny, nx = frame.shape
    cube = np.empty((len(images), ny, nx), dtype=np.float32)
    rgb = np.zeros((ny, nx, 3), dtype=np.float32)
    shown = []
    for index, (image, channel) in enumerate(zip(images, channels, strict=True)):
        progress(index / len(images), f"reprojecting {image.name}")
        values, _ = reproject_onto(image, frame)
        cube[index] = values
        found = limits(
            values, channel.interval, low=channel.percentile_low, high=channel.percentile_high
        )
        if found is None:
            raise ProcessingError(
                f"{image.name} has no data on the common grid", reason="no_valid_data"
            )
        color = channel.color or DEFAULT_COLORS[index]
        level = to_uint8(values, found[0], found[1], channel.stretch)
        rgb += (level.astype(np.float32) / 255.0)[..., None] * _rgb(color)
        shown.append({"name": image.name, "color": color, "vmin": found[0], "vmax": found[1]})
        del values, level
    np.clip(rgb, 0.0, 1.0, out=rgb)
    picture = Image.fromarray((rgb[::-1] * 255 + 0.5).astype(np.uint8), mode="RGB")
    png = io.BytesIO()
    picture.save(png, format="PNG")
    header = frame_header(frame)
    for index, entry in enumerate(shown, start=1):
        header[f"CHAN{index}"] = (entry["name"][:60], f"source of plane {index}")
        header[f"COLOR{index}"] = (entry["color"], f"display colour of plane {index}")
        if images[index - 1].filter:
            header[f"FILTER{index}"] = (images[index - 1].filter, f"filter of plane {index}")
    header["BUNIT"] = images[0].unit or ""
    hdus = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(cube, header=header, name="SCI")])
    progress(1.0, "encoded")
    return Product(
        files={"png": png.getvalue(), "fits": _fits_bytes(hdus)},
        frame=frame,
        summary={"width": nx, "height": ny, "channels": shown},
    )


def mosaic(
    images: list[SkyImage], params: MosaicParams, *, max_pixels: int, progress: Progress
) -> Product:
    if len(images) < 2:
        raise ProcessingError("a mosaic takes at least 2 images", reason="bad_parameters")
    frame = common_frame(images, resolution_arcsec=params.resolution, max_pixels=max_pixels)
    progress(0.1, f"combining {len(images)} images")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        values, coverage = reproject_and_coadd(
            [(image.data, image.wcs) for image in images],
            frame.wcs,
            shape_out=frame.shape,
            reproject_function=reproject_interp,
            combine_function=params.combine.value,
            match_background=params.match_background,
            order="bilinear",
            block_sizes=[BLOCK] * len(images),
        )
    values = values.astype(np.float32, copy=False)
    values[coverage <= 0] = np.nan
    progress(0.8, "encoding")
    header = frame_header(frame)
    header["BUNIT"] = images[0].unit or ""
    header["NCOMBINE"] = (len(images), "number of images combined")
    for index, image in enumerate(images, start=1):
        header[f"INPUT{index}"] = (image.name[:60], "combined image")
    hdus = fits.HDUList(
        [
            fits.PrimaryHDU(),
            fits.ImageHDU(values, header=header, name="SCI"),
            fits.ImageHDU(coverage.astype(np.float32), header=frame_header(frame), name="COVERAGE"),
        ]
    )
    pngs, shown = render(values, PreviewParams(thumbnail=False, max_size=2048))
    (png, (width, height)), *_ = pngs
    ny, nx = frame.shape
    return Product(
        files={"fits": _fits_bytes(hdus), "png": png},
        frame=frame,
        summary={
            "width": nx,
            "height": ny,
            "previewWidth": width,
            "previewHeight": height,
            "inputs": len(images),
            "coveredFraction": float(np.mean(coverage > 0)),
            **shown,
        },
    )
