"""Choosing the storage provider: the one place ``JWSTDATA_STORAGE`` is interpreted."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from jwstdata.config import Settings, StorageKind
from jwstdata.errors import ConfigurationError
from jwstdata.storage.base import StorageProvider
from jwstdata.storage.local import LocalStorage

if TYPE_CHECKING:
    from jwstdata.storage.s3 import S3Storage


def local_from_settings(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.local_storage_root)


def s3_from_settings(settings: Settings) -> S3Storage:
    from jwstdata.storage.s3 import S3Storage  # boto3 costs ~0.5 s to import: only when used

    if not settings.s3_bucket:
        raise ConfigurationError("JWSTDATA_S3_BUCKET is required when JWSTDATA_STORAGE=s3")
    return S3Storage(
        settings.s3_bucket,
        prefix=settings.s3_prefix,
        endpoint_url=settings.s3_endpoint_url or None,
        region=settings.s3_region or None,
        path_style=settings.s3_path_style,
        part_size=settings.s3_part_size,
        concurrency=settings.s3_concurrency,
    )


PROVIDERS: dict[StorageKind, Callable[[Settings], StorageProvider]] = {
    StorageKind.local: local_from_settings,
    StorageKind.s3: s3_from_settings,
}


def open_storage(settings: Settings) -> StorageProvider:
    """The provider named by ``settings.storage``, configured from ``settings``."""
    return open_storage_of(settings, settings.storage)


def open_storage_of(settings: Settings, kind: str) -> StorageProvider:
    """A provider of ``kind`` configured from ``settings``, whichever one is active.

    Storage migration uses this to open its target (e.g. S3 while ``JWSTDATA_STORAGE``
    is still ``local``).
    """
    try:
        make = PROVIDERS[StorageKind(kind)]
    except (KeyError, ValueError):
        choices = ", ".join(kind.value for kind in PROVIDERS)
        raise ConfigurationError(
            f"unknown JWSTDATA_STORAGE {kind!r} (choose one of: {choices})"
        ) from None
    return make(settings)
