"""The record models: BSON round trips and every validation rule the specification implies."""

from __future__ import annotations

from datetime import UTC, datetime

import bson
import pytest
from bson.codec_options import CodecOptions
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from jwstdata.models import (
    DataType,
    ImageMetadata,
    JwstDataModel,
    ProcessingLevel,
    ProcessingResult,
    ProcessingStatus,
    SensorMetadata,
    SpectralMetadata,
    WavelengthRange,
)

CODEC = CodecOptions(tz_aware=True, tzinfo=UTC)


# --- strategies -------------------------------------------------------------------------
def model(cls, **fields):
    """Strategy for ``cls`` from snake_case field strategies (models take camelCase aliases)."""
    return st.fixed_dictionaries({to_camel(k): v for k, v in fields.items()}).map(
        cls.model_validate
    )


names = st.from_regex(r"[a-z0-9_\-]{1,40}\.(fits|fits\.gz|png|json)", fullmatch=True)
keys = st.lists(st.from_regex(r"[a-z0-9_\-]{1,20}", fullmatch=True), min_size=1, max_size=4).map(
    "/".join
)
dates = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
finite = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
object_ids = st.builds(bson.ObjectId)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False),
)
metadata = st.dictionaries(
    st.from_regex(r"mast_[a-z_]{1,15}", fullmatch=True), json_scalars, max_size=6
)

image_info = model(
    ImageMetadata,
    target_name=st.none() | st.text(min_size=1, max_size=30),
    instrument=st.none() | st.sampled_from(["NIRCAM", "MIRI", "NIRSPEC", "NIRISS", "FGS"]),
    filter=st.none() | st.sampled_from(["F090W", "F444W", "CLEAR;F200W"]),
    exposure_time=st.none() | finite,
    observation_date=st.none() | dates,
    wcs=st.none() | st.dictionaries(st.sampled_from(["CRVAL1", "CRPIX1", "CTYPE1"]), json_scalars),
    wavelength_range=st.none() | st.sampled_from(list(WavelengthRange)),
    calibration_level=st.none() | st.integers(0, 4),
    width=st.none() | st.integers(0, 10000),
)
results = model(
    ProcessingResult,
    algorithm=st.sampled_from(["statistics", "preview"]),
    processed_date=dates,
    status=st.sampled_from(["completed", "failed"]),
    parameters=st.dictionaries(
        st.from_regex(r"[a-z]{1,8}", fullmatch=True), json_scalars, max_size=3
    ),
    duration_seconds=st.none() | finite,
)
records = model(
    JwstDataModel,
    id=st.none() | object_ids,
    file_name=names,
    file_path=st.none() | keys,
    file_size=st.none() | st.integers(0, 2**50),
    data_type=st.sampled_from(list(DataType)),
    processing_status=st.sampled_from(list(ProcessingStatus)),
    processing_level=st.sampled_from(list(ProcessingLevel)),
    upload_date=dates,
    tags=st.lists(st.from_regex(r"[a-z][a-z0-9\-]{0,10}", fullmatch=True), max_size=5, unique=True),
    parent_id=st.none() | object_ids,
    derived_from=st.lists(object_ids, max_size=3),
    user_id=st.none() | object_ids,
    is_public=st.booleans(),
    shared_with=st.lists(object_ids, max_size=3),
    metadata=metadata,
    image_info=st.none() | image_info,
    sensor_info=st.none() | model(SensorMetadata, integration_time=st.none() | finite),
    spectral_info=st.none() | model(SpectralMetadata, wavelength_start=st.none() | finite),
    processing_results=st.lists(results, max_size=2),
    version=st.integers(1, 1000),
)


@settings(max_examples=100, deadline=None)
@given(records)
def test_model_to_bson_to_model_is_identity(record: JwstDataModel) -> None:
    raw = bson.encode(record.to_document())
    again = JwstDataModel.from_document(bson.decode(raw, codec_options=CODEC))
    assert again == record


@settings(max_examples=50, deadline=None)
@given(records)
def test_json_form_round_trips(record: JwstDataModel) -> None:
    assert JwstDataModel.model_validate(record.to_json()) == record


def test_json_form_uses_camel_case_strings_and_iso_dates() -> None:
    oid = bson.ObjectId()
    record = JwstDataModel(
        id=oid,
        file_name="a.fits",
        data_type="image",
        user_id=oid,
        upload_date=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    )
    out = record.to_json()
    assert out["id"] == str(oid) and out["userId"] == str(oid)
    assert out["uploadDate"] == "2024-01-02T03:04:05.678000Z"  # millisecond precision, UTC
    assert "fileName" in out and "file_name" not in out


def test_naive_datetimes_are_taken_as_utc() -> None:
    record = JwstDataModel(file_name="a.fits", data_type="raw", upload_date=datetime(2024, 1, 1))
    assert record.upload_date.tzinfo is UTC


# --- validation: each rule names its field ----------------------------------------------
VALID = {"fileName": "jw02733-o001_t001_nircam_clear-f090w_i2d.fits", "dataType": "image"}

INVALID_CASES = [
    ({"dataType": "picture"}, "dataType"),
    ({"processingStatus": "done"}, "processingStatus"),
    ({"processingLevel": "L4"}, "processingLevel"),
    ({"fileSize": -1}, "fileSize"),
    ({"filePath": "/etc/passwd"}, "filePath"),
    ({"filePath": "mast/../../etc/passwd"}, "filePath"),
    ({"filePath": "mast\\x.fits"}, "filePath"),
    ({"filePath": "mast/x\x00.fits"}, "filePath"),
    ({"filePath": "C:/data/x.fits"}, "filePath"),
    ({"filePath": "a//b.fits"}, "filePath"),
    ({"filePath": "a/" * 600 + "b"}, "filePath"),
    ({"fileName": "dir/x.fits"}, "fileName"),
    ({"fileName": ""}, "fileName"),
    ({"imageInfo": {"calibrationLevel": 5}}, "imageInfo.calibrationLevel"),
    ({"imageInfo": {"calibrationLevel": -1}}, "imageInfo.calibrationLevel"),
    ({"imageInfo": {"wavelengthRange": "RADIO"}}, "imageInfo.wavelengthRange"),
    ({"imageInfo": {"exposureTime": -3}}, "imageInfo.exposureTime"),
    ({"sensorInfo": {"dataPoints": -1}}, "sensorInfo.dataPoints"),
    ({"checksum": "abc"}, "checksum"),
    ({"tags": ["$where"]}, "tags"),
    ({"metadata": {"$gt": 1}}, "metadata"),
    ({"metadata": {"a.b": 1}}, "metadata"),
    ({"parentId": "not-an-id"}, "parentId"),
    ({"version": 0}, "version"),
    ({"fileFormat": "FITS GZ"}, "fileFormat"),
    ({"archivedDate": "2024-01-01T00:00:00Z"}, "record"),
    ({"unexpected": 1}, None),  # unknown fields are ignored on stored documents
]


@pytest.mark.parametrize(
    ("change", "field"), INVALID_CASES, ids=[str(c[0])[:40] for c in INVALID_CASES]
)
def test_validation_rejects_with_the_field_named(change: dict, field: str | None) -> None:
    if field is None:
        JwstDataModel.model_validate({**VALID, **change})
        return
    with pytest.raises(ValidationError) as info:
        JwstDataModel.model_validate({**VALID, **change})
    locations = [".".join(str(p) for p in e["loc"]) for e in info.value.errors()]
    if field == "record":
        assert "archivedDate" in str(info.value)
    else:
        assert any(loc.startswith(field) for loc in locations), locations


def test_enums_are_exactly_the_specified_values() -> None:
    assert [d.value for d in DataType] == [
        "image",
        "sensor",
        "spectral",
        "metadata",
        "calibration",
        "raw",
    ]
    assert [s.value for s in ProcessingStatus] == ["pending", "processing", "completed", "failed"]
    assert [lv.value for lv in ProcessingLevel] == ["L1", "L2a", "L2b", "L3", "unknown"]
    assert [w.value for w in WavelengthRange] == ["INFRARED", "OPTICAL", "UV"]


def test_tags_are_trimmed_and_deduplicated() -> None:
    record = JwstDataModel(**VALID, tags=[" a", "a", "b "])
    assert record.tags == ["a", "b"]


def test_defaults_describe_a_new_private_pending_record() -> None:
    record = JwstDataModel(**VALID)
    assert record.processing_status is ProcessingStatus.pending
    assert record.processing_level is ProcessingLevel.unknown
    assert record.is_public is False and record.is_archived is False
    assert record.version == 1 and record.schema_version >= 1
