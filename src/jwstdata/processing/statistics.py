"""``statistics``: summary numbers of the SCI array (every plane of a cube), DQ-aware.

Counts are over all pixels: ``nanCount``/``infCount`` whatever their DQ, ``maskedCount``
the finite pixels excluded by DQ. Every other number is over the *valid* pixels: finite and
with none of ``dqMaskBits`` set (default: DO_NOT_USE, the bit the JWST pipeline sets on
pixels that must not be used; ``-1`` would exclude any flag, 0 ignores DQ).
Means and standard deviations accumulate in float64; ``sigmaClipped`` is
:func:`astropy.stats.sigma_clipped_stats` over the valid pixels.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

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

DEFAULT_PERCENTILES = (0.5, 1.0, 5.0, 25.0, 75.0, 95.0, 99.0, 99.5)


class StatisticsParams(AlgorithmParams):
    percentiles: list[float] = Field(default=list(DEFAULT_PERCENTILES), max_length=32)
    sigma: float = Field(default=3.0, gt=0, le=100, description="sigma-clipping threshold")
    maxiters: int = Field(default=5, ge=1, le=100, description="sigma-clipping iterations")
    dq_mask_bits: int = Field(
        default=DO_NOT_USE, ge=-1, le=2**32 - 1, description="DQ bits that exclude a pixel"
    )

    @field_validator("percentiles")
    @classmethod
    def _in_range(cls, values: list[float]) -> list[float]:
        if any(not 0 <= v <= 100 for v in values):
            raise ValueError("percentiles must be between 0 and 100")
        return sorted(set(values))


def summarise(values: np.ndarray, params: StatisticsParams) -> dict:
    """Statistics of a 1-D array of valid (finite, unmasked) values."""
    from astropy.stats import sigma_clipped_stats

    percentiles = np.percentile(values, params.percentiles) if params.percentiles else []
    clipped_mean, clipped_median, clipped_std = sigma_clipped_stats(
        values, sigma=params.sigma, maxiters=params.maxiters
    )
    return {
        "min": values.min(),
        "max": values.max(),
        "mean": values.mean(dtype=np.float64),
        "median": np.median(values),
        "std": values.std(dtype=np.float64),
        "percentiles": [
            {"q": q, "value": v} for q, v in zip(params.percentiles, percentiles, strict=True)
        ],
        "sigmaClipped": {
            "mean": clipped_mean,
            "median": clipped_median,
            "std": clipped_std,
            "sigma": params.sigma,
            "maxiters": params.maxiters,
        },
    }


@register
class Statistics(Algorithm):
    name = "statistics"
    version = "1.0"
    summary = "Min, max, mean, median, std, percentiles, NaN/inf counts, sigma-clipped stats"
    Params = StatisticsParams
    input = IMAGE_INPUT
    produces = ()

    def run(self, inputs: AlgorithmInput) -> AlgorithmOutput:
        params = inputs.params
        assert isinstance(params, StatisticsParams)
        bits = (2**32 - 1) if params.dq_mask_bits == -1 else params.dq_mask_bits
        inputs.progress(0.05, "reading image")
        with open_image(
            inputs.path,
            max_pixels=inputs.limits.max_pixels,
            inflate=inputs.limits.inflate,
        ) as image:
            sci = image.sci
            nan_count = int(np.count_nonzero(np.isnan(sci)))
            inf_count = int(np.count_nonzero(np.isinf(sci)))
            inputs.progress(0.3, "masking")
            valid = image.valid_mask(bits)
            values = np.asarray(sci[valid])
            finite = sci.size - nan_count - inf_count
            results = {
                "extension": image.info.extname,
                "shape": list(image.info.shape),
                "dtype": str(sci.dtype.newbyteorder("=")),
                "unit": image.header.get("BUNIT"),
                "count": int(sci.size),
                "validCount": int(values.size),
                "nanCount": nan_count,
                "infCount": inf_count,
                "maskedCount": finite - int(values.size),
                "dqUsed": image.dq is not None and bits != 0,
                "dqMaskBits": bits,
            }
            if image.dq_note:
                results["dqNote"] = image.dq_note
        if values.size == 0:
            raise ProcessingError(
                "no valid pixels: every value is NaN, inf or masked by DQ", reason="no_valid_data"
            )
        inputs.progress(0.5, "computing statistics")
        results.update(summarise(values, params))
        return AlgorithmOutput(results=json_safe(results), outputs=[])
