"""Pixel and spectrum data for the browser viewers, read straight from the FITS file.

:func:`downsampled_image`: the science image (see :mod:`jwstdata.services.pixel_window` for
which HDU and plane) block-averaged down to at most ``max_side`` pixels a side, with what
the page needs to draw it: its size, the reduction factor, the unit and, for a TAN
projection, the celestial keywords (CTYPE, CRPIX, CRVAL, CD or PC+CDELT, SIP ``A_p_q`` and
``B_p_q``), so the page computes RA/Dec under the cursor itself, with no request per mouse
move.

:func:`read_spectrum`: wavelength and flux of the first table with ``WAVELENGTH`` and ``FLUX``
columns, bin-averaged to at most ``max_points`` points.

Files are opened with memmap and read in bands, so memory stays bounded by the output and
one band; a compressed file is inflated once (within bounds), a file on S3 copied once.
"""

from __future__ import annotations

import contextlib
import math
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from astropy.io import fits

from jwstdata.config import Settings
from jwstdata.errors import PayloadTooLargeError, ValidationError
from jwstdata.inflate import InflateError, InflateLimits, inflated_copy
from jwstdata.models import JwstDataModel
from jwstdata.services.pixel_window import (
    block_means,
    image_hdu,
    physical,
    plane_index,
)
from jwstdata.services.stored_fits import local_file
from jwstdata.storage import StorageProvider

MAX_PLAIN_BYTES = 8 * 1024**3  # memmapped: only the rows read are paged in
MAX_COMPRESSED_BYTES = 512 * 1024**2  # gzip must be inflated to be read
_WCS_KEY = re.compile(
    r"^(CTYPE[12]|CUNIT[12]|CRPIX[12]|CRVAL[12]|CDELT[12]|CD[12]_[12]|PC[12]_[12]|"
    r"LONPOLE|LATPOLE|RADESYS|EQUINOX|[AB]_ORDER|[AB]_\d_\d)$"
)


@contextmanager
def open_viewed_fits(
    storage: StorageProvider, settings: Settings, record: JwstDataModel
) -> Iterator[fits.HDUList]:
    """The record's FITS file, memory-mapped (a local path: the file, or a copy of it)."""
    staging = settings.home_dir / "staging"
    with contextlib.ExitStack() as stack:
        stored = stack.enter_context(local_file(storage, record, staging))
        try:
            # A compressed file is inflated once, within bounds, then mapped like a plain one:
            # reading bands straight from gzip would inflate it again for every band.
            path = stack.enter_context(inflated_copy(stored, staging, InflateLimits.of(settings)))
        except InflateError as exc:
            raise ValidationError(f"the data in {record.file_name} cannot be read: {exc}") from None
        try:
            # Scaled integers (BZERO/BSCALE) are scaled here: astropy refuses them under memmap.
            with fits.open(
                path, memmap=True, lazy_load_hdus=True, do_not_scale_image_data=True
            ) as hdul:
                yield hdul
        except (OSError, ValueError, TypeError, IndexError) as exc:
            raise ValidationError(
                f"the data in {record.file_name} cannot be read ({type(exc).__name__}: "
                f"{str(exc)[:200]}); the file may be truncated or corrupt"
            ) from None


def _declared_bytes(header: fits.Header) -> int:
    naxes = [int(header.get(f"NAXIS{i}", 0) or 0) for i in range(1, int(header["NAXIS"]) + 1)]
    return math.prod(naxes) * abs(int(header.get("BITPIX", 32))) // 8


def _downsample(hdu: Any, plane: tuple[int, ...], ny: int, nx: int, factor: int) -> np.ndarray:
    """Block means of ``factor`` x ``factor`` pixels, one band of rows at a time."""
    height, width = math.ceil(ny / factor), math.ceil(nx / factor)
    out = np.empty((height, width), dtype=np.float32)
    for row in range(height):
        start, stop = row * factor, min((row + 1) * factor, ny)
        raw = np.asarray(hdu.section[(*plane, slice(start, stop), slice(None))])
        out[row] = block_means(physical(raw, hdu.header), factor)[0]
    return out


def celestial_wcs(header: fits.Header) -> dict[str, Any] | None:
    """The keywords of a TAN (optionally SIP) celestial WCS, or None for anything else."""
    ctype1, ctype2 = str(header.get("CTYPE1", "")), str(header.get("CTYPE2", ""))
    if not (ctype1.startswith("RA---TAN") and ctype2.startswith("DEC--TAN")):
        return None
    keywords = {}
    for card in header.cards:
        if _WCS_KEY.match(card.keyword) and isinstance(card.value, str | int | float):
            value = card.value
            keywords[card.keyword] = value if isinstance(value, str) else float(value)
    if not all(k in keywords for k in ("CRPIX1", "CRPIX2", "CRVAL1", "CRVAL2")):
        return None
    return keywords


def downsampled_image(
    storage: StorageProvider, settings: Settings, record: JwstDataModel, max_side: int
) -> tuple[dict[str, Any], np.ndarray]:
    """The science image reduced to at most ``max_side`` pixels a side, and what it shows:
    ``{"width", "height", "factor", "sourceWidth", "sourceHeight", "extension", "plane",
    "unit", "wcs"}``."""
    with open_viewed_fits(storage, settings, record) as hdul:
        hdu = image_hdu(hdul)
        compressed = (record.file_format or "").endswith(("gz", "fz", "bz2"))
        limit = MAX_COMPRESSED_BYTES if compressed else MAX_PLAIN_BYTES
        if _declared_bytes(hdu.header) > limit:
            raise PayloadTooLargeError(
                f"the image in {record.file_name} is too large to show in the browser "
                f"(limit {limit // 1024**2} MiB of pixel data)"
            )
        shape = tuple(int(hdu.header[f"NAXIS{i}"]) for i in range(hdu.header["NAXIS"], 0, -1))
        ny, nx = shape[-2], shape[-1]
        plane = plane_index(shape)
        factor = max(1, math.ceil(max(ny, nx) / max_side))
        data = _downsample(hdu, plane, ny, nx, factor)
        meta = {
            "width": int(data.shape[1]),
            "height": int(data.shape[0]),
            "factor": factor,
            "sourceWidth": nx,
            "sourceHeight": ny,
            "extension": hdu.name or "PRIMARY",
            "plane": list(plane),
            "unit": str(hdu.header.get("BUNIT", "") or ""),
            "wcs": celestial_wcs(hdu.header),
        }
    return meta, data


def _spectrum_table(hdul: fits.HDUList) -> fits.BinTableHDU:
    for hdu in hdul:
        if isinstance(hdu, fits.BinTableHDU):
            names = {n.upper() for n in hdu.columns.names}
            if {"WAVELENGTH", "FLUX"} <= names:
                return hdu
    raise ValidationError("this file has no spectrum table (WAVELENGTH and FLUX columns)")


def _binned(values: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return values
    padded = np.full(math.ceil(values.size / factor) * factor, np.nan)
    padded[: values.size] = values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(padded.reshape(-1, factor), axis=1)


def _json_floats(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values.tolist()]


def read_spectrum(
    storage: StorageProvider, settings: Settings, record: JwstDataModel, max_points: int
) -> dict[str, Any]:
    """The spectrum as JSON: ``{"extension", "sourcePoints", "factor", "wavelengthUnit",
    "fluxUnit", "wavelength", "flux"}`` (missing values null)."""
    with open_viewed_fits(storage, settings, record) as hdul:
        table = _spectrum_table(hdul)
        columns = {n.upper(): n for n in table.columns.names}
        wave_col, flux_col = table.columns[columns["WAVELENGTH"]], table.columns[columns["FLUX"]]
        wavelength = np.asarray(table.data[wave_col.name], dtype=np.float64)
        flux = np.asarray(table.data[flux_col.name], dtype=np.float64)
        if wavelength.ndim == 2:  # one row holding the whole spectrum
            wavelength, flux = wavelength[0], flux[0]
        wavelength, flux = wavelength.ravel(), flux.ravel()
        factor = max(1, math.ceil(wavelength.size / max_points))
        body = {
            "extension": table.name,
            "sourcePoints": int(wavelength.size),
            "factor": factor,
            "wavelengthUnit": wave_col.unit or "",
            "fluxUnit": flux_col.unit or "",
            "wavelength": _json_floats(_binned(wavelength, factor)),
            "flux": _json_floats(_binned(flux, factor)),
        }
    return body
