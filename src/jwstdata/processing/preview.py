"""``preview``: a PNG of one image plane (long side at most ``maxSize``) and a thumbnail.

Order of work, for speed on large images: the plane is converted once to native float32,
the display limits come from the full-resolution values, then the float image is reduced
(Pillow, box averaging: flux-preserving, no ringing) to the output size, and only the small
image is stretched, quantised and coloured. Images are flipped so that row 0 of the FITS
array (the bottom in ds9) is at the bottom of the PNG. Images are never enlarged: an image
smaller than ``maxSize`` keeps its size. NaN and inf pixels are black.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from pydantic import Field, model_validator

from jwstdata.models import DataType
from jwstdata.processing.data import open_image, select_plane
from jwstdata.processing.registry import (
    IMAGE_INPUT,
    Algorithm,
    AlgorithmInput,
    AlgorithmOutput,
    AlgorithmParams,
    OutputFile,
    ProcessingError,
    Produces,
    json_safe,
    register,
)
from jwstdata.processing.stretch import Colormap, Interval, Stretch, limits, palette, to_uint8

THUMBNAIL_SIZE = 256
DEFAULT_PREVIEW_SIZE = 1024


class PreviewParams(AlgorithmParams):
    max_size: int = Field(default=DEFAULT_PREVIEW_SIZE, ge=16, le=8192, description="long side, px")
    thumbnail: bool = True
    thumbnail_size: int = Field(default=THUMBNAIL_SIZE, ge=16, le=1024)
    interval: Interval = Interval.zscale
    stretch: Stretch = Stretch.linear
    percentile_low: float = Field(default=0.5, ge=0, le=100, description="interval=percentile")
    percentile_high: float = Field(default=99.5, ge=0, le=100, description="interval=percentile")
    colormap: Colormap = Colormap.gray
    plane: int | None = Field(
        default=None, description="cubes: index over the leading axes (default: see docs)"
    )

    @model_validator(mode="after")
    def _ordered(self) -> PreviewParams:
        if self.percentile_low >= self.percentile_high:
            raise ValueError("percentileLow must be below percentileHigh")
        return self


def fit_size(width: int, height: int, max_size: int) -> tuple[int, int]:
    """(width, height) scaled so the long side is at most ``max_size``; never enlarged."""
    scale = min(1.0, max_size / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def shrink(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Box-average ``image`` (mode F) down to ``size``: integer reduce first, it is cheap."""
    if image.size == size:
        return image
    factor = min(image.width // size[0], image.height // size[1])
    if factor >= 2:
        image = image.reduce(factor)
    if image.size != size:
        image = image.resize(size, Image.Resampling.BOX)
    return image


def encode_png(pixels: np.ndarray, colormap: Colormap) -> bytes:
    """8-bit ``pixels`` (top row first) as PNG: greyscale, or indexed with the colormap."""
    image = Image.fromarray(pixels)  # uint8: mode L
    lut = palette(colormap)
    if lut is not None:
        image = image.convert("P")  # same indices, now palette entries
        image.putpalette(lut)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render(
    plane: np.ndarray, params: PreviewParams
) -> tuple[list[tuple[bytes, tuple[int, int]]], dict]:
    """PNG bytes and sizes of the preview (and thumbnail) of a 2-D ``plane``."""
    native = np.asarray(plane, dtype=np.float32)  # one copy: byte order, scaling, contiguity
    if not native.flags.c_contiguous:
        native = np.ascontiguousarray(native)
    found = limits(native, params.interval, low=params.percentile_low, high=params.percentile_high)
    if found is None:
        raise ProcessingError("the image has no finite values to show", reason="no_valid_data")
    vmin, vmax = found
    height, width = native.shape
    full = Image.fromarray(native)  # float32: mode F
    sizes = [fit_size(width, height, params.max_size)]
    if params.thumbnail:
        sizes.append(fit_size(width, height, params.thumbnail_size))
    pngs = []
    source = full
    for size in sizes:
        small = shrink(source if size[0] <= source.width else full, size)
        source = small
        pixels = to_uint8(np.asarray(small)[::-1], vmin, vmax, params.stretch)
        pngs.append((encode_png(pixels, params.colormap), size))
    return pngs, {"vmin": vmin, "vmax": vmax}


@register
class Preview(Algorithm):
    name = "preview"
    version = "1.0"
    summary = "PNG preview (long side <= maxSize) and thumbnail of one image plane"
    Params = PreviewParams
    input = IMAGE_INPUT
    produces = (
        Produces("preview", DataType.image, "png", "preview image"),
        Produces("thumbnail", DataType.image, "png", "thumbnail (optional)"),
    )

    def run(self, inputs: AlgorithmInput) -> AlgorithmOutput:
        params = inputs.params
        assert isinstance(params, PreviewParams)
        inputs.progress(0.05, "reading image")
        with open_image(
            inputs.path,
            max_pixels=inputs.limits.max_pixels,
            inflate=inputs.limits.inflate,
            with_dq=False,
        ) as image:
            plane = select_plane(image.sci, plane=params.plane, suffix=inputs.suffix)
            inputs.progress(0.3, "rendering")
            pngs, shown = render(plane, params)
            shape = image.info.shape
        inputs.progress(0.95, "encoded")
        (preview, (width, height)), *rest = pngs
        outputs = [
            OutputFile(
                name=f"{inputs.stem}_preview.png",
                data_type=DataType.image,
                format="png",
                description=f"Preview of {inputs.record.file_name} "
                f"({params.interval.value}, {params.stretch.value}, {params.colormap.value})",
                is_viewable=True,
                role="preview",
                content=preview,
                width=width,
                height=height,
            )
        ]
        for thumb, (tw, th) in rest:
            outputs.append(
                OutputFile(
                    name=f"{inputs.stem}_thumb.png",
                    data_type=DataType.image,
                    format="png",
                    description=f"Thumbnail of {inputs.record.file_name}",
                    is_viewable=True,
                    role="thumbnail",
                    content=thumb,
                    width=tw,
                    height=th,
                )
            )
        results = {
            "width": width,
            "height": height,
            "sourceShape": list(shape),
            "interval": params.interval.value,
            "stretch": params.stretch.value,
            "colormap": params.colormap.value,
            **shown,
        }
        if rest:
            results["thumbnailWidth"], results["thumbnailHeight"] = rest[0][1]
        return AlgorithmOutput(results=json_safe(results), outputs=outputs)
