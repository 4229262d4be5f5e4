"""Rows of MAST answers as pydantic models, keyed by MAST's own column names.

Attributes are snake_case; ``model_dump(by_alias=True)`` (or :meth:`MastRow.to_row`) gives the
row back with MAST's names (``dataRights``, ``productFilename``...). Columns this module does not
name are kept as extras, so nothing MAST sends is lost; the portal's ``_selected_`` column is
dropped (it is a user-interface checkbox, never data).

Two MAST quirks are smoothed here: ``obsid``/``obsID`` and ``proposal_id`` arrive as numbers or
strings depending on the service, and are always strings here; missing values are ``None``.
Times (``t_min``, ``t_max``, ``t_obs_release``) stay MJD floats as MAST sends them;
:func:`mjd_from_datetime` and :func:`datetime_from_mjd` convert.

>>> row = ProductRow.model_validate({"obsID": 87602795, "productFilename": "a_cal.fits",
...     "dataURI": "mast:JWST/product/a_cal.fits", "productType": "SCIENCE", "extra": 1})
>>> row.obsid, row.to_row()["extra"]
('87602795', 1)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from jwstdata.naming import NameKind, ParsedName, parse_name

MJD_EPOCH = datetime(1858, 11, 17, tzinfo=UTC)
PUBLIC = "PUBLIC"
EXCLUSIVE_ACCESS = "EXCLUSIVE_ACCESS"
MINIMUM_RECOMMENDED = "Minimum Recommended Products"


def mjd_from_datetime(when: datetime) -> float:
    """UTC datetime (naive means UTC) to Modified Julian Date."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - MJD_EPOCH) / timedelta(days=1)


def datetime_from_mjd(mjd: float) -> datetime:
    return MJD_EPOCH + timedelta(days=mjd)


def mjd_now() -> float:
    return mjd_from_datetime(datetime.now(UTC))


def _as_text(value: Any) -> Any:
    """Identifiers MAST sends as numbers in one service and strings in another."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class MastRow(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_selection_column(cls, data: Any) -> Any:
        if isinstance(data, dict) and "_selected_" in data:
            data = {k: v for k, v in data.items() if k != "_selected_"}
        return data

    def to_row(self) -> dict[str, Any]:
        """The row with MAST's column names, extras included."""
        return self.model_dump(by_alias=True, mode="json")


class ObservationRow(MastRow):
    """One CAOM observation (``Mast.Caom.Filtered``/``.Position``/``Cone``)."""

    obs_id: str
    obsid: str | None = None
    obs_collection: str | None = None
    target_name: str | None = None
    s_ra: float | None = None
    s_dec: float | None = None
    instrument_name: str | None = None
    filters: str | None = None
    t_min: float | None = None
    t_max: float | None = None
    t_exptime: float | None = None
    calib_level: int | None = None
    proposal_id: str | None = None
    proposal_pi: str | None = None
    obs_title: str | None = None
    wavelength_region: str | None = None
    dataproduct_type: str | None = None
    t_obs_release: float | None = None
    data_rights: str | None = Field(default=None, alias="dataRights")
    s_region: str | None = None
    jpeg_url: str | None = Field(default=None, alias="jpegURL")
    data_url: str | None = Field(default=None, alias="dataURL")
    em_min: float | None = None
    em_max: float | None = None

    _text = field_validator("obs_id", "obsid", "proposal_id", mode="before")(lambda v: _as_text(v))

    @property
    def instrument(self) -> str | None:
        """``NIRCAM/IMAGE`` -> ``NIRCAM``."""
        if not self.instrument_name:
            return None
        return self.instrument_name.split("/", 1)[0].strip().upper()

    @property
    def filter_names(self) -> list[str]:
        """``F405N;F444W`` -> ``["F405N", "F444W"]`` (MAST joins filter and pupil with ``;``)."""
        return [f.strip().upper() for f in (self.filters or "").split(";") if f.strip()]

    def is_public(self, now_mjd: float | None = None) -> bool:
        """Public rights *and* a release date in the past: both must hold."""
        if (self.data_rights or "").upper() != PUBLIC or self.t_obs_release is None:
            return False
        return self.t_obs_release <= (mjd_now() if now_mjd is None else now_mjd)


class ProductRow(MastRow):
    """One product file of an observation (``Mast.Caom.Products``)."""

    obsid: str | None = Field(default=None, alias="obsID")
    obs_id: str | None = None
    obs_collection: str | None = None
    dataproduct_type: str | None = None
    description: str | None = None
    product_filename: str = Field(alias="productFilename")
    data_uri: str = Field(alias="dataURI")
    product_type: str | None = Field(default=None, alias="productType")
    product_group_description: str | None = Field(default=None, alias="productGroupDescription")
    product_sub_group_description: str | None = Field(
        default=None, alias="productSubGroupDescription"
    )
    calib_level: int | None = None
    size: int | None = None
    data_rights: str | None = Field(default=None, alias="dataRights")
    parent_obsid: str | None = None

    _text = field_validator("obsid", "obs_id", "parent_obsid", mode="before")(lambda v: _as_text(v))

    @property
    def parsed(self) -> ParsedName:
        return parse_name(self.product_filename)

    @property
    def is_association(self) -> bool:
        """An ``_asn.json`` file (MAST lists them as productType INFO, subgroup ASN)."""
        return self.parsed.kind is NameKind.association

    @property
    def is_preview(self) -> bool:
        return (self.product_type or "").upper() == "PREVIEW" or (
            self.parsed.kind is NameKind.preview
        )

    @property
    def is_minimum_recommended(self) -> bool:
        return (self.product_group_description or "").strip() == MINIMUM_RECOMMENDED

    @property
    def is_exclusive(self) -> bool:
        return (self.data_rights or "").upper() == EXCLUSIVE_ACCESS
