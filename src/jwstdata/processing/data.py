"""Opening an algorithm's input file: headers checked first, then memory-mapped data.

Every open goes in two steps, so that a file is judged before a byte of its data is loaded:

1. **Header walk** (:func:`jwstdata.fitsmeta.hdus.scan`): block reads and seeks only. It
   refuses files that are not FITS, truncated (a plain file whose declared data runs past its
   end) or corrupt, and gives the SCI header, from which the array size is checked against
   ``max_pixels``. An oversize array is refused here, whatever the file's compression.
2. **Data** through astropy: a plain ``.fits`` file is memory-mapped, so only the pages an
   algorithm touches are read (a preview of one plane of a cube reads that plane).
   A ``.fits.gz`` file cannot be memory-mapped: it is inflated once, within the bounds of
   :mod:`jwstdata.inflate` (size and CPU time), into a plain temporary copy that is mapped
   instead; the size check of step 1 comes first. Integer data with
   ``BZERO``/``BSCALE`` is scaled to floats by astropy (a copy, also within the limit).

The image HDU is ``SCI``, or the primary HDU when there is no SCI and the primary holds an
image of 2 or more axes (plain FITS images from elsewhere). Tables for ``spectrum`` are the
``EXTRACT1D`` HDUs of x1d products (``COMBINE1D`` for c1d), or any binary table with
``WAVELENGTH`` and ``FLUX`` columns; their size limit counts table cells (rows x columns).
"""

from __future__ import annotations

import contextlib
import math
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning

from jwstdata.fitsmeta.hdus import FitsReadError, RawHdu, scan
from jwstdata.inflate import InflateError, InflateLimitError, InflateLimits, inflated_copy
from jwstdata.processing.registry import ProcessingError

DO_NOT_USE = 1  # JWST DQ bit 0: the pipeline's "exclude this pixel" flag
SPECTRUM_EXTENSIONS = ("EXTRACT1D", "COMBINE1D")
_READ_ERRORS = (OSError, ValueError, TypeError, IndexError, KeyError, EOFError)


@dataclass(frozen=True)
class ImageInfo:
    """What the headers say about the image HDU, before any data is read."""

    extname: str  # "SCI" or "PRIMARY"
    shape: tuple[int, ...]  # numpy order: (..., ny, nx)
    bitpix: int
    compressed: bool  # gzip file: no memory mapping
    has_dq: bool
    header: fits.Header

    @property
    def pixels(self) -> int:
        return math.prod(self.shape)


@dataclass
class ImageData:
    info: ImageInfo
    sci: np.ndarray  # read-only; a memory map for plain files
    dq: np.ndarray | None  # same shape as sci, or None
    header: fits.Header  # the image HDU's header (units, WCS)
    dq_note: str | None = None  # why a DQ extension present was not used

    def valid_mask(self, mask_bits: int) -> np.ndarray:
        """True where a value is finite and none of ``mask_bits`` is set in DQ."""
        valid = np.isfinite(self.sci)
        if self.dq is not None and mask_bits:
            valid &= (self.dq & np.uint32(mask_bits)) == 0
        return valid


@dataclass
class SpectrumData:
    wavelength: np.ndarray
    flux: np.ndarray
    dq: np.ndarray | None
    wavelength_unit: str | None
    flux_unit: str | None
    flux_column: str
    extname: str
    index: int  # 1-based position among the spectrum tables
    available: int | None  # how many spectrum tables the file has (None: not counted, gzip)
    rows: int


def _corrupt(path: Path, reason: str) -> ProcessingError:
    return ProcessingError(f"{path.name}: {reason}", reason="corrupt")


def _oversize(path: Path, exc: InflateLimitError) -> ProcessingError:
    return ProcessingError(f"{path.name}: {exc.message}", reason="oversize", details=exc.details)


def _walk(
    path: Path, wanted: tuple[str, ...], inflate: InflateLimits | None = None
) -> tuple[list[RawHdu], bool]:
    try:
        result = scan(path, wanted=wanted, limits=inflate)
    except FitsReadError as exc:
        raise _corrupt(path, exc.reason) from None
    except InflateLimitError as exc:
        raise _oversize(path, exc) from None
    return result.hdus, result.compressed


def _parse_header(raw: bytes, path: Path) -> fits.Header:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            return fits.Header.fromstring(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _corrupt(path, f"unreadable header: {exc}") from None


def _axes(header: fits.Header, path: Path) -> tuple[int, ...]:
    """Array shape in numpy order (tile-compressed images use their ZNAXISn)."""
    prefix = "ZNAXIS" if header.get("ZIMAGE") is True else "NAXIS"
    try:
        naxis = int(header.get(prefix, 0))
        return tuple(int(header.get(f"{prefix}{i}", 0)) for i in range(naxis, 0, -1))
    except (TypeError, ValueError):
        raise _corrupt(path, f"invalid {prefix} keywords") from None


def check_pixels(count: int, max_pixels: int, what: str) -> None:
    if count > max_pixels:
        raise ProcessingError(
            f"{what} has {count:,} values, more than the limit of {max_pixels:,} "
            "(raise the processing pixel limit to process it)",
            reason="oversize",
            details={"pixels": count, "maxPixels": max_pixels},
        )


def inspect_image(
    path: str | Path, *, max_pixels: int, inflate: InflateLimits | None = None
) -> ImageInfo:
    """The image HDU's shape from the headers alone; refuses oversize and broken files."""
    path = Path(path)
    hdus, compressed = _walk(path, ("SCI",), inflate)
    sci = next((h for h in hdus if h.extname == "SCI" and h.header), None)
    if sci is None:
        primary = _parse_header(hdus[0].header, path)
        if len(_axes(primary, path)) < 2:
            names = ", ".join(h.extname for h in hdus[1:] if h.extname) or "none"
            raise ProcessingError(
                f"{path.name} has no SCI image extension (extensions: {names})",
                reason="no_science_data",
            )
        header, extname = primary, "PRIMARY"
    else:
        header, extname = _parse_header(sci.header, path), "SCI"
        is_table = sci.xtension not in ("IMAGE",) and header.get("ZIMAGE") is not True
        if is_table:
            raise ProcessingError(
                f"{path.name}: the SCI extension is a {sci.xtension} table, not an image",
                reason="not_an_image",
            )
    shape = _axes(header, path)
    if len(shape) < 2 or 0 in shape:
        raise ProcessingError(
            f"{path.name}: {extname} is not an image (shape {shape or 'empty'})",
            reason="not_an_image",
        )
    check_pixels(math.prod(shape), max_pixels, f"{path.name} {extname} {'x'.join(map(str, shape))}")
    # A gzip walk stops at SCI, so it cannot know about a DQ after it: try when reading.
    has_dq = compressed or any(h.extname == "DQ" for h in hdus)
    return ImageInfo(
        extname=extname,
        shape=shape,
        bitpix=int(header.get("BITPIX", 0)),
        compressed=compressed,
        has_dq=has_dq and extname == "SCI",
        header=header,
    )


@contextlib.contextmanager
def _astropy_file(
    path: Path, *, compressed: bool, inflate: InflateLimits | None = None
) -> Iterator[fits.HDUList]:
    """``fits.open`` with warnings silenced and read errors turned into ProcessingError.

    A compressed file is opened as its plain copy, inflated once within ``inflate``.
    Errors raised by the caller's own code inside the block pass through unchanged.
    """
    if compressed:
        try:
            limits = inflate or InflateLimits()
            with (
                inflated_copy(path, Path(tempfile.gettempdir()), limits) as plain,
                _astropy_file(plain, compressed=False) as hdul,
            ):
                yield hdul
        except InflateLimitError as exc:
            raise _oversize(path, exc) from None
        except InflateError as exc:
            raise _corrupt(path, str(exc)) from None
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        try:
            # memmap=None, not True: True makes astropy refuse scaled integer HDUs (the
            # uint32 DQ has BZERO) instead of reading them into memory.
            hdul = fits.open(
                path, memmap=False if compressed else None, lazy_load_hdus=True, mode="readonly"
            )
        except _READ_ERRORS as exc:
            raise _corrupt(path, f"cannot open: {exc}") from None
        with hdul:
            yield hdul


def _load(path: Path, what: str, loader: object) -> np.ndarray:
    try:
        data = loader() if callable(loader) else loader
    except ProcessingError:
        raise
    except _READ_ERRORS as exc:
        raise _corrupt(path, f"cannot read {what}: {exc}") from None
    if data is None:
        raise _corrupt(path, f"{what} has no data")
    return data


@contextlib.contextmanager
def open_image(
    path: str | Path,
    *,
    max_pixels: int,
    with_dq: bool = True,
    inflate: InflateLimits | None = None,
) -> Iterator[ImageData]:
    """The SCI image (and DQ), checked against ``max_pixels`` before anything is loaded.

    Use the arrays inside the ``with`` block only: for plain files they map the file, which
    is closed when the block ends.
    """
    path = Path(path)
    info = inspect_image(path, max_pixels=max_pixels, inflate=inflate)
    with _astropy_file(path, compressed=info.compressed, inflate=inflate) as hdul:
        hdu = _load(path, info.extname, lambda: hdul[info.extname])
        sci = _load(path, f"{info.extname} data", lambda: hdu.data)
        if tuple(sci.shape) != info.shape:
            raise _corrupt(path, f"{info.extname} data has shape {sci.shape}, not {info.shape}")
        dq, note = None, None
        if with_dq and info.has_dq:
            dq, note = _read_dq(path, hdul, info)
        yield ImageData(info=info, sci=sci, dq=dq, header=hdu.header, dq_note=note)


def _read_dq(
    path: Path, hdul: fits.HDUList, info: ImageInfo
) -> tuple[np.ndarray | None, str | None]:
    try:
        hdu = hdul["DQ"]
    except KeyError:
        return None, None
    except _READ_ERRORS as exc:
        raise _corrupt(path, f"cannot read DQ: {exc}") from None
    if not isinstance(hdu, fits.ImageHDU | fits.CompImageHDU):
        return None, "DQ is not an image"
    shape = _axes(hdu.header, path)
    if shape != info.shape:
        return None, f"DQ shape {shape} differs from SCI {info.shape}"
    dq = _load(path, "DQ data", lambda: hdu.data)
    if dq.dtype.kind not in "iu":
        return None, f"DQ has non-integer type {dq.dtype}"
    return dq, None


def select_plane(sci: np.ndarray, *, plane: int | None, suffix: str | None) -> np.ndarray:
    """One 2-D image of an array of any dimension (a view: a memory map stays lazy).

    The leading axes are flattened; ``plane`` indexes them (negative from the end). The
    default: the last group of the first integration of ``uncal`` ramps (the most signal),
    the middle wavelength of an ``s3d`` cube, otherwise the first plane.
    """
    if sci.ndim == 2:
        return sci
    planes = sci.reshape(-1, *sci.shape[-2:]) if sci.flags.c_contiguous else None
    count = math.prod(sci.shape[:-2])
    if plane is None:
        if suffix == "uncal" and sci.ndim == 4:
            plane = sci.shape[1] - 1
        elif suffix == "s3d":
            plane = count // 2
        else:
            plane = 0
    if not -count <= plane < count:
        raise ProcessingError(
            f"plane {plane} is out of range: the data has {count} planes "
            f"(shape {'x'.join(map(str, sci.shape))})",
            reason="bad_parameters",
        )
    if planes is not None:
        return planes[plane]
    index = np.unravel_index(plane % count, sci.shape[:-2])
    return sci[index]


def _spectrum_columns(hdu: fits.BinTableHDU) -> bool:
    names = {n.upper() for n in hdu.columns.names or ()}
    return {"WAVELENGTH", "FLUX"} <= names


@contextlib.contextmanager
def open_spectrum(
    path: str | Path,
    *,
    max_pixels: int,
    index: int = 1,
    flux_column: str = "FLUX",
    inflate: InflateLimits | None = None,
) -> Iterator[SpectrumData]:
    """The ``index``-th (1-based) spectrum table of an x1d/c1d file."""
    path = Path(path)
    hdus, compressed = _walk(path, SPECTRUM_EXTENSIONS, inflate)
    available = None if compressed else sum(h.extname in SPECTRUM_EXTENSIONS for h in hdus)
    with _astropy_file(path, compressed=compressed, inflate=inflate) as hdul:
        found = 0
        for position in range(1, 10_000):
            try:
                hdu = hdul[position]
            except IndexError:
                break
            except _READ_ERRORS as exc:
                raise _corrupt(path, f"cannot read HDU {position}: {exc}") from None
            if not isinstance(hdu, fits.BinTableHDU) or not (
                hdu.name in SPECTRUM_EXTENSIONS or _spectrum_columns(hdu)
            ):
                continue
            found += 1
            if found == index:
                yield _spectrum(path, hdu, index, available, max_pixels, flux_column)
                return
    if found == 0:
        raise ProcessingError(
            f"{path.name} has no spectrum table (EXTRACT1D with WAVELENGTH and FLUX)",
            reason="not_a_spectrum",
        )
    raise ProcessingError(
        f"spectrum {index} does not exist: {path.name} has {found}", reason="bad_parameters"
    )


def _spectrum(
    path: Path,
    hdu: fits.BinTableHDU,
    index: int,
    available: int | None,
    max_pixels: int,
    flux_column: str,
) -> SpectrumData:
    rows = int(hdu.header.get("NAXIS2", 0))
    cells = rows * int(hdu.header.get("TFIELDS", 0))
    check_pixels(cells, max_pixels, f"{path.name} {hdu.name} table ({rows:,} rows)")
    names = {n.upper(): n for n in hdu.columns.names or ()}
    if "WAVELENGTH" not in names or flux_column.upper() not in names:
        raise ProcessingError(
            f"{path.name} {hdu.name} lacks WAVELENGTH or {flux_column} "
            f"(columns: {', '.join(names.values())})",
            reason="not_a_spectrum",
        )
    table = _load(path, f"{hdu.name} table", lambda: hdu.data)
    wave_col = hdu.columns[names["WAVELENGTH"]]
    flux_col = hdu.columns[names[flux_column.upper()]]
    wavelength = np.asarray(_load(path, "WAVELENGTH", lambda: table[wave_col.name]), float)
    flux = np.asarray(_load(path, flux_column, lambda: table[flux_col.name]), float)
    dq = np.asarray(table[names["DQ"]]) if "DQ" in names else None
    if wavelength.ndim == 2:  # one row per spectrum (multi-source products): take the first
        wavelength, flux = wavelength[0], flux[0]
        dq = dq[0] if dq is not None and dq.ndim == 2 else None
    if dq is not None and (dq.shape != flux.shape or dq.dtype.kind not in "iu"):
        dq = None
    return SpectrumData(
        wavelength=wavelength,
        flux=flux,
        dq=dq,
        wavelength_unit=wave_col.unit,
        flux_unit=flux_col.unit,
        flux_column=flux_col.name,
        extname=hdu.name,
        index=index,
        available=available,
        rows=rows,
    )
