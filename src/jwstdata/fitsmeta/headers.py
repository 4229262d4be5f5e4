"""The headers one extraction reads, and their keywords: the primary HDU, the first ``SCI``
image extension and the first ``EXTRACT1D`` table (with its ``WAVELENGTH`` column)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jwstdata.fitsmeta.cards import HeaderCards
from jwstdata.fitsmeta.hdus import FitsReadError, RawHdu, Scan
from jwstdata.fitsmeta.table import header_value as _value

SPECTRAL_TABLE = "EXTRACT1D"


def _parse(hdu: RawHdu | None, path: Path) -> HeaderCards | None:
    if hdu is None:
        return None
    try:
        return HeaderCards(hdu.header)
    except ValueError:
        raise FitsReadError(
            f"corrupt FITS header: non-ASCII bytes in HDU {hdu.index}", path=path
        ) from None


class FileHeaders:
    """The parsed headers of one file (``sci``/``table`` None when absent), read by keyword."""

    def __init__(self, found: Scan, path: Path) -> None:
        self.path = path
        self.primary: HeaderCards = _parse(found.hdus[0], path)  # type: ignore[assignment]
        sci = found.first("SCI")
        self.sci = _parse(sci, path)
        table_hdu = found.first(SPECTRAL_TABLE)
        self.table = _parse(table_hdu, path)
        self.table_data = found.table_data.get(table_hdu.index) if table_hdu else None

    def get(self, key: str, *, sci_first: bool = False) -> Any:
        """A cleaned value: primary then SCI (SCI first for SCI-resident keywords)."""
        headers = (self.sci, self.primary) if sci_first else (self.primary, self.sci)
        for header in headers:
            value = _value(header, key)
            if value is not None:
                return value
        return None

    def sci_axes(self) -> list[int]:
        if self.sci is None:
            return []
        prefix = "ZNAXIS" if _value(self.sci, "ZIMAGE") is True else "NAXIS"
        naxis = _value(self.sci, prefix, 0)
        return [int(_value(self.sci, f"{prefix}{i}", 0)) for i in range(1, int(naxis) + 1)]
