"""Search requests and pages: the typed form of every search the product offers.

Every filter is a typed field; nothing from the caller is ever passed to MongoDB as an
operator. The API builds this from query parameters and the CLI from options.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from jwstdata.models.base import CamelModel, ObjectIdField, UtcDatetime
from jwstdata.models.enums import DataType, ProcessingLevel, ProcessingStatus

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50


class SortField(StrEnum):
    upload_date = "uploadDate"
    observation_date = "observationDate"
    file_name = "fileName"
    file_size = "fileSize"


class SortOrder(StrEnum):
    asc = "asc"
    desc = "desc"


class TagMode(StrEnum):
    all = "all"
    any = "any"


class DerivedFilter(StrEnum):
    """Whether a search lists processing outputs: not (default), only them, or both."""

    false = "false"
    true = "true"
    any = "any"

    def as_query(self) -> bool | None:
        return {"false": False, "true": True, "any": None}[self.value]


class SearchQuery(CamelModel):
    data_type: list[DataType] = Field(default_factory=list)
    processing_status: list[ProcessingStatus] = Field(default_factory=list)
    processing_level: list[ProcessingLevel] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, max_length=32)
    tag_mode: TagMode = TagMode.all
    observation_base_id: str | None = Field(default=None, max_length=128)
    exposure_id: str | None = Field(default=None, max_length=64)
    parent_id: ObjectIdField | None = None
    instrument: list[str] = Field(default_factory=list, max_length=32)
    filter: list[str] = Field(default_factory=list, max_length=64)
    target_name: str | None = Field(default=None, max_length=256, description="prefix, any case")
    proposal_id: str | None = Field(default=None, max_length=32)
    observation_date_from: UtcDatetime | None = None
    observation_date_to: UtcDatetime | None = None
    upload_date_from: UtcDatetime | None = None
    upload_date_to: UtcDatetime | None = None
    file_format: list[str] = Field(default_factory=list, max_length=16)
    program: list[str] = Field(default_factory=list, max_length=32, description="proposalId")
    target: list[str] = Field(
        default_factory=list, max_length=32, description="whole target names, any case"
    )
    detector: list[str] = Field(default_factory=list, max_length=32)
    exposure_type: list[str] = Field(default_factory=list, max_length=32)
    is_public: bool | None = None
    user_id: ObjectIdField | None = None
    is_archived: bool | None = Field(default=False, description="None = archived and not")
    is_derived: bool | None = Field(
        default=False,
        description="processing outputs (previews, thumbnails, ...): False = without them "
        "(the default), True = only them, None = both",
    )
    text: str | None = Field(
        default=None,
        max_length=256,
        description="words in target, title, file name, filter, instrument, description "
        "(case, spaces, hyphens and underscores ignored)",
    )
    sort: SortField = SortField.upload_date
    order: SortOrder = SortOrder.desc
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(default=None, max_length=2048)
    # --- positional search (a cone; see ``_cone_complete``) ---------------------------
    ra: float | None = Field(default=None, ge=-360, le=360, description="cone centre, degrees")
    dec: float | None = Field(default=None, ge=-90, le=90, description="cone centre, degrees")
    radius: float | None = Field(default=None, ge=0, le=180, description="degrees; 0 = a point")
    # The ids of the records whose footprint overlaps the cone, resolved by the repository
    # before the search runs (never from a caller; not part of the cursor's fingerprint).
    cone_ids: list[ObjectIdField] | None = Field(default=None, exclude=True)

    @field_validator("instrument", "filter", "detector", "exposure_type")
    @classmethod
    def _upper(cls, values: list[str]) -> list[str]:
        return [v.strip().upper() for v in values if v.strip()]

    @field_validator("program")
    @classmethod
    def _program_number(cls, values: list[str]) -> list[str]:
        # Stored as MAST writes it ("2733"); headers and file names write "02733".
        return [v.strip().lstrip("0") or "0" for v in values if v.strip()]

    @field_validator("target")
    @classmethod
    def _target_key(cls, values: list[str]) -> list[str]:
        return [v.strip().casefold() for v in values if v.strip()]

    @field_validator("file_format")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [v.strip().lower().lstrip(".") for v in values if v.strip()]

    @field_validator("tags")
    @classmethod
    def _strip_tags(cls, values: list[str]) -> list[str]:
        return [v.strip() for v in values if v.strip()]

    @field_validator("text", "target_name", "observation_base_id", "exposure_id", "proposal_id")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _ranges_ordered(self) -> SearchQuery:
        for start, end, name in (
            (self.observation_date_from, self.observation_date_to, "observationDate"),
            (self.upload_date_from, self.upload_date_to, "uploadDate"),
        ):
            if start is not None and end is not None and start > end:
                raise ValueError(f"{name}From is after {name}To")
        return self

    @model_validator(mode="after")
    def _cone_complete(self) -> SearchQuery:
        given = [n for n in ("ra", "dec", "radius") if getattr(self, n) is not None]
        if given and not {"ra", "dec"} <= set(given):
            raise ValueError("a positional search needs ra and dec (and optionally radius)")
        return self

    @field_validator("ra")
    @classmethod
    def _ra_wraps(cls, value: float | None) -> float | None:
        if value is None:
            return None
        value %= 360.0
        return 0.0 if value >= 360.0 else value

    @property
    def has_cone(self) -> bool:
        return self.ra is not None and self.dec is not None

    @property
    def cone_radius(self) -> float:
        return self.radius or 0.0

    def filter_fingerprint(self) -> dict[str, Any]:
        """The filter part only (no paging), used to bind a cursor to its search."""
        return self.model_dump(mode="json", exclude={"limit", "cursor"}, by_alias=True)


class FacetName(StrEnum):
    data_type = "dataType"
    instrument = "instrument"
    filter = "filter"
    processing_level = "processingLevel"
    processing_status = "processingStatus"
    program = "program"
    target = "target"
    detector = "detector"
    exposure_type = "exposureType"
    tags = "tags"


# The SearchQuery attribute that filters on each facet whose values are disjoint (a record
# has one value): a total filtered on one of them is a sum of counters. Tags are not: a
# record has several, and the ``tags``/``tagMode`` filter says how they combine.
FACET_ATTRIBUTES: dict[FacetName, str] = {
    FacetName.data_type: "data_type",
    FacetName.instrument: "instrument",
    FacetName.filter: "filter",
    FacetName.processing_level: "processing_level",
    FacetName.processing_status: "processing_status",
    FacetName.program: "program",
    FacetName.target: "target",
    FacetName.detector: "detector",
    FacetName.exposure_type: "exposure_type",
}

# Stored path of each facet. ``target`` counts the normalised target name (the search key,
# so "NGC 3132" and "ngc 3132" are one value); detector and exposure type are the derived
# keys ``_norm`` keeps beside the record (from the headers, else the file name).
FACET_FIELDS: dict[FacetName, str] = {
    FacetName.data_type: "dataType",
    FacetName.instrument: "imageInfo.instrument",
    FacetName.filter: "imageInfo.filter",
    FacetName.processing_level: "processingLevel",
    FacetName.processing_status: "processingStatus",
    FacetName.program: "imageInfo.proposalId",
    FacetName.target: "_norm.targetName",
    FacetName.detector: "_norm.detector",
    FacetName.exposure_type: "_norm.exposureType",
    FacetName.tags: "tags",
}
# Facets whose stored value is a list: grouped per element.
LIST_FACETS = frozenset({FacetName.tags})
