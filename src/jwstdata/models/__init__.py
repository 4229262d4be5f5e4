"""Pydantic v2 models: the single source of truth for fields, enums and validation."""

from jwstdata.models.access import AccessContext
from jwstdata.models.base import CamelModel, ObjectIdField, UtcDatetime, parse_object_id, utcnow
from jwstdata.models.enums import (
    LEVEL_ORDER,
    DataType,
    ProcessingLevel,
    ProcessingStatus,
    ResultStatus,
    WavelengthRange,
)
from jwstdata.models.metadata import ImageMetadata, SensorMetadata, SpectralMetadata
from jwstdata.models.record import SCHEMA_VERSION, JwstDataModel
from jwstdata.models.results import ProcessingResult
from jwstdata.models.sky import SkyFootprint, SkySource

__all__ = [
    "LEVEL_ORDER",
    "SCHEMA_VERSION",
    "AccessContext",
    "CamelModel",
    "DataType",
    "ImageMetadata",
    "JwstDataModel",
    "ObjectIdField",
    "ProcessingLevel",
    "ProcessingResult",
    "ProcessingStatus",
    "ResultStatus",
    "SensorMetadata",
    "SkyFootprint",
    "SkySource",
    "SpectralMetadata",
    "UtcDatetime",
    "WavelengthRange",
    "parse_object_id",
    "utcnow",
]
