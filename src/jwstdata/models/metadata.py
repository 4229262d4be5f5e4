"""Metadata blocks attached to a record: image, sensor and spectral."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from jwstdata.models.base import CamelModel, UtcDatetime
from jwstdata.models.enums import WavelengthRange

CalibrationLevel = int  # documented range 0-4, enforced by Field(ge=0, le=4)


class ImageMetadata(CamelModel):
    target_name: str | None = Field(default=None, max_length=256, examples=["NGC-3132"])
    instrument: str | None = Field(default=None, max_length=64, examples=["NIRCAM"])
    filter: str | None = Field(default=None, max_length=128, examples=["F444W"])
    exposure_time: float | None = Field(default=None, ge=0, description="seconds")
    observation_date: UtcDatetime | None = None
    coordinate_system: str | None = Field(default=None, max_length=64, examples=["ICRS"])
    wcs: dict[str, Any] | None = None
    wavelength_range: WavelengthRange | None = None
    calibration_level: int | None = Field(default=None, ge=0, le=4)
    proposal_id: str | None = Field(default=None, max_length=32)
    proposal_pi: str | None = Field(default=None, max_length=256)
    observation_title: str | None = Field(default=None, max_length=1024)
    width: int | None = Field(default=None, ge=0)
    height: int | None = Field(default=None, ge=0)
    units: str | None = Field(default=None, max_length=64, examples=["MJy/sr"])


class SensorMetadata(CamelModel):
    instrument: str | None = Field(default=None, max_length=64)
    wavelength: float | None = Field(default=None, ge=0, description="micrometres")
    data_points: int | None = Field(default=None, ge=0)
    sampling_rate: float | None = Field(default=None, ge=0, description="Hz")
    integration_time: float | None = Field(default=None, ge=0, description="seconds")
    detector_type: str | None = Field(default=None, max_length=64)


class SpectralMetadata(CamelModel):
    instrument: str | None = Field(default=None, max_length=64)
    grating: str | None = Field(default=None, max_length=64)
    wavelength_start: float | None = Field(default=None, ge=0, description="micrometres")
    wavelength_end: float | None = Field(default=None, ge=0, description="micrometres")
    spectral_resolution: float | None = Field(default=None, ge=0)
    data_points: int | None = Field(default=None, ge=0)
    units: str | None = Field(default=None, max_length=64)
