"""The local provider: atomic writes, permissions, the root boundary, folders and xattrs."""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jwstdata.config import Settings
from jwstdata.errors import InvalidKeyError, NotFoundError, StorageError
from jwstdata.storage import LocalStorage, open_storage

KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from jwstdata.storage import LocalStorage

    class Endless:
        sent = 0
        def read(self, size=-1):
            if self.sent >= 8 * 1024 * 1024:
                if self.sent == 8 * 1024 * 1024:
                    print("half-way", flush=True)
                time.sleep(0.01)
            chunk = min(size, 1024 * 1024)
            self.sent += chunk
            return b"\\x01" * chunk

    LocalStorage(sys.argv[1]).write_stream("big/cube.fits", Endless())
    """
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def temp_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob(".tmp-*") if p.is_file())


def test_a_killed_writer_leaves_no_file_under_the_key(
    local_storage: LocalStorage, tmp_path: Path
) -> None:
    local_storage.write_stream("big/cube.fits", io.BytesIO(b"previous version"))
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(local_storage.root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "half-way"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL

    leftovers = temp_files(local_storage.root)
    assert len(leftovers) == 1 and leftovers[0].stat().st_size >= 8 * 1024 * 1024
    with local_storage.open_read("big/cube.fits") as stream:
        assert stream.read() == b"previous version"
    assert [i.key for i in local_storage.list()] == ["big/cube.fits"]
    assert local_storage.delete_prefix("big") == 1  # the abandoned temp is not an object
    assert list(local_storage.list()) == []


def test_a_failing_write_removes_its_temp_file(local_storage: LocalStorage) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            raise ValueError("boom")

    local_storage.write_stream("a/keep", io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="boom"):
        local_storage.write_stream("a/b", Broken())
    assert temp_files(local_storage.root) == []


@pytest.mark.parametrize(
    ("umask", "file_mode", "dir_mode"),
    [(0o022, 0o640, 0o750), (0o002, 0o640, 0o750), (0o027, 0o640, 0o750), (0o077, 0o600, 0o700)],
    ids=oct,
)
def test_permissions_follow_the_umask(
    tmp_path: Path, umask: int, file_mode: int, dir_mode: int
) -> None:
    storage = LocalStorage(tmp_path / "files")
    previous = os.umask(umask)
    try:
        storage.write_stream("a/b/c.fits", io.BytesIO(b"x"))
        storage.write_stream("a/b/c.fits", io.BytesIO(b"overwritten"))
    finally:
        os.umask(previous)
    root = storage.root
    assert [mode(root), mode(root / "a"), mode(root / "a" / "b")] == [dir_mode] * 3
    assert mode(root / "a" / "b" / "c.fits") == file_mode


@pytest.fixture
def escape(local_storage: LocalStorage, tmp_path: Path) -> Path:
    """A secret outside the root, reachable through symlinks planted inside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    local_storage.write_stream("real/file", io.BytesIO(b"inside"))
    (local_storage.root / "link").symlink_to(outside, target_is_directory=True)
    (local_storage.root / "real" / "passwd").symlink_to(outside / "secret.txt")
    (local_storage.root / "loop").symlink_to(local_storage.root / "loop")
    return outside


ESCAPING_KEYS = ["link/secret.txt", "link/new.txt", "real/passwd", "loop", "loop/x"]


@pytest.mark.parametrize("key", ESCAPING_KEYS)
def test_symlinks_cannot_leave_the_root(
    local_storage: LocalStorage, escape: Path, key: str
) -> None:
    calls = [
        lambda: local_storage.open_read(key),
        lambda: local_storage.stat(key),
        lambda: local_storage.exists(key),
        lambda: local_storage.size(key),
        lambda: local_storage.delete(key),
        lambda: local_storage.write_stream(key, io.BytesIO(b"overwrite")),
        lambda: local_storage.local_path(key),
        lambda: local_storage.delete_prefix(key),
        lambda: local_storage.list(key),
    ]
    for call in calls:
        with pytest.raises(InvalidKeyError):
            call()
    assert sorted(p.name for p in escape.iterdir()) == ["secret.txt"]
    assert (escape / "secret.txt").read_text() == "secret"


def test_listing_never_follows_symlinks(local_storage: LocalStorage, escape: Path) -> None:
    assert [i.key for i in local_storage.list()] == ["real/file"]
    assert local_storage.delete_prefix("real") == 1
    assert (escape / "secret.txt").read_text() == "secret"


def test_symlinks_inside_the_root_are_followed(local_storage: LocalStorage) -> None:
    local_storage.write_stream("real/file", io.BytesIO(b"inside"))
    (local_storage.root / "alias").symlink_to(local_storage.root / "real")
    with local_storage.open_read("alias/file") as stream:
        assert stream.read() == b"inside"


def test_temp_names_are_reserved(local_storage: LocalStorage) -> None:
    with pytest.raises(InvalidKeyError, match="reserved"):
        local_storage.write_stream("a/.tmp-" + "0" * 32, io.BytesIO(b"x"))
    local_storage.write_stream("a/.tmp-not-ours", io.BytesIO(b"x"))  # other dot names are keys
    assert [i.key for i in local_storage.list()] == ["a/.tmp-not-ours"]


def test_folders_are_not_objects(local_storage: LocalStorage) -> None:
    # A filesystem cannot hold both "a/b" and "a/b/c"; S3 can. Such writes fail clearly.
    local_storage.write_stream("a/b/c", io.BytesIO(b"x"))
    for call in (local_storage.open_read, local_storage.stat, local_storage.size):
        with pytest.raises(NotFoundError):
            call("a/b")
    assert not local_storage.exists("a/b")
    local_storage.delete("a/b")  # a folder is not a key: nothing happens
    with pytest.raises(StorageError):
        local_storage.write_stream("a/b", io.BytesIO(b"x"))
    with pytest.raises(StorageError, match="is a stored file"):
        local_storage.write_stream("a/b/c/d", io.BytesIO(b"x"))
    assert [i.key for i in local_storage.list()] == ["a/b/c"]
    assert temp_files(local_storage.root) == []


def test_delete_prunes_empty_folders_but_keeps_the_root(local_storage: LocalStorage) -> None:
    local_storage.write_stream("a/b/c", io.BytesIO(b"x"))
    local_storage.write_stream("a/d", io.BytesIO(b"x"))
    local_storage.delete("a/b/c")
    assert sorted(p.name for p in (local_storage.root / "a").iterdir()) == ["d"]
    local_storage.delete_prefix("a")
    assert local_storage.root.is_dir() and list(local_storage.root.iterdir()) == []


def test_recorded_sha256_is_dropped_when_the_file_changes(local_storage: LocalStorage) -> None:
    result = local_storage.write_stream("k", io.BytesIO(b"content"))
    assert local_storage.stat("k").sha256 == result.sha256
    path = local_storage.local_path("k")
    assert path is not None
    with open(path, "ab") as edit:
        edit.write(b" edited behind our back")
    assert local_storage.stat("k").sha256 is None


def test_local_path_and_presigned_url(local_storage: LocalStorage) -> None:
    local_storage.write_stream("mast/x/y.fits", io.BytesIO(b"x"))
    assert local_storage.local_path("mast/x/y.fits") == local_storage.root / "mast/x/y.fits"
    assert local_storage.presigned_url("mast/x/y.fits") is None


def test_ping_creates_the_root_and_reports_an_unusable_one(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "new" / "root")
    storage.ping()
    assert storage.root.is_dir() and list(storage.root.iterdir()) == []
    (tmp_path / "a-file").write_bytes(b"")
    with pytest.raises(StorageError, match="not writable"):
        LocalStorage(tmp_path / "a-file").ping()


def test_factory_chooses_the_local_provider(tmp_path: Path) -> None:
    explicit = open_storage(Settings(storage="local", storage_root=tmp_path / "files"))
    assert isinstance(explicit, LocalStorage) and explicit.root == tmp_path / "files"
    default = open_storage(Settings(storage="local", home=tmp_path / "home", storage_root=None))
    assert isinstance(default, LocalStorage) and default.root == tmp_path / "home" / "files"
    assert str(tmp_path) in default.describe()
