"""Is a file what its name claims? One checker per format, in a registry.

FITS files are checked by reading their headers (see :mod:`jwstdata.fits`); the others by
their leading bytes or by parsing a bounded prefix. A mismatch is a ValidationError with
the reason, so an upload with the wrong content is refused before anything is stored.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

from jwstdata.errors import ValidationError

_PREFIX_BYTES = 64 * 1024


class ContentMismatchError(ValidationError):
    code = "content_mismatch"


def _head(path: Path, size: int = _PREFIX_BYTES) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _fits(path: Path) -> None:
    if not _head(path, 80).startswith(b"SIMPLE  ="):
        raise ContentMismatchError("not a FITS file: it does not start with a SIMPLE card")


def _fits_gz(path: Path) -> None:
    try:
        with gzip.open(path, "rb") as handle:
            first = handle.read(80)
    except (OSError, EOFError) as exc:
        raise ContentMismatchError(f"not a gzip-compressed FITS file: {exc}") from None
    if not first.startswith(b"SIMPLE  ="):
        raise ContentMismatchError("not a gzip-compressed FITS file: no SIMPLE card inside")


def _magic(*signatures: bytes, what: str) -> Callable[[Path], None]:
    def check(path: Path) -> None:
        head = _head(path, 16)
        if not any(head.startswith(sig) for sig in signatures):
            raise ContentMismatchError(f"not a {what} file: its first bytes do not match")

    return check


def _text(path: Path) -> str:
    try:
        return _head(path).decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the prefix boundary: allow that one.
        try:
            return _head(path)[:-3].decode("utf-8")
        except UnicodeDecodeError:
            raise ContentMismatchError("not a text file: it is not UTF-8") from None


def _json(path: Path) -> None:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContentMismatchError(f"not a JSON file: {exc}") from None


def _csv(path: Path) -> None:
    text = _text(path)
    if "\x00" in text:
        raise ContentMismatchError("not a CSV file: it contains NUL bytes")


def _ecsv(path: Path) -> None:
    if not _text(path).startswith("# %ECSV"):
        raise ContentMismatchError("not an ECSV file: no '# %ECSV' header line")


CHECKERS: dict[str, Callable[[Path], None]] = {
    "fits": _fits,
    "fits.gz": _fits_gz,
    "png": _magic(b"\x89PNG\r\n\x1a\n", what="PNG"),
    "jpg": _magic(b"\xff\xd8\xff", what="JPEG"),
    "tiff": _magic(b"II*\x00", b"MM\x00*", what="TIFF"),
    "json": _json,
    "csv": _csv,
    "ecsv": _ecsv,
    "asdf": _magic(b"#ASDF", what="ASDF"),
}


def check_content(path: Path, file_format: str) -> None:
    """Raise ContentMismatchError unless ``path`` looks like ``file_format``."""
    checker = CHECKERS.get(file_format)
    if checker is None:
        raise ContentMismatchError(f"no content check for format {file_format!r}")
    checker(path)
