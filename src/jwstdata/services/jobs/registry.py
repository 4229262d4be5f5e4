"""Job kinds and their handlers, registered by name.

A kind is one module: it registers its handler with ``@job_handler("kind")`` and its module
name is listed in :data:`HANDLER_MODULES`, which workers and the CLI import on start.

A handler is ``handler(job, ctx) -> dict``: it reads ``job.params`` (and ``job.progress``
to carry on after a retry or a resume), reports through ``ctx.progress(...)`` and
``ctx.log(...)``, checks ``ctx.cancelled()`` between steps and raises :class:`JobCancelled`
to stop; what it returns is stored as the job's ``result``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jwstdata.errors import ConfigurationError, ValidationError

if TYPE_CHECKING:
    from jwstdata.models.job import Job
    from jwstdata.services.jobs.context import JobContext

JobHandler = Callable[["Job", "JobContext"], "dict[str, Any] | None"]

# Modules whose import registers job kinds; a new kind adds its module here.
HANDLER_MODULES: tuple[str, ...] = (
    "jwstdata.services.jobs.builtin",
    "jwstdata.services.mast.importer",
    "jwstdata.services.processing_jobs",
    "jwstdata.services.imaging_jobs",
)


class JobCancelled(Exception):
    """Raised by a handler that stopped because ``ctx.cancelled()`` said so."""


class JobFailed(Exception):
    """A handler's own failure; ``retry=False`` when trying again cannot help."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: JobHandler
    tracks_record: bool = False  # the job's record's processingStatus follows the job
    description: str = ""


class JobRegistry:
    def __init__(self) -> None:
        self._kinds: dict[str, JobKind] = {}

    def register(
        self,
        kind: str,
        handler: JobHandler,
        *,
        tracks_record: bool = False,
        description: str | None = None,
    ) -> JobKind:
        existing = self._kinds.get(kind)
        if existing is not None and existing.handler is not handler:
            raise ConfigurationError(f"job kind {kind!r} is registered twice")
        doc = description if description is not None else (handler.__doc__ or "")
        entry = JobKind(kind, handler, tracks_record, doc.strip().split("\n")[0])
        self._kinds[kind] = entry
        return entry

    def handler(
        self, kind: str, *, tracks_record: bool = False
    ) -> Callable[[JobHandler], JobHandler]:
        def decorate(handler: JobHandler) -> JobHandler:
            self.register(kind, handler, tracks_record=tracks_record)
            return handler

        return decorate

    def get(self, kind: str) -> JobKind:
        try:
            return self._kinds[kind]
        except KeyError:
            known = ", ".join(self.kinds()) or "none"
            raise ValidationError(f"unknown job kind {kind!r} (known: {known})") from None

    def kinds(self) -> list[str]:
        return sorted(self._kinds)

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds


# The registry job modules register into (like Tiled's serialization registries);
# workers take a registry argument, so tests can pass their own.
DEFAULT_REGISTRY = JobRegistry()


def job_handler(kind: str, *, tracks_record: bool = False) -> Callable[[JobHandler], JobHandler]:
    """Register the decorated function as the handler of ``kind``."""
    return DEFAULT_REGISTRY.handler(kind, tracks_record=tracks_record)


def register(kind: str, handler: JobHandler, *, tracks_record: bool = False) -> JobKind:
    return DEFAULT_REGISTRY.register(kind, handler, tracks_record=tracks_record)


def load_handlers() -> JobRegistry:
    """Import every module of :data:`HANDLER_MODULES`; the default registry, filled."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return DEFAULT_REGISTRY
