"""Search requests and pages: the typed form of every search the product offers.

Every filter is a typed field; nothing from the caller is ever passed to MongoDB as an
operator. The API, the CLI, the library page and the client all build it from their parameters,
which are read from its fields (:mod:`jwstdata.models.search_params`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from jwstdata.models.base import CamelModel, ObjectIdField, UtcDatetime
from jwstdata.models.enums import DataType, ProcessingLevel, ProcessingStatus
from jwstdata.models.search_spelling import Spelled, Switch

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
_SKY_HELP = {
    "ra": "Cone centre RA: degrees or sexagesimal hours (10h07m01.75s, 10:07:01.75).",
    "dec": "Cone centre Dec: degrees or sexagesimal (-40d26m12.5s, -40:26:12.5).",
    "radius": "Cone radius: degrees or with a unit (0.5arcmin, 30arcsec, 0.01deg); "
    "omitted or 0: files covering the point.",
}


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


def _cli(*names: str, help: str | None = None, **extra: Any) -> Spelled:
    return Spelled(cli=names, cli_help=help, **extra)


class SearchQuery(CamelModel):
    """One search, declared once: the API's query parameters, the CLI's options, the
    library page's URL and the client's keywords are all read from these fields (see
    :mod:`jwstdata.models.search_params`); :class:`Spelled` names them where the default
    (the alias in a URL; ``--`` and the URL name in kebab case on the command line) is not
    what users write."""

    data_type: Annotated[list[DataType], _cli("--data-type", "-t")] = Field(default_factory=list)
    processing_status: Annotated[list[ProcessingStatus], _cli("--status")] = Field(
        default_factory=list
    )
    processing_level: Annotated[list[ProcessingLevel], _cli("--level")] = Field(
        default_factory=list
    )
    tags: Annotated[list[str], Spelled(url="tag", cli_help="Repeat for several tags.")] = Field(
        default_factory=list, max_length=32
    )
    tag_mode: Annotated[
        TagMode,
        Spelled(
            cli=None,
            switch=Switch(
                name="any_tag",
                url=None,
                cli="--any-tag",
                value=TagMode.any,
                description="Match any tag instead of all.",
            ),
        ),
    ] = TagMode.all
    observation_base_id: Annotated[str | None, _cli("--observation", help="observationBaseId")] = (
        Field(default=None, max_length=128)
    )
    exposure_id: Annotated[str | None, _cli("--exposure", help="exposureId")] = Field(
        default=None, max_length=64
    )
    parent_id: Annotated[ObjectIdField | None, _cli("--parent", help="parent record id")] = None
    instrument: list[str] = Field(default_factory=list, max_length=32)
    filter: list[str] = Field(default_factory=list, max_length=64)
    target_name: Annotated[str | None, _cli("--target", help="Target name prefix (any case).")] = (
        Field(default=None, max_length=256, description="prefix, any case")
    )
    proposal_id: Annotated[str | None, _cli("--proposal")] = Field(default=None, max_length=32)
    observation_date_from: Annotated[UtcDatetime | None, _cli("--observed-from")] = None
    observation_date_to: Annotated[UtcDatetime | None, _cli("--observed-to")] = None
    upload_date_from: Annotated[UtcDatetime | None, _cli("--uploaded-from")] = None
    upload_date_to: Annotated[UtcDatetime | None, _cli("--uploaded-to")] = None
    file_format: Annotated[list[str], _cli("--format")] = Field(default_factory=list, max_length=16)
    program: Annotated[list[str], Spelled(cli_help="Program (proposalId).")] = Field(
        default_factory=list, max_length=32, description="proposalId"
    )
    target: Annotated[
        list[str],
        _cli("--exact-target", help="Whole target name (any case); repeat for several."),
    ] = Field(default_factory=list, max_length=32, description="whole target name, any case")
    detector: Annotated[list[str], Spelled(cli_help="e.g. NRCA1, MIRIMAGE.")] = Field(
        default_factory=list, max_length=32
    )
    exposure_type: Annotated[list[str], Spelled(cli_help="EXP_TYPE.")] = Field(
        default_factory=list, max_length=32
    )
    is_public: Annotated[bool | None, _cli("--public/--private")] = None
    user_id: Annotated[ObjectIdField | None, _cli("--owner-id", help="userId of the owner")] = None
    is_archived: Annotated[
        bool | None,
        _cli(
            "--archived",
            help="Only archived records.",
            switch=Switch(
                name="include_archived",
                url="includeArchived",
                cli="--include-archived",
                value=None,
                description="archived and not",
            ),
        ),
    ] = Field(default=False, description="omit: not archived")
    is_derived: Annotated[
        bool | None,
        Spelled(
            url="derived",
            url_type=DerivedFilter,
            url_default=DerivedFilter.false,
            cli_help="Processing outputs (previews, thumbnails, ...): false (default), true, any.",
        ),
    ] = Field(
        default=False,
        description="processing outputs (previews, ...): false (default), true, any",
    )
    text: Annotated[str | None, Spelled(url="q", cli=("--text", "-q"))] = Field(
        default=None,
        max_length=256,
        description="Words in target, title, file name, filter, instrument or description; "
        "case, spaces, hyphens and underscores are ignored (NGC 3132 = ngc3132 = NGC-3132)",
    )
    sort: SortField = SortField.upload_date
    order: SortOrder = SortOrder.desc
    limit: Annotated[int, _cli("--limit", "-n")] = Field(
        default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE
    )
    cursor: str | None = Field(default=None, max_length=2048)
    # --- positional search (a cone; see ``_cone_complete``) ---------------------------
    ra: Annotated[float | None, Spelled(cli_help=_SKY_HELP["ra"])] = Field(
        default=None, ge=-360, le=360, description="cone centre RA, degrees (ICRS)"
    )
    dec: Annotated[float | None, Spelled(cli_help=_SKY_HELP["dec"])] = Field(
        default=None, ge=-90, le=90, description="cone centre Dec, degrees (ICRS)"
    )
    radius: Annotated[float | None, Spelled(cli_help=_SKY_HELP["radius"])] = Field(
        default=None,
        ge=0,
        le=180,
        description="cone radius, degrees; 0 or omitted: files covering the point (ra, dec)",
    )
    # The ids of the records whose footprint overlaps the cone, resolved by the repository
    # before the search runs (never from a caller; not part of the cursor's fingerprint).
    cone_ids: list[ObjectIdField] | None = Field(default=None, exclude=True)

    @field_validator("is_derived", mode="before")
    @classmethod
    def _derived_filter(cls, value: Any) -> Any:
        # The URL and the CLI say false / true / any (DerivedFilter); any is None.
        if isinstance(value, str) and value.strip().lower() in DerivedFilter.__members__:
            return DerivedFilter(value.strip().lower()).as_query()
        return value

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

    def without_facet(self, facet: FacetName) -> SearchQuery:
        """This query minus one facet's own filter (and its cursor), so that facet's counts
        show the alternatives too: the question every facet count answers."""
        return self.model_copy(update={FACET_FILTERS[facet]: [], "cursor": None})

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

# The SearchQuery attribute that filters on each facet (tags included).
FACET_FILTERS: dict[FacetName, str] = {**FACET_ATTRIBUTES, FacetName.tags: "tags"}

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
