"""The body of ``POST /api/data/bulk``: typed and strict, so a wrong shape is a 422.

Strict strings: ``"abc"`` is not a list of tags, ``5`` is not a tag, ``null`` is not a
change and operator objects (``{"$set": ...}``) are not strings, so none reaches a query.
(Strictness is per field: FastAPI validates the parsed JSON as Python objects, where a
model-wide strict mode would refuse the status names as enum values.)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from jwstdata.models.base import CamelModel
from jwstdata.models.enums import ProcessingStatus
from jwstdata.models.record import MAX_TAGS

MAX_BULK_IDS = 1000

Tag = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1, max_length=64),
    Field(pattern=r"^[^$]"),
]


class BulkChanges(CamelModel):
    """What to change on every record: tags to add or remove and/or a processing status."""

    add_tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    remove_tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    processing_status: ProcessingStatus | None = None

    @model_validator(mode="after")
    def _something_to_do(self) -> BulkChanges:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give addTags, removeTags or processingStatus")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class BulkRequest(CamelModel):
    ids: list[Annotated[str, StringConstraints(strict=True, max_length=64)]] = Field(
        min_length=1, max_length=MAX_BULK_IDS
    )
    changes: BulkChanges = Field(
        examples=[{"addTags": ["review"], "processingStatus": "completed"}]
    )
