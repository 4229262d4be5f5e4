"""File storage behind one small protocol: a local folder or an S3 bucket.

>>> from jwstdata.config import Settings
>>> storage = open_storage(Settings(storage="local", storage_root="/tmp/jwst-files"))
>>> storage.describe()
'local storage at /tmp/jwst-files'
"""

from jwstdata.storage.base import (
    DEFAULT_PRESIGN_SECONDS,
    ObjectInfo,
    StorageProvider,
    SupportsRead,
    WriteResult,
)
from jwstdata.storage.factory import PROVIDERS, open_storage, open_storage_of
from jwstdata.storage.local import LocalStorage


def __getattr__(name: str) -> object:
    """``S3Storage`` is imported on first use: boto3 is slow to import and often unused."""
    if name == "S3Storage":
        from jwstdata.storage.s3 import S3Storage

        return S3Storage
    raise AttributeError(name)


__all__ = [
    "DEFAULT_PRESIGN_SECONDS",
    "PROVIDERS",
    "LocalStorage",
    "ObjectInfo",
    "S3Storage",
    "StorageProvider",
    "SupportsRead",
    "WriteResult",
    "open_storage",
    "open_storage_of",
]
