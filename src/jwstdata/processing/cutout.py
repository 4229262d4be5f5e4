"""``cutout``: a rectangle of the SCI image around a sky position, as FITS with its WCS.

astropy's :class:`~astropy.nddata.Cutout2D` does the work with the SCI WCS (SIP included):
it slices whole pixels (no resampling, so values are the source's) and shifts the WCS
reference pixel, so the output's WCS maps the requested position to where it lies in the
cutout. A cutout is a whole-pixel box: the position falls within half a pixel of its centre.
Parts of the box outside the image are trimmed (``mode="trim"``), so every value is data.

The output keeps the primary header of the source and the SCI header with the new WCS; its
DQ and ERR are cut the same way when the source has them.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import Cutout2D, NoOverlapError
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS, NoConvergence
from astropy.wcs.utils import proj_plane_pixel_scales
from pydantic import Field

from jwstdata.models import DataType
from jwstdata.models.enums import SizeUnit
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
    register,
)

MAX_CUTOUT_SIDE = 8192  # pixels: a cutout is a piece, not a copy of a mosaic
_LINEAR_KEYS = ("CD1_1", "CD1_2", "CD2_1", "CD2_2", "PC1_1", "PC1_2", "PC2_1", "PC2_2")


class CutoutParams(AlgorithmParams):
    ra: float = Field(ge=0, lt=360, description="centre, degrees (ICRS)")
    dec: float = Field(ge=-90, le=90, description="centre, degrees (ICRS)")
    size: float = Field(gt=0, le=100_000, description="side of the square, in `unit`")
    height: float | None = Field(default=None, gt=0, le=100_000, description="default: size")
    unit: SizeUnit = SizeUnit.arcsec
    plane: int | None = Field(default=None, description="cubes: which plane (see preview)")


def celestial_wcs(header: fits.Header, name: str) -> WCS:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        try:
            wcs = WCS(header).celestial
        except (ValueError, KeyError, MemoryError) as exc:
            raise ProcessingError(
                f"{name}: the SCI WCS cannot be read ({exc})", reason="unsupported_input"
            ) from None
    if not wcs.has_celestial or wcs.naxis != 2:
        raise ProcessingError(
            f"{name} has no celestial WCS in its SCI header", reason="unsupported_input"
        )
    return wcs


def _size(params: CutoutParams) -> tuple[Any, Any]:
    """Cutout2D's size, (ny, nx): pixels as ints, angles as quantities."""
    height = params.height or params.size
    if params.unit is SizeUnit.pixel:
        return (max(1, round(height)), max(1, round(params.size)))
    unit = u.arcsec if params.unit is SizeUnit.arcsec else u.arcmin
    return (height * unit, params.size * unit)


def _check_side(wcs: WCS, params: CutoutParams) -> None:
    height = params.height or params.size
    if params.unit is SizeUnit.pixel:
        side = max(params.size, height)
    else:
        scale = float(np.mean(proj_plane_pixel_scales(wcs))) * 3600  # degrees per pixel
        factor = 1.0 if params.unit is SizeUnit.arcsec else 60.0
        side = max(params.size, height) * factor / scale
    if side > MAX_CUTOUT_SIDE:
        raise ProcessingError(
            f"a cutout of {math.ceil(side):,} pixels a side is larger than the limit of "
            f"{MAX_CUTOUT_SIDE:,}",
            reason="bad_parameters",
        )


def _pixel_position(wcs: WCS, params: CutoutParams, name: str) -> tuple[float, float]:
    """(x, y), 0-based, of the requested position; far-off positions (where the distortion
    solution diverges, or the projection is undefined) are outside the image."""
    position = SkyCoord(params.ra * u.deg, params.dec * u.deg, frame="icrs")
    outside = ProcessingError(
        f"RA {params.ra}, Dec {params.dec} is outside {name}", reason="bad_parameters"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            x, y = wcs.world_to_pixel(position)
        except (NoConvergence, ValueError):
            raise outside from None
    if not (math.isfinite(float(x)) and math.isfinite(float(y))):
        raise outside
    return float(x), float(y)


def _with_wcs(header: fits.Header, wcs: WCS) -> fits.Header:
    """``header`` with its linear WCS keywords replaced by those of ``wcs``."""
    out = header.copy()
    for key in _LINEAR_KEYS:
        out.remove(key, ignore_missing=True, remove_all=True)
    out.update(wcs.to_header(relax=True))
    return out


def cut(
    path: Path, params: CutoutParams, *, name: str, max_pixels: int, suffix: str | None = None
) -> tuple[bytes, dict[str, Any]]:
    """The cutout as FITS bytes, and a summary (shape, origin, position in the cutout)."""
    with open_image(path, max_pixels=max_pixels) as image:
        wcs = celestial_wcs(image.header, name)
        _check_side(wcs, params)
        plane = select_plane(image.sci, plane=params.plane, suffix=suffix)
        centre = _pixel_position(wcs, params, name)
        try:
            sci = Cutout2D(plane, centre, _size(params), wcs=wcs, mode="trim", copy=True)
        except NoOverlapError:
            raise ProcessingError(
                f"RA {params.ra}, Dec {params.dec} is outside {name}", reason="bad_parameters"
            ) from None
        extra = []
        if image.dq is not None and image.dq.ndim == 2:
            dq = np.asarray(image.dq[sci.slices_original])
            extra.append(fits.ImageHDU(dq, header=_with_wcs(fits.Header(), sci.wcs), name="DQ"))
        with fits.open(path, lazy_load_hdus=True) as hdul:
            primary = hdul[0].header.copy()
        header = _with_wcs(image.header, sci.wcs)
    for key in (
        "BZERO",
        "BSCALE",
        "BLANK",
        "NAXIS3",
        "NAXIS4",
        "CRPIX3",
        "CRVAL3",
        "CTYPE3",
        "CUNIT3",
        "CDELT3",
        "PC3_3",
    ):
        header.remove(key, ignore_missing=True, remove_all=True)
    header["WCSAXES"] = 2
    header["CUTRA"] = (params.ra, "[deg] requested cutout centre")
    header["CUTDEC"] = (params.dec, "[deg] requested cutout centre")
    header["CUTX0"] = (sci.origin_original[0], "0-based column of the cutout in the source")
    header["CUTY0"] = (sci.origin_original[1], "0-based row of the cutout in the source")
    primary["NEXTEND"] = 1 + len(extra)
    hdus = fits.HDUList(
        [fits.PrimaryHDU(header=primary), fits.ImageHDU(sci.data, header=header, name="SCI")]
    )
    hdus.extend(extra)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        hdus.writeto(buffer, output_verify="silentfix")
    ny, nx = sci.data.shape
    summary = {
        "width": nx,
        "height": ny,
        "origin": [int(v) for v in sci.origin_original],  # (x, y), 0-based, in the source
        "positionCutout": [float(v) for v in sci.position_cutout],  # (x, y), 0-based
        "ra": params.ra,
        "dec": params.dec,
        "wcs": {k: v for k, v in sci.wcs.to_header(relax=True).items() if k != "DATE-OBS"},
    }
    return buffer.getvalue(), summary


@register
class Cutout(Algorithm):
    name = "cutout"
    version = "1.0"
    summary = "A rectangle around RA/Dec as FITS, with the SCI WCS shifted to match"
    Params = CutoutParams
    input = IMAGE_INPUT
    produces = (Produces("cutout", DataType.image, "fits", "The cutout (SCI, DQ) with its WCS"),)

    def run(self, inputs: AlgorithmInput) -> AlgorithmOutput:
        params = inputs.params
        assert isinstance(params, CutoutParams)
        content, summary = cut(
            inputs.path,
            params,
            name=inputs.record.file_name,
            max_pixels=inputs.limits.max_pixels,
            suffix=inputs.suffix,
        )
        inputs.progress(0.9, "cutout made")
        label = f"{params.ra:.5f}{params.dec:+.5f}"
        output = OutputFile(
            name=f"{inputs.stem}_cutout_{label}.fits",
            data_type=DataType.image,
            format="fits",
            description=(
                f"Cutout of {inputs.record.file_name} at RA {params.ra}, Dec {params.dec}, "
                f"{summary['width']}x{summary['height']} px"
            ),
            is_viewable=True,
            role="cutout",
            content=content,
            width=summary["width"],
            height=summary["height"],
            wcs=summary["wcs"],
        )
        results = {k: summary[k] for k in ("width", "height", "origin", "positionCutout")}
        return AlgorithmOutput(results=results, outputs=[output])
