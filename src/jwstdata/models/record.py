"""``JwstDataModel``: the main entity, one document per file in ``jwst_data``."""

from __future__ import annotations

import re
from typing import Any

from bson import ObjectId
from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from jwstdata.keys import key_problem
from jwstdata.models.base import CamelModel, ObjectIdField, UtcDatetime, utcnow
from jwstdata.models.enums import DataType, ProcessingLevel, ProcessingStatus
from jwstdata.models.metadata import ImageMetadata, SensorMetadata, SpectralMetadata
from jwstdata.models.results import ProcessingResult
from jwstdata.models.sky import SkyFootprint

SCHEMA_VERSION = 2  # 2: ``sky`` (footprint) and its HEALPix cells
MAX_TAGS = 64
_FORMAT = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)?$")
_CHECKSUM = re.compile(r"^[0-9a-f]{64}$")


def _check_metadata_keys(value: Any, path: str = "metadata") -> None:
    """MongoDB field names may not start with '$' or contain '.' (this also blocks operators)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if (
                not isinstance(key, str)
                or not key
                or key.startswith("$")
                or "." in key
                or "\x00" in key
            ):
                raise ValueError(f"{path}: invalid key {key!r} (no '$' prefix, '.' or NUL)")
            _check_metadata_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            _check_metadata_keys(item, path)


class JwstDataModel(CamelModel):
    """A JWST data record. Field names in MongoDB/JSON are the camelCase aliases."""

    # Stored documents may carry internal fields (e.g. search keys); ignore them on load.
    model_config = ConfigDict(extra="ignore")

    # --- core -------------------------------------------------------------------------
    id: ObjectIdField | None = Field(default=None, alias="id")
    file_name: str = Field(min_length=1, max_length=255)
    file_path: str | None = Field(default=None, description="Relative storage key")
    file_size: int | None = Field(default=None, ge=0)
    file_format: str | None = Field(default=None, max_length=16, examples=["fits", "fits.gz"])
    data_type: DataType
    processing_status: ProcessingStatus = ProcessingStatus.pending
    upload_date: UtcDatetime = Field(default_factory=utcnow)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    description: str | None = Field(default=None, max_length=4096)
    checksum: str | None = Field(default=None, description="sha256, lower-case hex")
    file_missing: bool = Field(
        default=False,
        description="Set by `jwstdata storage verify --repair` when the file at filePath is "
        "gone (the record is kept); cleared when a later repair finds it again or a re-ingest "
        "stores it. Storage migration skips such records instead of failing on them.",
    )

    # --- lineage ----------------------------------------------------------------------
    processing_level: ProcessingLevel = ProcessingLevel.unknown
    observation_base_id: str | None = Field(default=None, max_length=128)
    exposure_id: str | None = Field(default=None, max_length=64)
    parent_id: ObjectIdField | None = None
    derived_from: list[ObjectIdField] = Field(default_factory=list)
    is_derived: bool = Field(
        default=False,
        description="Set by the system on processing outputs (previews, thumbnails, spectrum "
        "plots, source lists): default searches, facets and counts leave them out; they are "
        "shown with their source.",
    )

    # --- access control ---------------------------------------------------------------
    user_id: ObjectIdField | None = None
    # Strict: "yes", 1 or "false" from a client is an error, never a guess at visibility.
    is_public: StrictBool = False
    shared_with: list[ObjectIdField] = Field(default_factory=list)

    # --- MAST import and viewing ------------------------------------------------------
    metadata: dict[str, Any] = Field(default_factory=dict)
    is_viewable: bool = False

    # --- typed metadata and results ---------------------------------------------------
    image_info: ImageMetadata | None = None
    sensor_info: SensorMetadata | None = None
    spectral_info: SpectralMetadata | None = None
    processing_results: list[ProcessingResult] = Field(default_factory=list)
    sky: SkyFootprint | None = Field(
        default=None,
        description="Where the file looks on the sky (ICRS degrees): from S_REGION, else "
        "the SCI WCS and image size, else TARG_RA/TARG_DEC as a point. Derived from the "
        "record's metadata on every write.",
    )

    # --- bookkeeping ------------------------------------------------------------------
    created_at: UtcDatetime = Field(default_factory=utcnow)
    updated_at: UtcDatetime = Field(default_factory=utcnow)
    is_archived: bool = False
    archived_date: UtcDatetime | None = None
    archived_from: str | None = Field(
        default=None,
        description="The storage key an archived file came from, recorded by the system "
        "(never by a client): unarchive restores the file there and nowhere else.",
    )
    version: int = Field(default=1, ge=1, description="Optimistic-concurrency counter")
    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)

    @field_validator("file_name")
    @classmethod
    def _file_name_is_a_name(cls, value: str) -> str:
        if "/" in value or "\\" in value or "\x00" in value or value in (".", ".."):
            raise ValueError("must be a file name, not a path")
        return value

    @field_validator("file_path")
    @classmethod
    def _file_path_is_a_key(cls, value: str | None) -> str | None:
        if value is not None and (problem := key_problem(value)):
            raise ValueError(f"must be a relative storage key: {problem}")
        return value

    @field_validator("file_format")
    @classmethod
    def _format_lower(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.lower().lstrip(".")
        if not _FORMAT.match(value):
            raise ValueError("must look like 'fits' or 'fits.gz'")
        return value

    @field_validator("checksum")
    @classmethod
    def _checksum_hex(cls, value: str | None) -> str | None:
        if value is not None and not _CHECKSUM.match(value):
            raise ValueError("must be a sha256 hex digest (64 lower-case hex characters)")
        return value

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: list[str]) -> list[str]:
        cleaned: list[str] = []
        for tag in value:
            tag = tag.strip()
            if not tag or len(tag) > 64 or tag.startswith("$"):
                raise ValueError(f"invalid tag {tag!r} (1-64 characters, not starting with '$')")
            if tag not in cleaned:
                cleaned.append(tag)
        return cleaned

    @field_validator("metadata")
    @classmethod
    def _metadata_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_metadata_keys(value)
        return value

    @model_validator(mode="after")
    def _archived_has_date(self) -> JwstDataModel:
        if not self.is_archived and self.archived_date is not None:
            raise ValueError("archivedDate is set but isArchived is false")
        return self

    # --- MongoDB mapping ----------------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        """The BSON-ready document: ``_id`` instead of ``id``, camelCase keys."""
        doc = self.model_dump(by_alias=True, exclude={"id"})
        if self.id is not None:
            doc = {"_id": self.id, **doc}
        return doc

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> JwstDataModel:
        data = dict(doc)
        if "_id" in data:
            data["id"] = data.pop("_id")
        return cls.model_validate(data)

    def to_json(self) -> dict[str, Any]:
        """The API/CLI form: camelCase, ids as strings, ISO-8601 UTC dates."""
        return self.model_dump(mode="json", by_alias=True)

    @property
    def object_id(self) -> ObjectId:
        if self.id is None:
            raise ValueError("record has no id yet")
        return self.id
