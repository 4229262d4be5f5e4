"""Header-only walk over the HDUs of a FITS file (``.fits`` or gzip-compressed ``.fits.gz``).

The walk reads 2880-byte header blocks and seeks over the data, so the cost of a file is a
few block reads whatever its size. Only the headers the caller asks for are kept (as raw
bytes; :mod:`jwstdata.fitsmeta.cards` parses them), plus, optionally, the data of one small
table extension (the ``EXTRACT1D`` table of an ``x1d`` product).

Every way a file can be unreadable ends in :class:`FitsReadError`:

=====================================  =====================================================
file                                   reason
=====================================  =====================================================
missing / a directory / unreadable    ``file not found`` / ``not a regular file`` / ...
zero bytes (or an empty gzip stream)   ``empty file``
does not start with ``SIMPLE  =``      ``not a FITS file: no SIMPLE card``
header without an ``END`` card         ``truncated FITS file: header of HDU n ends before END``
header block shorter than 2880 bytes   ``truncated FITS file: header of HDU n is cut inside...``
header ends, declared data does not    ``truncated FITS file: data of HDU n (SCI) needs ...``
gzip stream cut short / damaged        ``truncated gzip stream`` / ``corrupt gzip stream``
non-ASCII header, bad NAXIS, garbage   ``corrupt FITS header: ...`` / ``corrupt FITS file: ...``
=====================================  =====================================================

Truncation rule. A plain ``.fits`` file is walked to its end (one header read per HDU, the
data skipped by seeking), and a file whose headers are complete but whose declared data is cut
short is *truncated* (an error), even when every header the caller wants was read: a partial
download must not enter the catalogue, and the check costs nothing but the walk. A
``.fits.gz`` file is walked only until the wanted headers are found, because reaching the
last HDU means decompressing the whole file; truncation is then detected only where the walk
went (a cut inside those headers). Verifying the whole gzip stream belongs to whoever reads
every byte anyway (the ingest checksum).
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from jwstdata.errors import ValidationError
from jwstdata.fitsmeta.cards import CARD, quoted_string, value_text
from jwstdata.inflate import BoundedStream, InflateLimits

BLOCK = 2880
GZIP_MAGIC = b"\x1f\x8b"
MAX_HEADER_BLOCKS = 10_000  # 28.8 MB of header without END: not a FITS header
MAX_TABLE_BYTES = 64 * 1024 * 1024  # larger EXTRACT1D tables are not read
_END_CARD = b"END" + b" " * 77


class FitsReadError(ValidationError):
    """A file that cannot be read as FITS: truncated, corrupt, not FITS, empty or missing."""

    code = "invalid_fits"

    def __init__(self, reason: str, *, path: str | os.PathLike[str] | None = None) -> None:
        self.reason = reason
        self.path = os.fspath(path) if path is not None else None
        message = f"{Path(self.path).name}: {reason}" if self.path else reason
        super().__init__(message, details=[{"field": "file", "message": reason}])


@dataclass(frozen=True)
class RawHdu:
    """One HDU as found by the walk; offsets are in the uncompressed stream."""

    index: int
    xtension: str | None  # None for the primary HDU
    extname: str | None
    header: bytes  # header blocks, END card included; empty when not kept
    data_offset: int
    data_size: int  # declared bytes, without the padding to 2880


@dataclass
class Scan:
    hdus: list[RawHdu] = field(default_factory=list)
    compressed: bool = False
    table_data: dict[int, bytes] = field(default_factory=dict)  # HDU index -> data bytes

    def first(self, extname: str) -> RawHdu | None:
        return next((h for h in self.hdus if h.extname == extname and h.header), None)


def _open(path: Path) -> BinaryIO:
    """Open for reading (a seam for tests that count the bytes read)."""
    return open(path, "rb")


def scan(
    path: str | os.PathLike[str],
    *,
    wanted: Collection[str] = ("SCI",),
    tables: Collection[str] = (),
    limits: InflateLimits | None = None,
) -> Scan:
    """Walk the HDUs of ``path``; keep the primary header and the first HDU of each ``wanted``
    EXTNAME, and the data of the first HDU of each ``tables`` EXTNAME.

    A compressed file stops at the first wanted HDU found (see the module docstring), and
    inflates within ``limits`` (:class:`InflateLimitError` past them).
    """
    p = Path(path)
    try:
        raw = _open(p)
    except FileNotFoundError:
        raise FitsReadError("file not found", path=p) from None
    except IsADirectoryError:
        raise FitsReadError("not a regular file", path=p) from None
    except PermissionError:
        raise FitsReadError("permission denied", path=p) from None
    except OSError as exc:
        raise FitsReadError(f"cannot open file: {exc.strerror or exc}", path=p) from None
    with raw:
        try:
            magic = raw.read(2)
            raw.seek(0)
            if magic == GZIP_MAGIC:
                bounded = BoundedStream(
                    gzip.GzipFile(fileobj=raw, mode="rb"), limits or InflateLimits(), p.name
                )
                with bounded as stream:
                    return _walk(stream, p, None, wanted, tables, compressed=True)  # type: ignore[arg-type]
            size = os.fstat(raw.fileno()).st_size
            return _walk(raw, p, size, wanted, tables, compressed=False)
        except FitsReadError:
            raise
        except EOFError:
            raise FitsReadError("truncated gzip stream", path=p) from None
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise FitsReadError(f"corrupt gzip stream: {exc}", path=p) from None
        except OSError as exc:
            raise FitsReadError(f"cannot read file: {exc.strerror or exc}", path=p) from None


def _walk(
    stream: BinaryIO,
    path: Path,
    size: int | None,
    wanted: Collection[str],
    tables: Collection[str],
    *,
    compressed: bool,
) -> Scan:
    result = Scan(compressed=compressed)
    seen: set[str] = set()
    offset = 0
    while True:
        index = len(result.hdus)
        first = stream.read(BLOCK)
        if not first:
            if index == 0:
                raise FitsReadError("empty file", path=path)
            return result
        if index == 0:
            if not first.startswith(b"SIMPLE  ="):
                raise FitsReadError("not a FITS file: no SIMPLE card", path=path)
        elif not first.startswith(b"XTENSION="):
            if not first.strip(b"\x00 "):  # zero or blank padding after the last HDU
                return result
            raise FitsReadError(
                f"corrupt FITS file: bytes at offset {offset} are not an extension header",
                path=path,
            )
        header = _read_header(stream, first, index, path)
        cards = _Cards(header, index, path)
        extname = cards.string(b"EXTNAME") if index else None
        data_size = cards.data_size()
        data_offset = offset + len(header)
        keep = (
            index == 0
            or (extname in wanted and extname not in seen)
            or (extname in tables and extname not in seen)
        )
        result.hdus.append(
            RawHdu(
                index=index,
                xtension=cards.string(b"XTENSION") if index else None,
                extname=extname,
                header=header if keep else b"",
                data_offset=data_offset,
                data_size=data_size,
            )
        )
        offset = data_offset + -(-data_size // BLOCK) * BLOCK
        if size is not None and data_offset + data_size > size:
            raise FitsReadError(
                f"truncated FITS file: data of HDU {index}"
                f"{f' ({extname})' if extname else ''} needs {data_size} bytes from offset "
                f"{data_offset}, file has {size} bytes",
                path=path,
            )
        if extname in tables and extname not in seen and 0 < data_size <= MAX_TABLE_BYTES:
            data = stream.read(data_size)
            if len(data) < data_size:
                raise FitsReadError(f"truncated FITS file: data of HDU {index}", path=path)
            result.table_data[index] = data
        if extname is not None:
            if compressed and (extname in wanted or extname in tables):
                return result  # decompressing further costs the whole file; see module doc
            seen.add(extname)
        stream.seek(offset)
        if compressed and stream.tell() != offset:
            raise FitsReadError(f"truncated FITS file: data of HDU {index}", path=path)


def _read_header(stream: BinaryIO, first: bytes, index: int, path: Path) -> bytes:
    blocks = [first]
    block = first
    while True:
        if len(block) < BLOCK:
            where = "is cut inside its last block" if _has_end(block) else "ends before END card"
            raise FitsReadError(f"truncated FITS file: header of HDU {index} {where}", path=path)
        if _has_end(block):
            return b"".join(blocks)
        if len(blocks) >= MAX_HEADER_BLOCKS:
            raise FitsReadError(f"corrupt FITS header: HDU {index} has no END card", path=path)
        block = stream.read(BLOCK)
        blocks.append(block)


def _has_end(block: bytes) -> bool:
    pos = block.find(b"END")
    while pos != -1:
        if pos % CARD == 0 and block[pos : pos + CARD].rstrip(b" ") == b"END":
            return True
        pos = block.find(b"END", pos + 1)
    return False


class _Cards:
    """The few structural keywords of a raw header, found without parsing every card."""

    def __init__(self, header: bytes, index: int, path: Path) -> None:
        self.header = header
        self.index = index
        self.path = path

    def _raw(self, key: bytes) -> bytes | None:
        pattern = key.ljust(8) + b"="
        pos = self.header.find(pattern)
        while pos != -1:
            if pos % CARD == 0:
                return self.header[pos + 10 : pos + CARD]
            pos = self.header.find(pattern, pos + 1)
        return None

    def integer(self, key: bytes, default: int | None = None) -> int:
        raw = self._raw(key)
        if raw is None:
            if default is None:
                self._fail(f"missing {key.decode()}")
            return default  # type: ignore[return-value]
        try:
            value = int(value_text(raw))
        except ValueError:
            self._fail(f"invalid {key.decode()} value")
        if value < 0:
            self._fail(f"negative {key.decode()} value")
        return value

    def string(self, key: bytes) -> str | None:
        raw = self._raw(key)
        if raw is None:
            return None
        text = raw.lstrip()
        if not text.startswith(b"'"):
            return None
        try:
            return (quoted_string(text, closed=True) or "").rstrip() or None
        except UnicodeDecodeError:
            return None

    def data_size(self) -> int:
        """Bytes of data declared by the header (FITS standard, section 4.4.1)."""
        bitpix = self._raw(b"BITPIX")
        try:
            bits = abs(int(value_text(bitpix))) if bitpix else 0
        except ValueError:
            bits = 0
        if bits not in (8, 16, 32, 64):
            self._fail("invalid BITPIX value")
        naxis = self.integer(b"NAXIS")
        if naxis > 999:
            self._fail("invalid NAXIS value")
        if naxis == 0:
            return 0
        axes = [self.integer(f"NAXIS{i}".encode()) for i in range(1, naxis + 1)]
        groups = self._raw(b"GROUPS")
        if groups is not None and groups.strip().startswith(b"T") and axes[0] == 0:
            axes = axes[1:]  # random groups: NAXIS1 = 0 is a marker
        count = 1
        for n in axes:
            count *= n
        pcount = self.integer(b"PCOUNT", 0)
        gcount = self.integer(b"GCOUNT", 1)
        return bits // 8 * gcount * (pcount + count)

    def _fail(self, what: str) -> None:
        raise FitsReadError(f"corrupt FITS header: {what} in HDU {self.index}", path=self.path)
