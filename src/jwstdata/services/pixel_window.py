"""The science image of a FITS file as the viewers show it, shared by the downsampled view
(:mod:`jwstdata.services.viewer_data`) and the tiles (:mod:`jwstdata.services.tiles`).

Which HDU: the ``SCI`` extension, else the first image HDU of two or more axes. Which plane
of an n-D array: the middle one of a cube, the last group of the first integration of a
ramp. Values are physical (BSCALE/BZERO applied; BLANK and non-finite are NaN), as float32.
Both viewers send them framed the same way (:func:`framed`).
"""

from __future__ import annotations

import json
import math
import struct
import warnings
from typing import Any

import numpy as np
from astropy.io import fits

from jwstdata.errors import NotFoundError, ValidationError
from jwstdata.models import JwstDataModel

PIXELS_MEDIA_TYPE = "application/vnd.jwstdata.pixels"


def pixel_file_key(record: JwstDataModel) -> str:
    """The storage key of the record's FITS file; a record without pixel data is refused."""
    if not record.file_path or record.file_missing:
        raise NotFoundError(f"record {record.id} has no file")
    if not (record.file_format or "").startswith("fits"):
        raise ValidationError(f"{record.file_name} is not a FITS file: it has no pixel data")
    return record.file_path


def image_hdu(hdul: fits.HDUList) -> Any:
    candidates = [h for h in hdul if h.is_image and (h.header.get("NAXIS") or 0) >= 2]
    for hdu in candidates:
        if hdu.name == "SCI":
            return hdu
    if candidates:
        return candidates[0]
    raise ValidationError("this file has no image data to show")


def plane_index(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Which 2-D plane of an n-D array to show: cubes their middle, ramps their last group."""
    if len(shape) == 3:
        return (shape[0] // 2,)
    if len(shape) == 4:
        return (0, shape[1] - 1)
    return tuple(0 for _ in shape[:-2])


def physical(raw: np.ndarray, header: fits.Header) -> np.ndarray:
    """Stored values to physical ones (BSCALE, BZERO; BLANK and non-finite become NaN)."""
    values = raw.astype(np.float64) * float(header.get("BSCALE", 1)) + float(header.get("BZERO", 0))
    blank = header.get("BLANK")
    if blank is not None and raw.dtype.kind in "iu":
        values[raw == blank] = np.nan
    values[~np.isfinite(values)] = np.nan
    return values.astype(np.float32)


def block_means(values: np.ndarray, factor: int) -> np.ndarray:
    """``values`` (2-D) reduced to float32 means of ``factor`` x ``factor`` blocks, NaN
    ignored; partial blocks at the right and top edges average what they hold, and
    all-NaN blocks are NaN (quietly)."""
    if factor == 1:
        return values.astype(np.float32, copy=False)
    rows, cols = math.ceil(values.shape[0] / factor), math.ceil(values.shape[1] / factor)
    padded = np.full((rows * factor, cols * factor), np.nan, dtype=np.float32)
    padded[: values.shape[0], : values.shape[1]] = values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(padded.reshape(rows, factor, cols, factor), axis=(1, 3)).astype(
            np.float32, copy=False
        )


# Values read per band of rows: memory follows the band, not the window (a top-level tile of
# a 10k x 10k image would otherwise hold the whole image several times over).
BAND_PIXELS = 1 << 20


def reduced_window(
    plane: np.ndarray, header: fits.Header, box: tuple[int, int, int, int], factor: int
) -> np.ndarray:
    """The physical values of ``plane[y0:y1, x0:x1]`` (``box`` = x0, y0, x1, y1) as means
    of ``factor`` x ``factor`` blocks, read from the (memory-mapped) plane in bands of rows."""
    x0, y0, x1, y1 = box
    rows, cols = math.ceil((y1 - y0) / factor), math.ceil((x1 - x0) / factor)
    out = np.empty((rows, cols), np.float32)
    band = max(1, BAND_PIXELS // max(1, (x1 - x0) * factor))  # output rows per read
    for first in range(0, rows, band):
        last = min(rows, first + band)
        top, bottom = y0 + first * factor, min(y1, y0 + last * factor)
        values = physical(np.asarray(plane[top:bottom, x0:x1]), header)
        out[first:last] = block_means(values, factor)
    return out


def framed(meta: dict[str, Any], data: np.ndarray) -> bytes:
    """A uint32 LE JSON length, the JSON ``meta`` space-padded to 4 bytes, then ``data`` as
    little-endian float32 (row 0 first)."""
    header = json.dumps(meta, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 4)
    return struct.pack("<I", len(header)) + header + np.ascontiguousarray(data, "<f4").tobytes()
