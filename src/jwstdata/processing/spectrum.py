"""``spectrum``: wavelength range and flux statistics of a 1-D spectrum, and a PNG plot.

Reads the ``spectrum``-th EXTRACT1D table (COMBINE1D for c1d) of an x1d/x1dints/c1d file.
Points count when wavelength and flux are finite and the row's DQ has none of
``dqMaskBits`` (default DO_NOT_USE). The plot is drawn with matplotlib's object API on an Agg
canvas (no pyplot: no global figure state, safe in a worker thread).
"""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
from pydantic import Field

from jwstdata.models import DataType
from jwstdata.processing.data import DO_NOT_USE, SpectrumData, open_spectrum
from jwstdata.processing.registry import (
    SPECTRUM_INPUT,
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

PLOT_DPI = 100


class SpectrumParams(AlgorithmParams):
    spectrum: int = Field(default=1, ge=1, le=10_000, description="which spectrum table, 1-based")
    flux_column: Literal["FLUX", "SURF_BRIGHT"] = "FLUX"
    dq_mask_bits: int = Field(default=DO_NOT_USE, ge=-1, le=2**32 - 1)
    width: int = Field(default=1000, ge=200, le=4000, description="plot width, px")
    height: int = Field(default=500, ge=150, le=3000, description="plot height, px")
    log_flux: bool = False


def _valid(spectrum: SpectrumData, bits: int) -> np.ndarray:
    valid = np.isfinite(spectrum.wavelength) & np.isfinite(spectrum.flux)
    if spectrum.dq is not None and bits:
        valid &= (spectrum.dq.astype(np.int64) & bits) == 0
    return valid


def plot_png(
    wavelength: np.ndarray,
    flux: np.ndarray,
    *,
    title: str,
    x_label: str,
    y_label: str,
    params: SpectrumParams,
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(params.width / PLOT_DPI, params.height / PLOT_DPI), dpi=PLOT_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(wavelength, flux, linewidth=0.8, color="#1f4e79")
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.set_title(title, fontsize=9)
    if params.log_flux and np.any(flux > 0):
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PLOT_DPI)
    return buffer.getvalue()


@register
class Spectrum(Algorithm):
    name = "spectrum"
    version = "1.0"
    summary = "Wavelength range, flux statistics and a flux-vs-wavelength plot of an x1d"
    Params = SpectrumParams
    input = SPECTRUM_INPUT
    produces = (Produces("plot", DataType.image, "png", "flux vs wavelength plot"),)

    def run(self, inputs: AlgorithmInput) -> AlgorithmOutput:
        params = inputs.params
        assert isinstance(params, SpectrumParams)
        bits = (2**32 - 1) if params.dq_mask_bits == -1 else params.dq_mask_bits
        inputs.progress(0.05, "reading spectrum")
        with open_spectrum(
            inputs.path,
            max_pixels=inputs.limits.max_pixels,
            inflate=inputs.limits.inflate,
            index=params.spectrum,
            flux_column=params.flux_column,
        ) as spectrum:
            valid = _valid(spectrum, bits)
            wavelength = np.array(spectrum.wavelength[valid], dtype=np.float64)
            flux = np.array(spectrum.flux[valid], dtype=np.float64)
            order = np.argsort(wavelength, kind="stable")
            wavelength, flux = wavelength[order], flux[order]
            wave_unit, flux_unit = spectrum.wavelength_unit, spectrum.flux_unit
            results = {
                "extension": spectrum.extname,
                "spectrum": spectrum.index,
                "spectraAvailable": spectrum.available,
                "fluxColumn": spectrum.flux_column,
                "points": int(spectrum.flux.size),
                "validPoints": int(wavelength.size),
                "wavelengthUnit": wave_unit,
                "fluxUnit": flux_unit,
            }
        if wavelength.size == 0:
            raise ProcessingError(
                "the spectrum has no valid points (all NaN or flagged)", reason="no_valid_data"
            )
        results.update(
            {
                "wavelengthMin": wavelength[0],
                "wavelengthMax": wavelength[-1],
                "flux": {
                    "min": flux.min(),
                    "max": flux.max(),
                    "mean": flux.mean(),
                    "median": np.median(flux),
                    "std": flux.std(),
                },
            }
        )
        inputs.progress(0.5, "plotting")
        png = plot_png(
            wavelength,
            flux,
            title=inputs.record.file_name,
            x_label=f"Wavelength ({wave_unit})" if wave_unit else "Wavelength",
            y_label=f"{spectrum.flux_column} ({flux_unit})" if flux_unit else spectrum.flux_column,
            params=params,
        )
        output = OutputFile(
            name=f"{inputs.stem}_spectrum.png",
            data_type=DataType.image,
            format="png",
            description=f"Flux vs wavelength of {inputs.record.file_name}",
            is_viewable=True,
            role="plot",
            content=png,
            width=params.width,
            height=params.height,
        )
        return AlgorithmOutput(results=json_safe(results), outputs=[output])
