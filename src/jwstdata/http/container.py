"""Everything a request needs, built once at start-up and passed in (no globals)."""

from __future__ import annotations

from dataclasses import dataclass

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository, init_database, open_database
from jwstdata.db.jobs import JobRepository
from jwstdata.errors import ConfigurationError
from jwstdata.mast import Mast, open_mast
from jwstdata.services.auth import AuthService, signing_secret
from jwstdata.services.lineage_queries import LineageQueries
from jwstdata.services.records import RecordService
from jwstdata.services.upload import UploadService
from jwstdata.storage import StorageProvider, open_storage


@dataclass
class Services:
    settings: Settings
    handle: DatabaseHandle
    storage: StorageProvider
    records: RecordRepository
    record_service: RecordService
    uploads: UploadService
    auth: AuthService
    lineage: LineageQueries
    jobs: JobRepository
    mast: Mast

    @classmethod
    def build(cls, settings: Settings) -> Services:
        handle = open_database(settings)
        init_database(handle)
        storage = open_storage(settings)
        records = RecordRepository.for_database(handle)
        return cls(
            settings=settings,
            handle=handle,
            storage=storage,
            records=records,
            record_service=RecordService(records, storage),
            uploads=UploadService(records, storage, settings),
            auth=AuthService(handle, settings),
            lineage=LineageQueries(records),
            jobs=JobRepository.for_database(handle),
            mast=open_mast(settings),
        )

    def close(self) -> None:
        self.mast.close()
        self.handle.close()


def check_server_settings(settings: Settings) -> None:
    """Refuse to serve on settings that cannot work (before anything is opened)."""
    signing_secret(settings)  # refuse to start without a secret outside development mode
    if "*" in settings.cors_origins:
        raise ConfigurationError(
            "JWSTDATA_CORS_ORIGINS may not contain '*' (credentials are allowed)"
        )
