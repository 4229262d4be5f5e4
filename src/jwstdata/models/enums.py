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
    """Where a record stands with this platform's processing queue (the JWST pipeline stage
    of the file itself is ``processingLevel``). The status follows the record's jobs:

    - ``pending``: a processing job for the record is queued and waits for a worker;
    - ``processing``: a worker is running one now;
    - ``completed``: nothing is queued or running: the file as ingested, uploaded or
      imported (no job was queued for it), or its last run finished or was cancelled;
    - ``failed``: its last run failed (the error is in ``processingResults``).

    Ingest, upload and MAST import store ``completed`` unless they queue a job (the
    automatic preview), which makes it ``pending``. The dashboard reads these as "queued",
    "processing", "ready" and "failed".
    """

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


# Imaging options (processing/stretch, cutout, composite): here so that the CLI can offer
# them as choices without importing numpy and astropy.


class Combine(StrEnum):
    mean = "mean"
    sum = "sum"


class SizeUnit(StrEnum):
    arcsec = "arcsec"
    arcmin = "arcmin"
    pixel = "pixel"


class Interval(StrEnum):
    zscale = "zscale"
    percentile = "percentile"
    minmax = "minmax"


class Stretch(StrEnum):
    linear = "linear"
    sqrt = "sqrt"
    log = "log"
    asinh = "asinh"
