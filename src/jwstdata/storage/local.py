"""Local filesystem storage: each key is a file under one root directory.

Writes are atomic: bytes go to a temporary file (``.tmp-<32 hex>``) in the destination
directory, which is fsynced and renamed over the final name, then the directory is
fsynced. A writer killed mid-way leaves only a temporary file, which listing ignores and
which never appears under the final key. Files are created ``0o640`` and directories
``0o750``, both further restricted by the process umask.

The sha256 computed while writing is kept in an extended attribute together with the
file's size and mtime, so :meth:`LocalStorage.stat` can report it without re-reading and
ignores it once the file was changed behind our back (or the filesystem has no xattrs).

Keys resolve strictly inside the root: a key that reaches outside through a symlink is
refused with :class:`~jwstdata.errors.InvalidKeyError`; listing never follows symlinks.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat as stat_mode
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from os import PathLike
from pathlib import Path
from typing import BinaryIO

from jwstdata.errors import InvalidKeyError, NotFoundError, StorageError
from jwstdata.keys import validate_key
from jwstdata.storage.base import (
    DEFAULT_PRESIGN_SECONDS,
    ObjectInfo,
    RangeReader,
    StatShortcuts,
    SupportsRead,
    WriteResult,
    buffered,
    check_expiry,
    check_range,
    copy_hashing,
    is_listable_key,
    normalise_prefix,
)

FILE_MODE = 0o640
DIR_MODE = 0o750
TEMP_PREFIX = ".tmp-"
_TEMP_NAME = re.compile(r"\.tmp-[0-9a-f]{32}")
_SHA256_XATTR = "user.jwstdata.sha256"
_MISSING = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


def is_temp_name(name: str) -> bool:
    """True for the names of in-progress (or abandoned) writes."""
    return _TEMP_NAME.fullmatch(name) is not None


class LocalStorage(StatShortcuts):
    """Files under ``root`` (created on first write)."""

    kind = "local"

    def __init__(self, root: str | PathLike[str]) -> None:
        self._root = Path(root).expanduser().resolve()

    @property
    def root(self) -> Path:
        return self._root

    def describe(self) -> str:
        return f"local storage at {self._root}"

    def __repr__(self) -> str:
        return f"LocalStorage({str(self._root)!r})"

    def ping(self) -> None:
        """Check the root exists (creating it) and is writable, with a probe file."""
        try:
            fd, tmp = self._create_temp(self._root, "(probe)")
        except StorageError as exc:
            raise StorageError(f"{self.describe()} is not writable: {exc.message}") from exc
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)

    # --- reading ------------------------------------------------------------------------

    def open_read(self, key: str, *, start: int | None = None, end: int | None = None) -> BinaryIO:
        key, path = self._resolve(key)
        first, last = check_range(start, end)
        try:
            source = open(path, "rb", buffering=0)  # noqa: SIM115 - returned to the caller
        except _MISSING:
            raise _not_found(key) from None
        except OSError as exc:
            raise _os_error("read", key, exc) from exc
        try:
            info = os.fstat(source.fileno())
            if not stat_mode.S_ISREG(info.st_mode):
                raise _not_found(key)
            stop = info.st_size if last is None else min(last + 1, info.st_size)
            if first:
                source.seek(min(first, info.st_size))
        except BaseException:
            source.close()
            raise
        reader = RangeReader(
            source, max(0, stop - first), on_error=lambda exc: _os_error("read", key, exc)
        )
        return buffered(reader)

    def stat(self, key: str) -> ObjectInfo:
        key, path = self._resolve(key)
        info = self._stat_file(key, path)
        return _object_info(key, info, sha256=_recorded_sha256(path, info))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        entries = self._entries(normalise_prefix(prefix, allow_empty=True))
        return (_object_info(key, info) for key, _path, info in entries)

    def presigned_url(self, key: str, *, expires: int = DEFAULT_PRESIGN_SECONDS) -> str | None:
        validate_key(key)
        check_expiry(expires)
        return None

    def local_path(self, key: str) -> Path | None:
        """The file for ``key`` (whether or not it exists yet)."""
        return self._resolve(key)[1]

    # --- writing ------------------------------------------------------------------------

    def write_stream(
        self, key: str, stream: SupportsRead, *, content_type: str | None = None
    ) -> WriteResult:
        """Store ``stream`` under ``key``; ``content_type`` is not kept by this provider."""
        key, path = self._resolve(key)
        return self._write(key, path, stream, direct=False)

    def write_path(
        self, key: str, path: str | PathLike[str], *, content_type: str | None = None
    ) -> WriteResult:
        key, target = self._resolve(key)
        with open(path, "rb", buffering=0) as source:
            return self._write(key, target, source, direct=True)

    def delete(self, key: str) -> None:
        key, path = self._resolve(key)
        try:
            os.unlink(path)
        except _MISSING:
            return
        except OSError as exc:
            raise _os_error("delete", key, exc) from exc
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        prefix, top = self._resolve(normalise_prefix(prefix, allow_empty=False))
        deleted = 0
        for key, path, _info in self._entries(prefix):
            try:
                os.unlink(path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise _os_error("delete", key, exc) from exc
            deleted += 1
        if top.is_dir():
            for directory, _subdirs, _files in os.walk(top, topdown=False):
                with contextlib.suppress(OSError):
                    os.rmdir(directory)
        self._prune(top.parent)
        return deleted

    # --- internals ----------------------------------------------------------------------

    def _resolve(self, key: str) -> tuple[str, Path]:
        """The validated key and its real path, refused when it leaves the root."""
        key = validate_key(key)
        if is_temp_name(key.rsplit("/", 1)[-1]):
            raise _invalid(key, "names like '.tmp-<32 hex>' are reserved for writes in progress")
        try:
            path = self._root.joinpath(*key.split("/")).resolve()
        except (OSError, RuntimeError) as exc:  # symlink loops
            raise _invalid(key, f"cannot be resolved ({exc})") from None
        if path == self._root or not path.is_relative_to(self._root):
            raise _invalid(key, "resolves outside the storage root")
        return key, path

    def _stat_file(self, key: str, path: Path) -> os.stat_result:
        try:
            info = os.stat(path)
        except _MISSING:
            raise _not_found(key) from None
        except OSError as exc:
            raise _os_error("stat", key, exc) from exc
        if not stat_mode.S_ISREG(info.st_mode):
            raise _not_found(key)
        return info

    def _entries(self, prefix: str) -> Iterator[tuple[str, Path, os.stat_result]]:
        """(key, path, stat) for every stored file under ``prefix``, in key order."""
        if not prefix:
            return self._walk(self._root, "")
        prefix, path = self._resolve(prefix)

        def single_or_tree() -> Iterator[tuple[str, Path, os.stat_result]]:
            try:
                info = os.stat(path)
            except _MISSING:
                return
            except OSError as exc:
                raise _os_error("list", prefix, exc) from exc
            if stat_mode.S_ISDIR(info.st_mode):
                yield from self._walk(path, prefix)
            elif stat_mode.S_ISREG(info.st_mode) and not is_temp_name(path.name):
                yield prefix, path, info

        return single_or_tree()

    def _walk(self, directory: Path, prefix: str) -> Iterator[tuple[str, Path, os.stat_result]]:
        try:
            with os.scandir(directory) as scan:
                entries = list(scan)
        except _MISSING:
            return
        except OSError as exc:
            raise _os_error("list", prefix or "(root)", exc) from exc
        # A directory sorts as "name/" so the walk yields keys in plain byte order.
        ordered: list[tuple[str, os.DirEntry[str], bool]] = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                ordered.append((entry.name + "/", entry, True))
            elif entry.is_file(follow_symlinks=False) and not is_temp_name(entry.name):
                ordered.append((entry.name, entry, False))
        ordered.sort(key=lambda item: item[0])
        for _, entry, is_dir in ordered:
            key = f"{prefix}/{entry.name}" if prefix else entry.name
            if is_dir:
                yield from self._walk(Path(entry.path), key)
                continue
            if not is_listable_key(key):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            yield key, Path(entry.path), info

    def _write(self, key: str, path: Path, source: SupportsRead, *, direct: bool) -> WriteResult:
        fd, tmp = self._create_temp(path.parent, key)
        fd_open = True
        try:
            size, sha256 = copy_hashing(source, partial(_write_all, fd, key), direct=direct)
            try:
                with _os_errors("write", key):
                    os.fsync(fd)
                    _record_sha256(fd, sha256, size)
            finally:
                fd_open = False
                os.close(fd)
            with _os_errors("write", key):
                os.replace(tmp, path)
        except BaseException:
            if fd_open:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_directory(path.parent)
        return WriteResult(key=key, size=size, sha256=sha256)

    def _create_temp(self, directory: Path, key: str) -> tuple[int, Path]:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        for attempt in range(3):
            self._ensure_directory(directory, key)
            tmp = directory / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
            try:
                return os.open(tmp, flags, FILE_MODE), tmp
            except FileNotFoundError as exc:
                # A concurrent delete pruned the (empty) directory; create it again.
                if attempt == 2:
                    raise _os_error("write", key, exc) from exc
            except OSError as exc:
                raise _os_error("write", key, exc) from exc
        raise AssertionError("unreachable")

    def _ensure_directory(self, directory: Path, key: str) -> None:
        if directory.is_dir():
            return
        with _os_errors("write", key):
            os.makedirs(self._root, mode=DIR_MODE, exist_ok=True)
            current = self._root
            for part in directory.relative_to(self._root).parts:
                current = current / part
                try:
                    os.mkdir(current, DIR_MODE)
                except FileExistsError:
                    if not current.is_dir():
                        relative = current.relative_to(self._root).as_posix()
                        raise StorageError(
                            f"cannot write {key!r}: {relative!r} is a stored file, not a folder"
                        ) from None

    def _prune(self, directory: Path) -> None:
        """Remove now-empty folders from ``directory`` up to (not including) the root."""
        while directory != self._root and directory.is_relative_to(self._root):
            try:
                os.rmdir(directory)
            except OSError:
                return
            directory = directory.parent


# --- module helpers ----------------------------------------------------------------------


def _write_all(fd: int, key: str, chunk: memoryview | bytes) -> None:
    with _os_errors("write", key):
        written = 0
        while written < len(chunk):
            written += os.write(fd, chunk[written:])


def _record_sha256(fd: int, sha256: str, size: int) -> None:
    mtime_ns = os.fstat(fd).st_mtime_ns
    with contextlib.suppress(OSError):  # no xattrs here: stat() will report sha256=None
        os.setxattr(fd, _SHA256_XATTR, f"{sha256}:{size}:{mtime_ns}".encode())


def _recorded_sha256(path: Path, info: os.stat_result) -> str | None:
    try:
        sha256, size, mtime_ns = os.getxattr(path, _SHA256_XATTR).decode().split(":")
    except (OSError, ValueError):
        return None
    if int(size) != info.st_size or int(mtime_ns) != info.st_mtime_ns:
        return None
    return sha256


def _fsync_directory(directory: Path) -> None:
    # Best effort: the rename is already visible; some filesystems cannot fsync folders.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _object_info(key: str, info: os.stat_result, sha256: str | None = None) -> ObjectInfo:
    return ObjectInfo(
        key=key,
        size=info.st_size,
        modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
        etag=f"{info.st_mtime_ns:x}-{info.st_size:x}",
        sha256=sha256,
    )


def _not_found(key: str) -> NotFoundError:
    return NotFoundError(f"storage object {key!r} not found", details={"key": key})


def _invalid(key: str, problem: str) -> InvalidKeyError:
    return InvalidKeyError(
        f"invalid storage key {key!r}: {problem}",
        details=[{"field": "filePath", "message": problem}],
    )


def _os_error(action: str, key: str, exc: OSError | Exception) -> StorageError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return StorageError(f"local storage cannot {action} {key!r}: {reason}", details={"key": key})


@contextlib.contextmanager
def _os_errors(action: str, key: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise _os_error(action, key, exc) from exc
