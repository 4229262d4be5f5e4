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
from jwstdata.storage.factory import PROVIDERS, open_storage
from jwstdata.storage.local import LocalStorage
from jwstdata.storage.s3 import S3Storage

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
]
