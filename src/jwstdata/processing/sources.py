"""``sources``: background estimate and source detection, catalog saved as ECSV.

The background and its RMS come from :class:`photutils.background.Background2D` (sigma-clipped
median per box, median-filtered), with NaN/inf and DQ-flagged pixels masked. Sources are
found in the background-subtracted image at ``threshold`` x the median background RMS:

- ``daofind`` (default): :class:`photutils.detection.DAOStarFinder`, point sources of the given
  ``fwhm``; the right choice for stars.
- ``segmentation``: :class:`photutils.segmentation.SourceFinder` on the image smoothed by a
  Gaussian of ``fwhm`` (connected regions of at least ``npixels``, deblended), with centroids
  and fluxes from :class:`~photutils.segmentation.SourceCatalog`; also finds extended sources.

Catalog columns: ``id``, ``x``, ``y`` (0-based pixels, numpy/photutils convention: add 1 for
FITS pixels), ``flux`` (background-subtracted, in the image unit), ``peak``, ``ra``, ``dec``
(degrees, ICRS, from the SCI header's celestial WCS including SIP distortion; NaN when the
header has no celestial WCS). Rows are sorted by flux, brightest first, at most ``maxSources``.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, Literal

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from pydantic import Field

from jwstdata.models import DataType
from jwstdata.processing.data import DO_NOT_USE, open_image, select_plane
from jwstdata.processing.registry import (
    IMAGE_INPUT,
    Algorithm,
    AlgorithmInput,
    AlgorithmOutput,
    AlgorithmParams,
    InputSpec,
    OutputFile,
    ProcessingError,
    Produces,
    json_safe,
    register,
)

if TYPE_CHECKING:
    from astropy.table import Table
    from photutils.background import Background2D

BRIGHTEST_IN_RESULTS = 10
SOURCES_INPUT = InputSpec(
    kind="image",
    data_types=frozenset({DataType.image, DataType.sensor}),
    excluded_suffixes=IMAGE_INPUT.excluded_suffixes,
)


class SourcesParams(AlgorithmParams):
    method: Literal["daofind", "segmentation"] = "daofind"
    fwhm: float = Field(default=3.0, ge=0.5, le=50, description="pixels")
    threshold: float = Field(default=5.0, gt=0, le=1000, description="x background RMS")
    box_size: int = Field(default=64, ge=4, le=1024, description="background box, pixels")
    filter_size: int = Field(default=3, ge=1, le=15, description="background median filter")
    npixels: int = Field(default=5, ge=1, le=10_000, description="segmentation: minimum area")
    max_sources: int = Field(default=10_000, ge=1, le=1_000_000)
    plane: int | None = None
    dq_mask_bits: int = Field(default=DO_NOT_USE, ge=-1, le=2**32 - 1)


def _background(data: np.ndarray, mask: np.ndarray, params: SourcesParams) -> Background2D:
    from photutils.background import Background2D, MedianBackground

    box = max(2, min(params.box_size, *data.shape))
    size = params.filter_size if params.filter_size % 2 else params.filter_size + 1
    try:
        return Background2D(
            data,
            box,
            mask=mask,
            filter_size=size,
            bkg_estimator=MedianBackground(),
            exclude_percentile=50.0,
        )
    except ValueError as exc:
        raise ProcessingError(
            f"background estimate failed: {exc}", reason="algorithm_error"
        ) from None


def _column(table: Table, *names: str) -> np.ndarray:
    """A column under its current or older photutils name (x_centroid / xcentroid)."""
    for name in names:
        if name in table.colnames:
            return np.asarray(table[name], dtype=np.float64)
    raise KeyError(names[0])


def _daofind(
    work: np.ndarray, mask: np.ndarray, threshold: float, params: SourcesParams
) -> tuple[np.ndarray, ...]:
    from photutils.detection import DAOStarFinder

    found = DAOStarFinder(threshold=threshold, fwhm=params.fwhm)(work, mask=mask)
    if found is None or len(found) == 0:
        return (np.empty(0),) * 4
    return (
        _column(found, "x_centroid", "xcentroid"),
        _column(found, "y_centroid", "ycentroid"),
        _column(found, "flux"),
        _column(found, "peak"),
    )


def _segmentation(
    work: np.ndarray, mask: np.ndarray, threshold: float, params: SourcesParams
) -> tuple[np.ndarray, ...]:
    from photutils.segmentation import SourceCatalog, SourceFinder, make_2dgaussian_kernel
    from scipy.ndimage import convolve

    size = max(3, int(2 * round(1.5 * params.fwhm) + 1))
    kernel = make_2dgaussian_kernel(params.fwhm, size=size)
    smoothed = convolve(work, np.asarray(kernel.array, dtype=work.dtype), mode="constant")
    segments = SourceFinder(params.npixels, progress_bar=False)(smoothed, threshold, mask=mask)
    if segments is None:
        return (np.empty(0),) * 4
    catalog = SourceCatalog(work, segments, convolved_data=smoothed, mask=mask)
    centroids = np.asarray(catalog.centroid, dtype=np.float64).reshape(-1, 2)
    return (
        centroids[:, 0],
        centroids[:, 1],
        np.asarray(catalog.segment_flux, dtype=np.float64),
        np.asarray(catalog.max_value, dtype=np.float64),
    )


def sky_positions(
    header: fits.Header, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """(ra, dec) in degrees of 0-based pixel positions; NaN and False without a sky WCS."""
    from astropy.wcs import WCS

    nan = np.full(x.shape, np.nan)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            wcs = WCS(header).celestial
            if not wcs.has_celestial:
                return nan, nan.copy(), False
            if x.size == 0:
                return nan, nan.copy(), True
            ra, dec = wcs.pixel_to_world_values(x, y)
    except Exception:  # a header astropy cannot make a WCS of: positions stay pixel-only
        return nan, nan.copy(), False
    return np.asarray(ra, dtype=np.float64), np.asarray(dec, dtype=np.float64), True


def catalog_ecsv(columns: dict[str, np.ndarray], meta: dict, unit: str | None) -> bytes:
    from astropy.table import Table

    table = Table(columns, meta=meta)
    table["ra"].unit = table["dec"].unit = "deg"
    table["x"].unit = table["y"].unit = "pix"
    if unit:
        table["flux"].description = table["peak"].description = f"in {unit}"
    for name in ("x", "y"):
        table[name].info.format = ".4f"
    for name in ("ra", "dec"):
        table[name].info.format = ".8f"
    buffer = io.StringIO()
    table.write(buffer, format="ascii.ecsv")
    return buffer.getvalue().encode()


@register
class Sources(Algorithm):
    name = "sources"
    version = "1.0"
    summary = "Background (Background2D) and source detection (DAOStarFinder or segmentation)"
    Params = SourcesParams
    input = SOURCES_INPUT
    produces = (Produces("catalog", DataType.metadata, "ecsv", "source catalog"),)

    def run(self, inputs: AlgorithmInput) -> AlgorithmOutput:
        params = inputs.params
        assert isinstance(params, SourcesParams)
        bits = (2**32 - 1) if params.dq_mask_bits == -1 else params.dq_mask_bits
        inputs.progress(0.05, "reading image")
        with open_image(
            inputs.path,
            max_pixels=inputs.limits.max_pixels,
            inflate=inputs.limits.inflate,
        ) as image:
            data = np.array(  # a copy: usable after the file is closed
                select_plane(image.sci, plane=params.plane, suffix=inputs.suffix),
                dtype=np.float32,
            )
            valid = np.isfinite(data)
            if image.dq is not None and bits:
                dq = select_plane(image.dq, plane=params.plane, suffix=inputs.suffix)
                valid &= (dq & np.uint32(bits)) == 0
            header = image.header.copy()
        if not valid.any():
            raise ProcessingError("no valid pixels to search", reason="no_valid_data")
        mask = ~valid
        inputs.progress(0.2, "estimating background")
        background = _background(data, mask, params)
        rms = float(background.background_rms_median)
        threshold = params.threshold * rms
        work = np.where(valid, data - background.background, np.float32(0)).astype(np.float32)
        inputs.progress(0.5, f"detecting sources ({params.method})")
        finder = _daofind if params.method == "daofind" else _segmentation
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no sources found" and similar chatter
            x, y, flux, peak = finder(work, mask, threshold, params)
        detected = int(x.size)
        order = np.argsort(-np.nan_to_num(flux, nan=-np.inf), kind="stable")[: params.max_sources]
        x, y, flux, peak = x[order], y[order], flux[order], peak[order]
        inputs.progress(0.85, "sky positions")
        ra, dec, has_wcs = sky_positions(header, x, y)
        columns = {
            "id": np.arange(1, x.size + 1),
            "x": x,
            "y": y,
            "flux": flux,
            "peak": peak,
            "ra": ra,
            "dec": dec,
        }
        summary = {
            "method": params.method,
            "count": int(x.size),
            "detected": detected,
            "truncated": detected > x.size,
            "background": {"median": float(background.background_median), "rms": rms},
            "threshold": threshold,
            "hasWcs": has_wcs,
            "imageShape": list(data.shape),
            "unit": header.get("BUNIT"),
        }
        meta = {
            "source_file": inputs.record.file_name,
            "algorithm": f"{self.name} {self.version}",
            "parameters": params.to_json(),
            "pixel_origin": 0,
            **json_safe(summary),
        }
        catalog = catalog_ecsv(columns, meta, header.get("BUNIT"))
        brightest = [
            {name: columns[name][i] for name in ("x", "y", "flux", "ra", "dec")}
            for i in range(min(BRIGHTEST_IN_RESULTS, x.size))
        ]
        output = OutputFile(
            name=f"{inputs.stem}_sources.ecsv",
            data_type=DataType.metadata,
            format="ecsv",
            description=f"{x.size} sources found in {inputs.record.file_name} ({params.method})",
            is_viewable=False,
            role="catalog",
            content=catalog,
        )
        return AlgorithmOutput(
            results=json_safe({**summary, "brightest": brightest}), outputs=[output]
        )
