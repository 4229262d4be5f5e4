"""Storage keys: the one place where a relative key is normalised and validated.

A record's ``filePath`` is a key such as ``mast/jw02733-o001_t001_nircam/x_i2d.fits``,
resolved at run time by the active storage provider. Keys never escape the storage root:

>>> validate_key("mast/jw02733-o001_t001_nircam/jw02733-o001_t001_nircam_clear-f090w_i2d.fits")
'mast/jw02733-o001_t001_nircam/jw02733-o001_t001_nircam_clear-f090w_i2d.fits'
>>> validate_key("../etc/passwd")
Traceback (most recent call last):
...
jwstdata.errors.InvalidKeyError: invalid storage key '../etc/passwd': '..' segments are not allowed
"""

from __future__ import annotations

import re
import unicodedata
import uuid

from jwstdata.errors import InvalidKeyError

MAX_KEY_LENGTH = 1024  # S3's limit, in UTF-8 bytes
MAX_SEGMENT_LENGTH = 255  # common filesystem limit for one name
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._+-]+")


def key_problem(key: object) -> str | None:
    """Why ``key`` is not a valid storage key, or None when it is."""
    if not isinstance(key, str):
        return "must be a string"
    if not key:
        return "must not be empty"
    if len(key.encode("utf-8")) > MAX_KEY_LENGTH:
        return f"longer than {MAX_KEY_LENGTH} bytes"
    if _CONTROL.search(key):
        return "NUL and control characters are not allowed"
    if "\\" in key:
        return "backslashes are not allowed"
    if key.startswith("/") or _DRIVE.match(key):
        return "absolute paths are not allowed"
    segments = key.split("/")
    if any(s == ".." for s in segments):
        return "'..' segments are not allowed"
    if any(s in ("", ".") for s in segments):
        return "empty or '.' segments are not allowed"
    if any(len(s.encode("utf-8")) > MAX_SEGMENT_LENGTH for s in segments):
        return f"a segment is longer than {MAX_SEGMENT_LENGTH} bytes"
    return None


def validate_key(key: str) -> str:
    """Return the NFC-normalised key, or raise InvalidKeyError naming the problem."""
    normalised = unicodedata.normalize("NFC", key) if isinstance(key, str) else key
    problem = key_problem(normalised)
    if problem:
        raise InvalidKeyError(
            f"invalid storage key {key!r}: {problem}",
            details=[{"field": "filePath", "message": problem}],
        )
    return normalised


def safe_file_name(name: str, default: str = "file") -> str:
    """A file name safe as one key segment: basename only, unsafe runs replaced by ``_``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    cleaned = _SAFE_NAME.sub("_", base).strip("._") or default
    return cleaned[:MAX_SEGMENT_LENGTH]


def _segment(value: str) -> str:
    return validate_key(safe_file_name(value))


def mast_key(obs_id: str, file_name: str) -> str:
    return validate_key(f"mast/{_segment(obs_id)}/{_segment(file_name)}")


def upload_key(user_id: str, file_name: str, upload_id: str | None = None) -> str:
    upload_id = upload_id or uuid.uuid4().hex
    return validate_key(f"uploads/{_segment(user_id)}/{_segment(upload_id)}/{_segment(file_name)}")


def derived_key(record_id: str, algorithm: str, file_name: str) -> str:
    return validate_key(
        f"derived/{_segment(record_id)}/{_segment(algorithm)}/{_segment(file_name)}"
    )


def ingest_key(program: str | None, file_name: str) -> str:
    return validate_key(f"ingest/{_segment(program or 'misc')}/{_segment(file_name)}")
