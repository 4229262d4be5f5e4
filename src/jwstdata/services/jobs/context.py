"""What a running handler sees: its job's reporting channel and the shared services.

``progress`` and ``log`` only buffer; the worker's heartbeat thread flushes the buffer
with each lease renewal (every lease/3 seconds) and once more when the handler returns,
so a handler may report as often as it likes without a database write per call.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from jwstdata.errors import ValidationError
from jwstdata.models.base import utcnow
from jwstdata.models.job import LOG_TAIL_LINES, Job, stamp_line
from jwstdata.services.jobs.registry import JobCancelled

if TYPE_CHECKING:
    from jwstdata.config import Settings
    from jwstdata.db.jobs import JobRepository
    from jwstdata.db.records import RecordRepository
    from jwstdata.mast import Mast
    from jwstdata.storage import StorageProvider


class JobServices(Protocol):
    """What handlers may use, shared by every job a worker runs and thread-safe.

    The composition root (:class:`jwstdata.root.Root`) provides it; handlers never build
    repositories or open storage themselves.
    """

    @property
    def settings(self) -> Settings: ...

    @property
    def records(self) -> RecordRepository: ...

    @property
    def jobs(self) -> JobRepository: ...

    @property
    def storage(self) -> StorageProvider: ...

    @property
    def mast(self) -> Mast: ...

    def job_queue(self, retry_delay: float) -> JobRepository:
        """The queue the worker claims from, with its back-off before retries."""
        ...


class JobContext:
    def __init__(self, job: Job, services: JobServices) -> None:
        self.job = job
        self.services = services
        self._lock = threading.Lock()
        self._progress: dict[str, Any] = {}
        self._lines: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self._stop = threading.Event()
        self.stop_reason: str | None = None  # "stop" (cancel or lost lease) or "shutdown"

    # --- for handlers -------------------------------------------------------------------
    def progress(self, **fields: Any) -> None:
        """Merge fields into the job's progress, e.g. ``progress(done=3, total=10)``."""
        for key in fields:
            if key.startswith("$") or "." in key:
                raise ValidationError(f"invalid progress field {key!r}")
        with self._lock:
            self._progress.update(fields)

    def log(self, line: str) -> None:
        """Add a line to the job's log tail (time-stamped now)."""
        with self._lock:
            self._lines.append(stamp_line(utcnow(), line))

    def cancelled(self) -> bool:
        """True once the job should stop: cancel requested, lease lost or worker stopping."""
        return self._stop.is_set()

    def check_cancelled(self) -> None:
        if self._stop.is_set():
            raise JobCancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early to stop; True when the job should stop."""
        return self._stop.wait(max(seconds, 0.0))

    # --- for the worker -----------------------------------------------------------------
    def request_stop(self, reason: str = "stop") -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop.set()

    def take_pending(self) -> tuple[dict[str, Any], list[str]]:
        with self._lock:
            progress, lines = self._progress, list(self._lines)
            self._progress = {}
            self._lines.clear()
        return progress, lines

    def restore_pending(self, progress: dict[str, Any], lines: list[str]) -> None:
        """Put back what a failed flush took, under anything reported since."""
        with self._lock:
            self._progress = {**progress, **self._progress}
            newer = list(self._lines)
            self._lines.clear()
            self._lines.extend([*lines, *newer])
