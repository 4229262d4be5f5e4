"""What a file is: its name, format and headers turned into record fields.

Shared by every way a file enters the catalog (ingest, upload, MAST import) so a file gets
the same record whichever way it came. Pure apart from reading the file's headers (or a
small association JSON); safe to run in worker processes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jwstdata.digests import sha256_of
from jwstdata.errors import ValidationError
from jwstdata.fits import read_header_metadata
from jwstdata.inflate import InflateLimits
from jwstdata.models import DataType, ProcessingLevel
from jwstdata.naming import NameKind, ParsedName, parse_name

# extension (as the name parser reports it) -> stored fileFormat
FORMATS: dict[str, str] = {
    "fits": "fits",
    "fit": "fits",
    "fits.gz": "fits.gz",
    "fit.gz": "fits.gz",
    "jpg": "jpg",
    "jpeg": "jpg",
    "png": "png",
    "tif": "tiff",
    "tiff": "tiff",
    "csv": "csv",
    "ecsv": "ecsv",
    "json": "json",
    "asdf": "asdf",
}
FITS_FORMATS = frozenset({"fits", "fits.gz"})
MAX_ASN_BYTES = 16 * 1024 * 1024


class UnsupportedFormatError(ValidationError):
    code = "unsupported_format"


@dataclass
class FileDescription:
    """Record fields derived from one file (camelCase keys, ready for the model)."""

    fields: dict[str, Any]
    parsed: ParsedName
    file_format: str
    size: int | None = None
    sha256: str | None = None
    warnings: list[str] = field(default_factory=list)


def file_format_of(name: ParsedName) -> str:
    fmt = FORMATS.get((name.extension or "").lower())
    if fmt is None:
        allowed = ", ".join(sorted(set(FORMATS.values())))
        raise UnsupportedFormatError(
            f"unsupported file format {name.extension or '(no extension)'!r} (supported: {allowed})"
        )
    return fmt


def read_association(path: Path) -> dict[str, Any]:
    """The parts of an ``_asn.json`` lineage needs: type, id and each product's members."""
    if path.stat().st_size > MAX_ASN_BYTES:
        raise ValidationError(f"association file larger than {MAX_ASN_BYTES} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"invalid association JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        raise ValidationError("invalid association JSON: no 'products' list")
    products = []
    for product in data["products"]:
        if not isinstance(product, dict):
            continue
        members = [
            str(m.get("expname"))
            for m in product.get("members", [])
            if isinstance(m, dict) and m.get("expname")
        ]
        products.append({"name": str(product.get("name", "")), "members": members})
    return {
        "asnType": str(data.get("asn_type", "")) or None,
        "asnId": str(data.get("asn_id", "")) or None,
        "products": products,
    }


def describe_file(
    path: str | Path,
    *,
    name: str | None = None,
    checksum: bool = False,
    inflate: InflateLimits | None = None,
) -> FileDescription:
    """Describe the file at ``path`` (named ``name`` when it differs from the path's name).

    Reading the headers of a compressed file inflates it within ``inflate`` (defaults of
    :mod:`jwstdata.inflate` when not given).

    Raises a ValidationError subclass (bad format, unreadable FITS, bad association).
    """
    path = Path(path)
    parsed = parse_name(name or path.name)
    fmt = file_format_of(parsed)
    fields: dict[str, Any] = {
        "fileName": parsed.file_name,
        "fileFormat": fmt,
        "dataType": (parsed.data_type or DataType.metadata).value,
        "processingLevel": parsed.processing_level.value,
        "isViewable": parsed.is_viewable,
        "observationBaseId": parsed.observation_base_id,
        "exposureId": parsed.exposure_id,
        "metadata": {},
    }
    description = FileDescription(fields=fields, parsed=parsed, file_format=fmt)
    if fmt in FITS_FORMATS:
        _add_headers(description, path, inflate)
    elif parsed.kind is NameKind.association or (fmt == "json" and parsed.suffix == "asn"):
        fields["metadata"]["asn"] = read_association(path)
    if checksum:
        description.size, description.sha256 = sha256_of(path)
        fields["fileSize"], fields["checksum"] = description.size, description.sha256
    return description


def _add_headers(
    description: FileDescription, path: Path, inflate: InflateLimits | None = None
) -> None:
    parsed, fields = description.parsed, description.fields
    header = read_header_metadata(path, suffix=parsed.suffix, limits=inflate)
    fields["metadata"].update(header.metadata)
    for key, value in (
        ("imageInfo", header.image_info),
        ("sensorInfo", header.sensor_info),
        ("spectralInfo", header.spectral_info),
    ):
        if value is not None:
            fields[key] = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    # The name decides level and data type when it is a JWST product name; headers fill
    # in for names the parser cannot read (e.g. a renamed file).
    if parsed.kind is NameKind.unknown:
        if header.data_type_hint is not None:
            fields["dataType"] = header.data_type_hint.value
            fields["isViewable"] = header.data_type_hint in (DataType.image,)
        if header.exposure_id and not fields.get("exposureId"):
            fields["exposureId"] = header.exposure_id
    if not fields.get("observationBaseId") and header.program and header.observation:
        fields["observationBaseId"] = f"jw{header.program}-o{header.observation}"
    if (
        fields["processingLevel"] == ProcessingLevel.unknown.value
        and parsed.kind is NameKind.unknown
    ):
        description.warnings.append(
            "processing level unknown: the file name is not a JWST product name"
        )
