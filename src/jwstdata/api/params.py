"""Typed query parameters for searches: no caller-supplied MongoDB operators, ever."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator
from pydantic import ValidationError as PydanticValidationError

from jwstdata.errors import pydantic_to_validation_error
from jwstdata.models import DataType, ProcessingLevel, ProcessingStatus
from jwstdata.models.search import (
    MAX_PAGE_SIZE,
    DerivedFilter,
    SearchQuery,
    SortField,
    SortOrder,
    TagMode,
)


def _form_bool(value: object) -> bool:
    """Only "true" or "false" (any case): a form flag is never guessed from "yes" or "1"."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in ("true", "false"):
        raise ValueError("must be true or false")
    return text == "true"


FormBool = Annotated[bool, BeforeValidator(_form_bool)]


def search_query(
    q: Annotated[
        str | None,
        Query(
            max_length=256,
            description="Words in target, title, file name, filter, instrument or description; "
            "case, spaces, hyphens and underscores are ignored (NGC 3132 = ngc3132 = NGC-3132)",
        ),
    ] = None,
    data_type: Annotated[list[DataType], Query(alias="dataType")] = [],  # noqa: B006
    processing_status: Annotated[list[ProcessingStatus], Query(alias="processingStatus")] = [],  # noqa: B006
    processing_level: Annotated[list[ProcessingLevel], Query(alias="processingLevel")] = [],  # noqa: B006
    tags: Annotated[list[str], Query(alias="tag", max_length=32)] = [],  # noqa: B006
    tag_mode: Annotated[TagMode, Query(alias="tagMode")] = TagMode.all,
    observation_base_id: Annotated[
        str | None, Query(alias="observationBaseId", max_length=128)
    ] = None,
    exposure_id: Annotated[str | None, Query(alias="exposureId", max_length=64)] = None,
    parent_id: Annotated[str | None, Query(alias="parentId", pattern="^[0-9a-f]{24}$")] = None,
    instrument: Annotated[list[str], Query(max_length=32)] = [],  # noqa: B006
    filter_: Annotated[list[str], Query(alias="filter", max_length=64)] = [],  # noqa: B006
    target_name: Annotated[str | None, Query(alias="targetName", max_length=256)] = None,
    proposal_id: Annotated[str | None, Query(alias="proposalId", max_length=32)] = None,
    observation_date_from: Annotated[datetime | None, Query(alias="observationDateFrom")] = None,
    observation_date_to: Annotated[datetime | None, Query(alias="observationDateTo")] = None,
    upload_date_from: Annotated[datetime | None, Query(alias="uploadDateFrom")] = None,
    upload_date_to: Annotated[datetime | None, Query(alias="uploadDateTo")] = None,
    file_format: Annotated[list[str], Query(alias="fileFormat", max_length=16)] = [],  # noqa: B006
    program: Annotated[list[str], Query(max_length=32, description="proposalId")] = [],  # noqa: B006
    target: Annotated[
        list[str], Query(max_length=32, description="whole target name, any case")
    ] = [],  # noqa: B006
    detector: Annotated[list[str], Query(max_length=32)] = [],  # noqa: B006
    exposure_type: Annotated[list[str], Query(alias="exposureType", max_length=32)] = [],  # noqa: B006
    is_public: Annotated[bool | None, Query(alias="isPublic")] = None,
    user_id: Annotated[str | None, Query(alias="userId", pattern="^[0-9a-f]{24}$")] = None,
    is_archived: Annotated[
        bool | None, Query(alias="isArchived", description="omit: not archived")
    ] = False,
    include_archived: Annotated[bool, Query(alias="includeArchived")] = False,
    derived: Annotated[
        DerivedFilter,
        Query(description="processing outputs (previews, ...): false (default), true, any"),
    ] = DerivedFilter.false,
    sort: SortField = SortField.upload_date,
    order: SortOrder = SortOrder.desc,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    ra: Annotated[
        float | None, Query(ge=-360, le=360, description="cone centre RA, degrees (ICRS)")
    ] = None,
    dec: Annotated[
        float | None, Query(ge=-90, le=90, description="cone centre Dec, degrees (ICRS)")
    ] = None,
    radius: Annotated[
        float | None,
        Query(
            ge=0,
            le=180,
            description="cone radius, degrees; 0 or omitted: files covering the point (ra, dec)",
        ),
    ] = None,
) -> SearchQuery:
    try:
        return SearchQuery(
            text=q,
            data_type=data_type,
            processing_status=processing_status,
            processing_level=processing_level,
            tags=tags,
            tag_mode=tag_mode,
            observation_base_id=observation_base_id,
            exposure_id=exposure_id,
            parent_id=parent_id,
            instrument=instrument,
            filter=filter_,
            target_name=target_name,
            proposal_id=proposal_id,
            observation_date_from=observation_date_from,
            observation_date_to=observation_date_to,
            upload_date_from=upload_date_from,
            upload_date_to=upload_date_to,
            file_format=file_format,
            program=program,
            target=target,
            detector=detector,
            exposure_type=exposure_type,
            is_public=is_public,
            user_id=user_id,
            is_archived=None if include_archived else is_archived,
            is_derived=derived.as_query(),
            sort=sort,
            order=order,
            limit=limit,
            cursor=cursor,
            ra=ra,
            dec=dec,
            radius=radius,
        )
    except PydanticValidationError as exc:
        raise pydantic_to_validation_error(exc) from None
