"""Keyword values of a raw FITS header, parsed on demand.

Parsing a JWST primary header with :class:`astropy.io.fits.Header` and reading ~90 values
costs several times a bare ``getheader`` (every ``Card.value`` parses the card and consults
astropy's configuration). This index maps each keyword to its card once (one pass over
80-byte slices) and parses only the values asked for, following FITS standard 4.0 section 4.2:

- strings ``'...'`` with ``''`` for a quote; trailing blanks are not significant; long
  strings continue over ``CONTINUE`` cards when a segment ends with ``&``;
- ``T``/``F`` -> bool; integers -> int; reals (``E`` or ``D`` exponent) -> float;
- an empty value (undefined) -> None; anything else (complex, malformed) -> its text.

Only the first card of a repeated keyword counts (as in astropy). ``tests/test_fits.py``
checks every value against astropy on the files of ``tests/fitsfactory.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

CARD = 80
_INT = re.compile(rb"[+-]?\d+")
_REAL = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[EeDd][+-]?\d+)?")
_MISSING = object()


class HeaderCards:
    """Read-only mapping-like view of one header: ``cards["NAXIS1"]``, ``cards.get(...)``."""

    __slots__ = ("_cache", "_index", "_raw")

    def __init__(self, raw: bytes) -> None:
        if not raw.isascii():
            raise ValueError("non-ASCII bytes in header")
        self._raw = raw
        self._cache: dict[str, Any] = {}
        index: dict[str, int] = {}
        for pos in range(0, len(raw), CARD):
            key = raw[pos : pos + 8]
            if key == b"END     ":
                break
            if raw[pos + 8 : pos + 9] == b"=":
                index.setdefault(key.rstrip().decode("ascii"), pos)
        self._index = index

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        """The parsed value; ``default`` when the keyword is absent or has no value."""
        if key in self._cache:
            value = self._cache[key]
        else:
            pos = self._index.get(key)
            if pos is None:
                return default
            value = self._cache[key] = self._parse(pos)
        return default if value is None else value

    def _parse(self, pos: int) -> Any:
        field = self._raw[pos + 10 : pos + CARD].lstrip()
        if field.startswith(b"'"):
            return self._long_string(field, pos)
        value = value_text(field)
        if not value:
            return None
        if value == b"T":
            return True
        if value == b"F":
            return False
        if _INT.fullmatch(value):
            return int(value)
        if _REAL.fullmatch(value):
            return float(value.replace(b"D", b"E").replace(b"d", b"e"))
        return value.decode("ascii")

    def _long_string(self, field: bytes, pos: int) -> str:
        text = quoted_string(field).rstrip()  # type: ignore[union-attr]
        while text.endswith("&"):
            pos += CARD
            if self._raw[pos : pos + 8] != b"CONTINUE":
                break
            more = quoted_string(self._raw[pos + 8 : pos + CARD].lstrip())
            text = text[:-1] + more.rstrip()  # type: ignore[union-attr]
        return text


# --- the card grammar, shared with the structural reader in hdus.py ----------------------


def value_text(field: bytes) -> bytes:
    """A non-string value field without its comment: ``b"  2 / axes"`` -> ``b"2"``."""
    return field.split(b"/", 1)[0].strip()


def quoted_string(field: bytes, *, closed: bool = False) -> str | None:
    """The content of a quoted FITS string starting at ``field[0]`` (``''`` is a quote).

    Without a closing quote the rest of the card is taken, or None when ``closed``.
    """
    end = 1
    while True:
        end = field.find(b"'", end)
        if end == -1:
            return None if closed else field[1:].decode("ascii")
        if field[end + 1 : end + 2] == b"'":
            end += 2
            continue
        return field[1:end].replace(b"''", b"'").decode("ascii")
