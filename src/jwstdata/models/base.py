"""Shared pydantic building blocks: camelCase aliases, ObjectId and UTC datetime types.

Stored documents and JSON use camelCase (the seed's names); Python uses snake_case.
``model_dump(by_alias=True)`` gives a MongoDB document (ObjectId, datetime);
``model_dump(mode="json", by_alias=True)`` gives the API form (ids as strings, ISO dates).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, WithJsonSchema
from pydantic.alias_generators import to_camel


def _to_object_id(value: Any) -> ObjectId:
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str) and ObjectId.is_valid(value):
        return ObjectId(value)
    raise ValueError("must be a 24-character hexadecimal id")


def _to_utc(value: Any) -> datetime:
    """Aware UTC, truncated to milliseconds: exactly what BSON can hold."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise ValueError("must be a date-time")
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date-time out of range") from None
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


ObjectIdField = Annotated[
    ObjectId,
    PlainValidator(_to_object_id),
    PlainSerializer(lambda v: str(v), when_used="json"),
    WithJsonSchema({"type": "string", "pattern": "^[0-9a-f]{24}$"}),
]

UtcDatetime = Annotated[
    datetime,
    PlainValidator(_to_utc),
    PlainSerializer(lambda v: v.isoformat().replace("+00:00", "Z"), when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def utcnow() -> datetime:
    return _to_utc(datetime.now(UTC))


def parse_object_id(value: str) -> ObjectId | None:
    """An ObjectId from user text, or None when it is not one (callers answer not-found)."""
    return ObjectId(value) if isinstance(value, str) and ObjectId.is_valid(value) else None


class CamelModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        validate_assignment=True,
        arbitrary_types_allowed=True,
        extra="forbid",
        use_enum_values=False,
    )
