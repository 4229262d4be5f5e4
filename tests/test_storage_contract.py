"""The storage contract: every test here runs against both providers, which must agree."""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import UTC
from pathlib import Path

import pytest

from jwstdata.errors import InvalidKeyError, NotFoundError, ValidationError
from jwstdata.storage import ObjectInfo, StorageProvider, WriteResult

DATA = bytes(range(256)) * 40  # 10240 bytes, every byte value
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@pytest.fixture(params=["local_storage", "s3_storage"])
def storage(request: pytest.FixtureRequest) -> StorageProvider:
    provider: StorageProvider = request.getfixturevalue(request.param)
    return provider


def put(storage: StorageProvider, key: str, data: bytes = DATA) -> WriteResult:
    return storage.write_stream(key, io.BytesIO(data))


def read(storage: StorageProvider, key: str, **kwargs: int | None) -> bytes:
    with storage.open_read(key, **kwargs) as stream:
        return stream.read()


class ShortReads(io.RawIOBase):
    """A source that hands out at most 1000 bytes per read, like a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, 1000) if size >= 0 else 1000)


class FailingSource(io.RawIOBase):
    """Yields ``good`` bytes, then raises."""

    def __init__(self, good: int) -> None:
        self._left = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            raise OSError("source went away")
        n = min(self._left, size if size >= 0 else self._left)
        self._left -= n
        return b"x" * n


def test_providers_implement_the_protocol(storage: StorageProvider) -> None:
    assert isinstance(storage, StorageProvider)
    storage.ping()
    assert storage.kind in storage.describe().lower()


def test_write_returns_size_and_sha256_and_reads_back(storage: StorageProvider) -> None:
    result = put(storage, "mast/jw01/a_i2d.fits")
    assert result == WriteResult(
        "mast/jw01/a_i2d.fits", len(DATA), hashlib.sha256(DATA).hexdigest()
    )
    assert read(storage, "mast/jw01/a_i2d.fits") == DATA
    assert storage.exists("mast/jw01/a_i2d.fits")
    assert storage.size("mast/jw01/a_i2d.fits") == len(DATA)


def test_stat_reports_size_time_etag_and_recorded_sha256(storage: StorageProvider) -> None:
    result = put(storage, "a/b.fits")
    info = storage.stat("a/b.fits")
    assert isinstance(info, ObjectInfo)
    assert (info.key, info.size, info.sha256) == ("a/b.fits", len(DATA), result.sha256)
    assert info.modified.tzinfo is not None and info.modified.utcoffset() == UTC.utcoffset(None)
    assert info.etag


def test_write_path(storage: StorageProvider, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(DATA * 3)
    result = storage.write_path("uploads/u1/x/source.bin", source)
    assert (result.size, result.sha256) == (len(DATA) * 3, hashlib.sha256(DATA * 3).hexdigest())
    assert read(storage, "uploads/u1/x/source.bin") == DATA * 3


def test_short_reads_from_the_source_are_fine(storage: StorageProvider) -> None:
    assert storage.write_stream("k", ShortReads(DATA)).size == len(DATA)
    assert read(storage, "k") == DATA


def test_overwrite_replaces_content_and_digest(storage: StorageProvider) -> None:
    put(storage, "k", b"first version")
    second = put(storage, "k", b"second")
    assert read(storage, "k") == b"second"
    assert storage.stat("k").sha256 == second.sha256 == hashlib.sha256(b"second").hexdigest()


def test_empty_object(storage: StorageProvider) -> None:
    assert put(storage, "empty", b"") == WriteResult("empty", 0, EMPTY_SHA256)
    assert read(storage, "empty") == b""
    assert read(storage, "empty", start=0, end=10) == b""
    assert storage.stat("empty").size == 0
    assert [i.key for i in storage.list()] == ["empty"]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, DATA),
        (0, 0, DATA[:1]),
        (0, 99, DATA[:100]),
        (100, 199, DATA[100:200]),
        (None, 9, DATA[:10]),
        (10_000, None, DATA[10_000:]),
        (10_000, 99_999, DATA[10_000:]),  # end past the object is clamped
        (len(DATA) - 1, None, DATA[-1:]),
        (len(DATA), None, b""),  # start at the end: nothing
        (len(DATA) + 5, len(DATA) + 10, b""),
    ],
    ids=lambda value: "-" if isinstance(value, bytes) else repr(value),
)
def test_byte_ranges_are_inclusive(
    storage: StorageProvider, start: int | None, end: int | None, expected: bytes
) -> None:
    put(storage, "ranged")
    assert read(storage, "ranged", start=start, end=end) == expected


@pytest.mark.parametrize(("start", "end"), [(-1, None), (5, 4), (None, -1)])
def test_invalid_ranges_are_refused(
    storage: StorageProvider, start: int | None, end: int | None
) -> None:
    put(storage, "ranged")
    with pytest.raises(ValidationError):
        storage.open_read("ranged", start=start, end=end)


def test_read_stream_is_a_file_object(storage: StorageProvider) -> None:
    put(storage, "k")
    with storage.open_read("k", start=1, end=1000) as stream:
        assert stream.read(10) == DATA[1:11]
        buffer = bytearray(90)
        assert stream.readinto(buffer) == 90 and bytes(buffer) == DATA[11:101]
        assert stream.read() == DATA[101:1001]
        assert stream.read() == b""
    assert stream.closed


def test_missing_objects(storage: StorageProvider) -> None:
    with pytest.raises(NotFoundError):
        storage.open_read("no/such/key")
    with pytest.raises(NotFoundError):
        storage.stat("no/such/key")
    with pytest.raises(NotFoundError):
        storage.size("no/such/key")
    assert not storage.exists("no/such/key")
    storage.delete("no/such/key")  # idempotent
    assert list(storage.list("no/such")) == []
    assert storage.delete_prefix("no/such") == 0


def test_delete_is_idempotent_and_frees_the_name(storage: StorageProvider) -> None:
    put(storage, "d/e/f")
    storage.delete("d/e/f")
    storage.delete("d/e/f")
    assert not storage.exists("d/e/f")
    assert list(storage.list()) == []
    put(storage, "d", b"a file where a folder was")  # nothing of d/ is left behind
    assert read(storage, "d") == b"a file where a folder was"


KEYS = ["a-c", "a/b/1", "a/b/2", "a/c", "ab", "z/y", "é/ω.fits"]


def test_list_is_recursive_sorted_and_sized(storage: StorageProvider) -> None:
    for i, key in enumerate(reversed(KEYS)):
        put(storage, key, b"x" * i)
    listed = list(storage.list())
    assert [i.key for i in listed] == sorted(KEYS, key=lambda k: k.encode())
    sizes = {i.key: i.size for i in listed}
    assert sizes == {key: i for i, key in enumerate(reversed(KEYS))}
    assert all(i.sha256 is None and i.modified.tzinfo is not None for i in listed)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("a", ["a/b/1", "a/b/2", "a/c"]),
        ("a/", ["a/b/1", "a/b/2", "a/c"]),
        ("a/b", ["a/b/1", "a/b/2"]),
        ("a/b/1", ["a/b/1"]),
        ("a/b/", ["a/b/1", "a/b/2"]),
        ("a/b/3", []),
        ("b", []),
        ("", sorted(KEYS, key=lambda k: k.encode())),
    ],
)
def test_list_by_prefix_matches_whole_segments(
    storage: StorageProvider, prefix: str, expected: list[str]
) -> None:
    for key in KEYS:
        put(storage, key, b"x")
    assert [i.key for i in storage.list(prefix)] == expected


def test_delete_prefix(storage: StorageProvider) -> None:
    for key in KEYS:
        put(storage, key, b"x")
    assert storage.delete_prefix("a/") == 3
    assert [i.key for i in storage.list()] == ["a-c", "ab", "z/y", "é/ω.fits"]
    assert storage.delete_prefix("a") == 0
    assert storage.delete_prefix("z/y") == 1
    assert [i.key for i in storage.list()] == ["a-c", "ab", "é/ω.fits"]


@pytest.mark.parametrize("prefix", ["", "/", "../a", "a//b"])
def test_delete_prefix_never_deletes_everything(storage: StorageProvider, prefix: str) -> None:
    put(storage, "keep")
    with pytest.raises(InvalidKeyError):
        storage.delete_prefix(prefix)
    assert storage.exists("keep")


BAD_KEYS = [
    "",
    "../escape",
    "a/../../b",
    "/absolute",
    "C:/windows",
    "a//b",
    "a/./b",
    "trailing/",
    "back\\slash",
    "nul\x00byte",
    "tab\tchar",
    "x" * 256,
    "a/" * 600,
]

# As prefixes, a trailing "/" is ignored and "" (everything) may be listed.
PREFIX_ONLY_FINE = {"list": ("", "trailing/"), "delete_prefix": ("trailing/",)}

OPERATIONS = {
    "open_read": lambda s, k: s.open_read(k),
    "write_stream": lambda s, k: s.write_stream(k, io.BytesIO(b"x")),
    "stat": lambda s, k: s.stat(k),
    "exists": lambda s, k: s.exists(k),
    "size": lambda s, k: s.size(k),
    "delete": lambda s, k: s.delete(k),
    "delete_prefix": lambda s, k: s.delete_prefix(k),
    "list": lambda s, k: s.list(k),
    "presigned_url": lambda s, k: s.presigned_url(k),
    "local_path": lambda s, k: s.local_path(k),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_every_operation_validates_its_key(storage: StorageProvider, operation: str) -> None:
    call = OPERATIONS[operation]
    for key in BAD_KEYS:
        if key in PREFIX_ONLY_FINE.get(operation, ()):
            continue
        with pytest.raises(InvalidKeyError):
            call(storage, key)
    assert list(storage.list()) == []


def test_keys_are_normalised_to_nfc(storage: StorageProvider) -> None:
    decomposed = "cafe\u0301/image.fits"
    result = put(storage, decomposed, b"nfc")
    assert result.key == "caf\u00e9/image.fits"
    assert read(storage, "caf\u00e9/image.fits") == b"nfc"
    assert read(storage, decomposed) == b"nfc"
    assert [i.key for i in storage.list()] == ["caf\u00e9/image.fits"]


def test_a_failing_source_leaves_nothing(storage: StorageProvider) -> None:
    put(storage, "k", b"old")
    with pytest.raises(OSError, match="source went away"):
        storage.write_stream("k", FailingSource(good=3000))
    with pytest.raises(OSError, match="source went away"):
        storage.write_stream("new", FailingSource(good=3000))
    assert read(storage, "k") == b"old"
    assert [i.key for i in storage.list()] == ["k"]


def test_concurrent_writers_never_mix_content(storage: StorageProvider) -> None:
    payloads = [bytes([i]) * 50_000 for i in range(4)]
    threads = [threading.Thread(target=put, args=(storage, "shared", p)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert read(storage, "shared") in payloads
    assert [i.key for i in storage.list()] == ["shared"]


def test_presigned_url_and_local_path_are_optional(storage: StorageProvider) -> None:
    put(storage, "k")
    url = storage.presigned_url("k", expires=60)
    path = storage.local_path("k")
    assert (url is None) != (path is None)  # each provider offers exactly one of the two
    with pytest.raises(ValidationError):
        storage.presigned_url("k", expires=0)
