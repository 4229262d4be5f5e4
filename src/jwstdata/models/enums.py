"""Enumerations exactly as the data-model specification lists them."""

from __future__ import annotations

from enum import StrEnum


class DataType(StrEnum):
    image = "image"
    sensor = "sensor"
    spectral = "spectral"
    metadata = "metadata"
    calibration = "calibration"
    raw = "raw"


class ProcessingStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    completed = "completed"
    failed = "failed"


class ProcessingLevel(StrEnum):
    L1 = "L1"
    L2a = "L2a"
    L2b = "L2b"
    L3 = "L3"
    unknown = "unknown"


# Pipeline order; ``unknown`` sorts last.
LEVEL_ORDER: dict[ProcessingLevel, int] = {
    ProcessingLevel.L1: 0,
    ProcessingLevel.L2a: 1,
    ProcessingLevel.L2b: 2,
    ProcessingLevel.L3: 3,
    ProcessingLevel.unknown: 4,
}


class WavelengthRange(StrEnum):
    INFRARED = "INFRARED"
    OPTICAL = "OPTICAL"
    UV = "UV"


class ResultStatus(StrEnum):
    completed = "completed"
    failed = "failed"


class StorageKind(StrEnum):
    """Where the files live (``JWSTDATA_STORAGE``)."""

    local = "local"
    s3 = "s3"
