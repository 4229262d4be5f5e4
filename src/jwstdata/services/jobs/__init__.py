"""Background jobs: the handler registry, the context handlers run in, and the worker.

The queue itself (claims, leases, retries, cancellation) is
:class:`jwstdata.db.jobs.JobRepository`; this package runs what it hands out.
"""

from jwstdata.services.jobs.context import JobContext, JobServices
from jwstdata.services.jobs.registry import (
    DEFAULT_REGISTRY,
    JobCancelled,
    JobFailed,
    JobKind,
    JobRegistry,
    job_handler,
    load_handlers,
    register,
)
from jwstdata.services.jobs.worker import Worker

__all__ = [
    "DEFAULT_REGISTRY",
    "JobCancelled",
    "JobContext",
    "JobFailed",
    "JobKind",
    "JobRegistry",
    "JobServices",
    "Worker",
    "job_handler",
    "load_handlers",
    "register",
]
