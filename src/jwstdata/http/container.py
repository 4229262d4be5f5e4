"""Everything a request needs, built once at start-up and passed in (no globals)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from jwstdata.config import Settings
from jwstdata.db import DatabaseHandle, RecordRepository, init_database, open_database
from jwstdata.db.embedded import EmbeddedServer
from jwstdata.db.jobs import JobRepository
from jwstdata.errors import ConfigurationError, JwstDataError
from jwstdata.mast import Mast, open_mast
from jwstdata.services.auth import AuthService, signing_secret
from jwstdata.services.lineage_queries import LineageQueries
from jwstdata.services.records import RecordService
from jwstdata.services.upload import UploadService
from jwstdata.storage import StorageProvider, open_storage

log = logging.getLogger("jwstdata.api")
HEAL_INTERVAL = 5.0  # seconds between attempts to bring the embedded database back


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
    _healing: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_heal: float = field(default=0.0, repr=False)

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

    def recover_database(self) -> None:
        """After a failed database call: restart the embedded server if it went away.

        The embedded server comes back on the port it had (kept in the home), so the open
        client reconnects by itself. Runs in the background, at most once per interval and
        never twice at a time; a configured server is left to its operator.
        """
        if not self.handle.embedded or time.monotonic() - self._last_heal < HEAL_INTERVAL:
            return
        if not self._healing.acquire(blocking=False):
            return
        self._last_heal = time.monotonic()
        threading.Thread(target=self._restart_embedded, name="db-recover", daemon=True).start()

    def _restart_embedded(self) -> None:
        try:
            state = EmbeddedServer(self.settings).start()
            if state.launched:
                log.warning("embedded database restarted on 127.0.0.1:%d", state.port)
        except JwstDataError as exc:
            log.warning("embedded database could not be restarted: %s", exc.message)
        finally:
            self._healing.release()

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
