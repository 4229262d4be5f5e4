"""The helpers that replaced hand-written copies: content digests, secrets from a variable
or a file, and "is this storage key still used?"."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from bson import ObjectId
from pydantic import SecretStr

from jwstdata.config import secret_from
from jwstdata.db import RecordRepository
from jwstdata.digests import sha256_of
from jwstdata.errors import ConfigurationError
from jwstdata.services.storage_walk import stream_sha256
from jwstdata.storage import StorageProvider
from tests.factories import make_record

CONTENT = os.urandom(3 * 1024 * 1024 + 17)  # more than one read of file_digest's buffer
EXPECTED = (len(CONTENT), hashlib.sha256(CONTENT).hexdigest())


class _ReadOnly:
    """A stream with ``read(n)`` only, like an HTTP body."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._data.read(n)


def test_sha256_of_a_path_a_file_and_a_bare_stream(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(CONTENT)
    assert sha256_of(path) == EXPECTED
    assert sha256_of(str(path)) == EXPECTED
    with open(path, "rb") as handle:
        assert sha256_of(handle) == EXPECTED
    assert sha256_of(_ReadOnly(CONTENT)) == EXPECTED
    assert sha256_of(io.BytesIO(b"")) == (0, hashlib.sha256(b"").hexdigest())


@pytest.mark.parametrize("provider", ["local_storage", "s3_storage"])
def test_stream_sha256_of_a_stored_object(provider: str, request: pytest.FixtureRequest) -> None:
    storage: StorageProvider = request.getfixturevalue(provider)
    written = storage.write_stream("digests/blob.bin", io.BytesIO(CONTENT))
    assert stream_sha256(storage, "digests/blob.bin") == EXPECTED == (written.size, written.sha256)


def test_secret_from_the_variable_then_the_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_text("  from-file\n", encoding="utf-8")
    assert secret_from(SecretStr(" from-var "), secret_file, "MAST_TOKEN") == "from-var"
    assert secret_from(SecretStr("  "), secret_file, "MAST_TOKEN") == "from-file"
    assert secret_from(None, secret_file, "MAST_TOKEN") == "from-file"
    assert secret_from(None, None, "MAST_TOKEN") is None


def test_secret_file_problems_are_configuration_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"JWSTDATA_SECRET_KEY_FILE .*empty is empty"):
        secret_from(None, empty, "SECRET_KEY")
    with pytest.raises(ConfigurationError, match="cannot read JWSTDATA_MONGODB_URI_FILE"):
        secret_from(None, tmp_path / "missing", "MONGODB_URI")


def test_keys_in_use(repo: RecordRepository) -> None:
    owner_a, owner_b = ObjectId(), ObjectId()
    shared = "mast/jw01/shared.fits"
    first = repo.create(make_record(userId=owner_a, filePath=shared))
    repo.create(make_record(userId=owner_b, filePath=shared))
    only = repo.create(make_record(userId=owner_a, filePath="uploads/only.fits"))
    assert repo.keys_in_use([shared, "uploads/only.fits", "nobody/uses.fits"]) == {
        shared,
        "uploads/only.fits",
    }
    assert repo.keys_in_use([]) == set()
    assert repo.key_in_use(shared, except_id=first.object_id)  # the other owner still uses it
    assert not repo.key_in_use("uploads/only.fits", except_id=only.object_id)
    assert not repo.key_in_use("nobody/uses.fits")
