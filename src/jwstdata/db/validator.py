"""The server-side ``$jsonSchema`` validator for ``jwst_data``.

A second line of defence behind the pydantic models (which stay the source of truth:
every enum list below is read from :mod:`jwstdata.models.enums`). It catches writes that
bypass the models, e.g. a script with raw pymongo.
"""

from __future__ import annotations

from typing import Any

from jwstdata.models.enums import DataType, ProcessingLevel, ProcessingStatus, WavelengthRange
from jwstdata.models.sky import SkySource


def _values(enum: type) -> list[str]:
    return [member.value for member in enum]


def _nullable(*types: str) -> list[str]:
    return [*types, "null"]


def record_schema() -> dict[str, Any]:
    image_info = {
        "bsonType": _nullable("object"),
        "properties": {
            "calibrationLevel": {"bsonType": _nullable("int", "long"), "minimum": 0, "maximum": 4},
            "wavelengthRange": {"enum": [*_values(WavelengthRange), None]},
            "exposureTime": {"bsonType": _nullable("double", "int", "long"), "minimum": 0},
            "observationDate": {"bsonType": _nullable("date")},
            "width": {"bsonType": _nullable("int", "long"), "minimum": 0},
            "height": {"bsonType": _nullable("int", "long"), "minimum": 0},
        },
    }
    return {
        "$jsonSchema": {
            "bsonType": "object",
            "required": [
                "fileName",
                "dataType",
                "processingStatus",
                "processingLevel",
                "uploadDate",
                "isPublic",
                "version",
            ],
            "properties": {
                "fileName": {"bsonType": "string", "minLength": 1, "maxLength": 255},
                "filePath": {"bsonType": _nullable("string"), "maxLength": 1024},
                "fileSize": {"bsonType": _nullable("int", "long"), "minimum": 0},
                "dataType": {"enum": _values(DataType)},
                "processingStatus": {"enum": _values(ProcessingStatus)},
                "processingLevel": {"enum": _values(ProcessingLevel)},
                "uploadDate": {"bsonType": "date"},
                "tags": {"bsonType": "array", "items": {"bsonType": "string"}},
                "userId": {"bsonType": _nullable("objectId")},
                "parentId": {"bsonType": _nullable("objectId")},
                "derivedFrom": {"bsonType": "array", "items": {"bsonType": "objectId"}},
                "sharedWith": {"bsonType": "array", "items": {"bsonType": "objectId"}},
                "isPublic": {"bsonType": "bool"},
                "isViewable": {"bsonType": "bool"},
                "isArchived": {"bsonType": "bool"},
                "metadata": {"bsonType": "object"},
                "imageInfo": image_info,
                "checksum": {"bsonType": _nullable("string"), "pattern": "^[0-9a-f]{64}$"},
                "version": {"bsonType": ["int", "long"], "minimum": 1},
                "schemaVersion": {"bsonType": ["int", "long"], "minimum": 1},
                "sky": {
                    "bsonType": _nullable("object"),
                    "required": ["ra", "dec", "source"],
                    "properties": {
                        "ra": {"bsonType": ["double", "int", "long"], "minimum": 0, "maximum": 360},
                        "dec": {
                            "bsonType": ["double", "int", "long"],
                            "minimum": -90,
                            "maximum": 90,
                        },
                        "radius": {"bsonType": ["double", "int", "long"], "minimum": 0},
                        "footprint": {"bsonType": "array", "items": {"bsonType": "object"}},
                        "source": {"enum": _values(SkySource)},
                    },
                },
                "_skyCells": {"bsonType": "array", "items": {"bsonType": ["int", "long"]}},
            },
        }
    }


VALIDATORS: dict[str, dict[str, Any]] = {"jwst_data": record_schema()}
