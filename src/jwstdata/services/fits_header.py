"""The full FITS header of one HDU, card by card, and the list of HDUs it was chosen from.

``hdu`` is an index (``0`` is the primary HDU), an EXTNAME (``SCI``, case-insensitive; the
first HDU of that name) or ``NAME,VER`` (``SCI,2``). Card values keep their FITS types in
JSON: logical as true/false, integer and real as numbers, strings as strings; an undefined
value is null, and anything JSON cannot hold (complex, non-finite reals) is its FITS text.
"""

from __future__ import annotations

import math
from typing import Any

from astropy.io import fits

from jwstdata.errors import ValidationError
from jwstdata.models import JwstDataModel
from jwstdata.services.stored_fits import open_stored_fits, unreadable
from jwstdata.storage import StorageProvider

MAX_HDUS = 1000  # a file with more HDUs than this is listed up to here
_READ_ERRORS = (OSError, ValueError, TypeError, KeyError, EOFError)


def _kind(hdu: Any) -> str:
    if isinstance(hdu, fits.PrimaryHDU):
        return "PRIMARY"
    if isinstance(hdu, fits.CompImageHDU):
        return "COMPRESSED_IMAGE"
    return str(hdu.header.get("XTENSION", type(hdu).__name__)).strip()


def _summary(index: int, hdu: Any) -> dict[str, Any]:
    header = hdu.header
    prefix = "ZNAXIS" if header.get("ZIMAGE") is True else "NAXIS"
    naxis = int(header.get(prefix, 0) or 0)
    shape = [int(header.get(f"{prefix}{i}", 0) or 0) for i in range(1, naxis + 1)]
    return {
        "index": index,
        "name": hdu.name or ("PRIMARY" if index == 0 else ""),
        "version": int(header.get("EXTVER", 1) or 1),
        "type": _kind(hdu),
        "shape": shape,  # FITS axis order (NAXIS1 first)
        "cards": len(header.cards),
    }


def card_value(value: Any) -> Any:
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, fits.card.Undefined):
        return None
    return str(value)


def cards(header: fits.Header) -> list[dict[str, Any]]:
    return [
        {"keyword": card.keyword, "value": card_value(card.value), "comment": card.comment or ""}
        for card in header.cards
    ]


def _matches(summary: dict[str, Any], wanted: str) -> bool:
    name, _, version = wanted.partition(",")
    if summary["name"].upper() != name.strip().upper():
        return False
    return not version.strip() or str(summary["version"]) == version.strip()


def _bad_hdu(wanted: str, listed: list[dict[str, Any]]) -> ValidationError:
    names = ", ".join(f"{s['index']}:{s['name']}" for s in listed)
    return ValidationError(
        f"no HDU {wanted!r} in this file (HDUs: {names})",
        details=[{"field": "hdu", "message": "no such HDU"}],
    )


def read_header(
    storage: StorageProvider, record: JwstDataModel, hdu: str | None = None
) -> dict[str, Any]:
    """``{"hdu": summary, "hdus": [summary...], "cards": [{keyword, value, comment}...]}``."""
    wanted = (hdu or "0").strip()
    with open_stored_fits(storage, record) as hdul:
        listed: list[dict[str, Any]] = []
        headers: list[fits.Header] = []
        try:
            for index in range(MAX_HDUS):
                try:
                    item = hdul[index]
                except IndexError:
                    break
                listed.append(_summary(index, item))
                headers.append(item.header)
        except _READ_ERRORS as exc:
            if not listed:
                raise unreadable(record, exc) from None
            # a damaged tail: the HDUs read so far can still be browsed
    if wanted.isdigit():
        position = int(wanted)
        if position >= len(listed):
            raise _bad_hdu(wanted, listed)
    else:
        position = next((s["index"] for s in listed if _matches(s, wanted)), -1)
        if position < 0:
            raise _bad_hdu(wanted, listed)
    return {"hdu": listed[position], "hdus": listed, "cards": cards(headers[position])}
