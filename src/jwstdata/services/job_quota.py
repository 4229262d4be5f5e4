"""A per-user cap on active jobs, so one user cannot fill the queue for everyone.

Jobs a user asks for (processing runs, MAST imports, resumes) count against
``JWSTDATA_MAX_ACTIVE_JOBS_PER_USER`` while queued or running; jobs the system queues on
its own (automatic previews after an ingest) do not, and administrators are not limited.
Beyond the cap a request is refused with 429 (``rate_limited``).

The check counts, inserts, then counts again and withdraws its own job if parallel requests
went past the cap together: the cap may refuse a request too many under a race, never
admit one.
"""

from __future__ import annotations

from collections.abc import Callable

from bson import ObjectId

from jwstdata.db.jobs import JobRepository
from jwstdata.errors import RateLimitedError
from jwstdata.models import AccessContext
from jwstdata.models.job import Job

RETRY_AFTER_SECONDS = 30


def _refuse(limit: int, active: int) -> RateLimitedError:
    return RateLimitedError(
        f"you have {active} jobs queued or running (at most {limit}): wait for some to "
        "finish, or cancel some",
        retry_after=RETRY_AFTER_SECONDS,
        details={"limit": limit, "active": active},
    )


def check_quota(jobs: JobRepository, ctx: AccessContext, limit: int) -> None:
    """Refuse when the caller already has ``limit`` active jobs."""
    if ctx.is_admin or ctx.user_id is None:
        return
    active = jobs.count_active(ctx.user_id)
    if active >= limit:
        raise _refuse(limit, active)


def submit_within_quota(
    jobs: JobRepository, ctx: AccessContext, limit: int, submit: Callable[[], Job]
) -> Job:
    """Run ``submit`` (which queues one job of the caller) if the caller is under the cap."""
    check_quota(jobs, ctx, limit)
    job = submit()
    user: ObjectId | None = ctx.user_id
    if ctx.is_admin or user is None:
        return job
    active = jobs.count_active(user)
    if active > limit and job.id is not None and jobs.withdraw(job.id):
        raise _refuse(limit, active - 1)
    return job


__all__ = ["check_quota", "submit_within_quota"]
