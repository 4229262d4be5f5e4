"""Choosing the storage provider: the one place ``JWSTDATA_STORAGE`` is interpreted."""

from __future__ import annotations

from collections.abc import Callable

from jwstdata.config import Settings, StorageKind
from jwstdata.errors import ConfigurationError
from jwstdata.storage.base import StorageProvider
from jwstdata.storage.local import LocalStorage
from jwstdata.storage.s3 import S3Storage

PROVIDERS: dict[StorageKind, Callable[[Settings], StorageProvider]] = {
    StorageKind.local: LocalStorage.from_settings,
    StorageKind.s3: S3Storage.from_settings,
}


def open_storage(settings: Settings) -> StorageProvider:
    """The provider named by ``settings.storage``, configured from ``settings``."""
    try:
        make = PROVIDERS[StorageKind(settings.storage)]
    except (KeyError, ValueError):
        choices = ", ".join(kind.value for kind in PROVIDERS)
        raise ConfigurationError(
            f"unknown JWSTDATA_STORAGE {settings.storage!r} (choose one of: {choices})"
        ) from None
    return make(settings)
