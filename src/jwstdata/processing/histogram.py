"""``histogram``: bin edges and counts of the SCI values, for plotting.

Linear bins span ``rangeMin``..``rangeMax`` (default: the finite min and max). Log bins are
evenly spaced in log10 over the positive values (default range: smallest to largest positive
value); zero and negative values are counted in ``nonPositive``. Values are the finite,
unmasked pixels (DQ as in ``statistics``), so with the default range::

    sum(counts) + nonPositive == validCount
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from jwstdata.processing.data import DO_NOT_USE, open_image
from jwstdata.processing.registry import (
    IMAGE_INPUT,
    Algorithm,
    AlgorithmInput,
    AlgorithmOutput,
    AlgorithmParams,
    ProcessingError,
    json_safe,
    register,
)

MAX_BINS = 4096  # results live in the record document: keep them small


class HistogramParams(AlgorithmParams):
    bins: int = Field(default=256, ge=2, le=MAX_BINS)
    scale: Literal["linear", "log"] = "linear"
    range_min: float | None = None
    range_max: float | None = None
    dq_mask_bits: int = Field(default=DO_NOT_USE, ge=-1, le=2**32 - 1)

    @model_validator(mode="after")
    def _range(self) -> HistogramParams:
        low, high = self.range_min, self.range_max
        if low is not None and high is not None and low >= high:
            raise ValueError("rangeMin must be below rangeMax")
        if self.scale == "log" and any(v is not None and v <= 0 for v in (low, high)):
            raise ValueError("a log histogram needs a positive range")
        return self


def histogram(values: np.ndarray, params: HistogramParams) -> dict:
    """Edges, counts and the out-of-range tallies of 1-D finite ``values``."""
    result: dict = {"scale": params.scale, "validCount": int(values.size)}
    if params.scale == "log":
        positive = values > 0
        result["nonPositive"] = int(values.size - np.count_nonzero(positive))
        values = values[positive]
    if values.size == 0:
        raise ProcessingError("no values to bin in the requested scale", reason="no_valid_data")
    low = params.range_min if params.range_min is not None else float(values.min())
    high = params.range_max if params.range_max is not None else float(values.max())
    if high <= low:  # a constant image: one bin's width around the value
        high = low + (abs(low) * 1e-6 or 1.0)
    if params.scale == "log":
        log_values = np.log10(values, dtype=np.float64)
        counts, log_edges = np.histogram(
            log_values, bins=params.bins, range=(np.log10(low), np.log10(high))
        )
        edges = 10.0**log_edges
        inside_low, inside_high = np.log10(low), np.log10(high)
        below = int(np.count_nonzero(log_values < inside_low))
        above = int(np.count_nonzero(log_values > inside_high))
    else:
        counts, edges = np.histogram(values, bins=params.bins, range=(low, high))
        below = int(np.count_nonzero(values < low))
        above = int(np.count_nonzero(values > high))
    result.update(
        {
            "bins": params.bins,
            "rangeMin": low,
            "rangeMax": high,
            "edges": edges,
            "counts": counts,
            "belowRange": below,
            "aboveRange": above,
        }
    )
    return result


@register
class Histogram(Algorithm):
    name = "histogram"
    version = "1.0"
    summary = "Histogram of the SCI values (linear or log bins), for plotting"
    Params = HistogramParams
    input = IMAGE_INPUT
    produces = ()

    def run(self, inputs: AlgorithmInput) -> AlgorithmOutput:
        params = inputs.params
        assert isinstance(params, HistogramParams)
        bits = (2**32 - 1) if params.dq_mask_bits == -1 else params.dq_mask_bits
        inputs.progress(0.05, "reading image")
        with open_image(
            inputs.path,
            max_pixels=inputs.limits.max_pixels,
            inflate=inputs.limits.inflate,
        ) as image:
            values = np.asarray(image.sci[image.valid_mask(bits)])
            unit = image.header.get("BUNIT")
        if values.size == 0:
            raise ProcessingError(
                "no valid pixels: every value is NaN, inf or masked by DQ", reason="no_valid_data"
            )
        inputs.progress(0.5, "binning")
        results = histogram(values, params)
        results["unit"] = unit
        return AlgorithmOutput(results=json_safe(results), outputs=[])
