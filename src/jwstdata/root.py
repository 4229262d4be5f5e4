"""The composition root: the one place that turns settings into working parts.

settings → database handle → storage provider → repositories → services. The API and
dashboard (:mod:`jwstdata.http.container`), every CLI command and the job worker get their
parts from a :class:`Root`; nothing else constructs a repository, a storage provider or a
service (a test checks this).

Each part is imported and built on first use, once, under a lock (worker slots share the
root from several threads). A CLI command so pays only for what it touches:
``jwstdata users list`` never imports boto3 or astropy.

>>> root = Root(load_settings())          # nothing is opened yet
>>> root.records.get(record_id, ctx)      # opens the database, builds the repository
>>> root.close()                          # closes what was opened (the handle, MAST)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from jwstdata.config import Settings
    from jwstdata.db import DatabaseHandle, InitReport, RecordRepository
    from jwstdata.db.jobs import JobRepository
    from jwstdata.db.users import UserRepository
    from jwstdata.mast import Mast
    from jwstdata.services.archive import ArchiveService
    from jwstdata.services.auth import AuthService
    from jwstdata.services.backup import BackupService
    from jwstdata.services.backup_restore import RestoreService
    from jwstdata.services.ingest import IngestService
    from jwstdata.services.jobs import JobRegistry, Worker
    from jwstdata.services.lineage_queries import LineageQueries
    from jwstdata.services.record_writer import RecordWriter
    from jwstdata.services.records import RecordService
    from jwstdata.services.storage_check import StorageVerifier
    from jwstdata.services.storage_migrate import StorageMigrator
    from jwstdata.services.upload import UploadService
    from jwstdata.storage import StorageProvider

log = logging.getLogger("jwstdata.root")
HEAL_INTERVAL = 5.0  # seconds between attempts to bring the embedded database back

T = TypeVar("T")


class part(Generic[T]):
    """A part built on first use and kept: ``cached_property`` under the root's lock, so
    two threads asking at once never build (and leak) two clients."""

    def __init__(self, build: Callable[[Root], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, root: None, owner: type | None = None) -> part[T]: ...

    @overload
    def __get__(self, root: Root, owner: type | None = None) -> T: ...

    def __get__(self, root: Root | None, owner: type | None = None) -> part[T] | T:
        if root is None:
            return self
        built = root.__dict__.get(self.name)
        if built is not None:
            return built
        with root._lock:
            built = root.__dict__.get(self.name)
            if built is None:
                built = root.__dict__[self.name] = self.build(root)
        return built


class Root:
    """Every part of jwstdata, wired from ``settings``; close it when done.

    ``handle`` passes in a database that is already open (tests; the caller closes it);
    ``start_embedded`` and ``database`` shape how the handle is opened otherwise;
    ``on_open`` is told once the handle is open (the CLI says when it launched a server).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        handle: DatabaseHandle | None = None,
        start_embedded: bool = True,
        database: str | None = None,
        on_open: Callable[[DatabaseHandle], None] | None = None,
    ) -> None:
        self.settings = settings
        self._given_handle = handle
        self._start_embedded = start_embedded
        self._database = database
        self._on_open = on_open
        self._lock = threading.RLock()
        self._healing = threading.Lock()
        self._last_heal = 0.0

    # --- the database -------------------------------------------------------------------
    @part
    def handle(self) -> DatabaseHandle:
        """The open database: the given one, the configured server, or the embedded one
        (started on demand and initialised when this open launched it)."""
        if self._given_handle is not None:
            return self._given_handle
        from jwstdata.db import open_database

        handle = open_database(
            self.settings, start_embedded=self._start_embedded, database=self._database
        )
        if self._on_open is not None:
            self._on_open(handle)
        return handle

    def initialise(self) -> InitReport:
        """Collections, validator and every declared index (idempotent)."""
        from jwstdata.db import init_database

        return init_database(self.handle)

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
        from jwstdata.db.embedded import EmbeddedServer
        from jwstdata.errors import JwstDataError

        try:
            state = EmbeddedServer(self.settings).start()
            if state.launched:
                log.warning("embedded database restarted on 127.0.0.1:%d", state.port)
        except JwstDataError as exc:
            log.warning("embedded database could not be restarted: %s", exc.message)
        finally:
            self._healing.release()

    # --- repositories -------------------------------------------------------------------
    @part
    def records(self) -> RecordRepository:
        from jwstdata.db import RecordRepository

        return RecordRepository.for_database(self.handle)

    @part
    def jobs(self) -> JobRepository:
        from jwstdata.db.jobs import JobRepository

        return JobRepository.for_database(self.handle)

    def job_queue(self, retry_delay: float) -> JobRepository:
        """The job queue as a worker sees it: with its own back-off before retries."""
        from jwstdata.db.jobs import JobRepository

        return JobRepository.for_database(self.handle, retry_delay=retry_delay)

    @part
    def users(self) -> UserRepository:
        from jwstdata.db.users import UserRepository

        return UserRepository.for_database(self.handle)

    # --- storage and MAST ---------------------------------------------------------------
    @part
    def storage(self) -> StorageProvider:
        from jwstdata.storage import open_storage

        return open_storage(self.settings)

    def storage_of(self, kind: str) -> StorageProvider:
        """Another provider than the active one (the target of a storage migration)."""
        from jwstdata.storage import open_storage_of

        return open_storage_of(self.settings, kind)

    @part
    def mast(self) -> Mast:
        from jwstdata.mast import open_mast

        return open_mast(self.settings)

    # --- services -----------------------------------------------------------------------
    @part
    def auth(self) -> AuthService:
        from jwstdata.services.auth import AuthService

        return AuthService(self.handle, self.settings, users=self.users)

    @part
    def record_service(self) -> RecordService:
        from jwstdata.services.records import RecordService

        return RecordService(self.records, self.storage)

    @part
    def uploads(self) -> UploadService:
        from jwstdata.services.upload import UploadService

        return UploadService(self.records, self.storage, self.settings)

    @part
    def lineage(self) -> LineageQueries:
        from jwstdata.services.lineage_queries import LineageQueries

        return LineageQueries(self.records)

    @part
    def ingest(self) -> IngestService:
        from jwstdata.services.ingest import IngestService

        return IngestService(self.records, self.storage)

    @part
    def archive(self) -> ArchiveService:
        from jwstdata.services.archive import ArchiveService

        return ArchiveService(self.records, self.storage, self.settings)

    @part
    def record_writer(self) -> RecordWriter:
        from jwstdata.services.record_writer import RecordWriter

        return RecordWriter(self.records, self.storage)

    @part
    def storage_verifier(self) -> StorageVerifier:
        from jwstdata.services.storage_check import StorageVerifier

        return StorageVerifier(self.records, self.storage)

    def storage_migrator(self, target: StorageProvider) -> StorageMigrator:
        from jwstdata.services.storage_migrate import StorageMigrator

        return StorageMigrator(self.records, self.storage, target)

    @part
    def backup(self) -> BackupService:
        from jwstdata.services.backup import BackupService

        return BackupService(self.handle, self.storage, self.settings)

    @part
    def restore(self) -> RestoreService:
        from jwstdata.services.backup_restore import RestoreService

        return RestoreService(self.handle, self.storage, self.settings.backup_workers)

    def worker(
        self,
        concurrency: int = 1,
        kinds: list[str] | None = None,
        *,
        registry: JobRegistry | None = None,
        **options: Any,
    ) -> Worker:
        """A job worker running on this root's parts (it is their ``JobServices``)."""
        from jwstdata.services.jobs import Worker

        return Worker(self, concurrency, kinds, registry=registry, **options)

    # --- lifetime -----------------------------------------------------------------------
    def close(self) -> None:
        """Close what this root opened (a handle passed in stays open for its owner)."""
        with self._lock:
            built = {name: self.__dict__.pop(name) for name in _PARTS if name in self.__dict__}
        if "mast" in built:
            built["mast"].close()
        handle = built.get("handle")
        if handle is not None and handle is not self._given_handle:
            handle.close()

    def __enter__(self) -> Root:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_PARTS = tuple(name for name, value in vars(Root).items() if isinstance(value, part))
