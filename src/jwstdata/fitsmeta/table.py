"""Binary-table columns read from a table HDU's raw rows (the ``EXTRACT1D`` wavelengths).

Written by hand rather than through ``astropy.io.fits``: the scan already holds the header
cards and the raw row bytes, and one float column is all ingest reads; no astropy table
object is built per file.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from jwstdata.fitsmeta import keywords as kw
from jwstdata.fitsmeta.cards import HeaderCards

_TFORM = re.compile(r"^(\d*)([LXBIJKAEDCMPQ])")
_TFORM_BYTES = {"L": 1, "B": 1, "I": 2, "J": 4, "K": 8, "A": 1, "E": 4, "D": 8, "C": 8}
_TFORM_BYTES |= {"M": 16, "P": 8, "Q": 16}


def header_value(header: HeaderCards | None, key: str, default: Any = None) -> Any:
    """A cleaned keyword value; ``default`` when absent or without a value."""
    if header is None:
        return default
    value = kw.clean(header.get(key))
    return default if value is None else value


def column_index(table: HeaderCards, name: str) -> int | None:
    """The 1-based index of the column ``name`` (TTYPEn, case-insensitive), or None."""
    for i in range(1, int(header_value(table, "TFIELDS", 0)) + 1):
        if str(header_value(table, f"TTYPE{i}", "")).strip().upper() == name:
            return i
    return None


def float_column(
    table: HeaderCards, data: bytes | None, name: str
) -> tuple[np.ndarray, str | None, int] | None:
    """One floating-point column (values, unit, repeat count), or None when unreadable."""
    index = column_index(table, name)
    if index is None or data is None:
        return None
    row = int(header_value(table, "NAXIS1", 0))
    rows = int(header_value(table, "NAXIS2", 0))
    offset = 0
    for i in range(1, index):
        size = _tform_bytes(str(header_value(table, f"TFORM{i}", "")))
        if size is None:
            return None
        offset += size
    match = _TFORM.match(str(header_value(table, f"TFORM{index}", "")).strip())
    if not match or match.group(2) not in "ED":
        return None
    repeat = int(match.group(1) or 1)
    dtype = np.dtype(">f8" if match.group(2) == "D" else ">f4")
    if rows == 0 or repeat == 0 or offset + repeat * dtype.itemsize > row:
        return None
    if len(data) < row * rows:
        return None
    values = np.ndarray(
        (rows, repeat), dtype=dtype, buffer=data, offset=offset, strides=(row, dtype.itemsize)
    )
    unit = kw.text(header_value(table, f"TUNIT{index}"))
    return values.astype(np.float64).ravel(), unit, repeat


def _tform_bytes(tform: str) -> int | None:
    """Bytes per row of a binary-table column (FITS standard, table 18)."""
    match = _TFORM.match(tform.strip())
    if not match:
        return None
    repeat = int(match.group(1)) if match.group(1) else 1
    code = match.group(2)
    if code == "X":
        return -(-repeat // 8)
    if code in "PQ":
        return _TFORM_BYTES[code]
    return repeat * _TFORM_BYTES[code]
