"""Built-in job kinds for checking a deployment (and for the tests).

``sleep``: sleeps ``seconds`` (default 1) in ``steps`` equal steps, reporting progress and
honouring cancellation between steps; after a lost worker or a resume it carries on from
the last step reported. ``fail``: fails with ``message``; retried like any failure unless
``retry`` is false.

    jwstdata jobs submit sleep --param seconds=30 --param steps=10
    jwstdata jobs submit fail --param message="disk on fire" --param retry=false
"""

from __future__ import annotations

import math
from typing import Any

from jwstdata.errors import ValidationError
from jwstdata.models.job import Job
from jwstdata.services.jobs.context import JobContext
from jwstdata.services.jobs.registry import JobCancelled, JobFailed, job_handler

MAX_SLEEP_SECONDS = 24 * 3600.0
MAX_STEPS = 10_000


@job_handler("sleep")
def sleep_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Sleep in steps, reporting progress; stops when cancelled."""
    seconds = _number(job.params, "seconds", 1.0, 0.0, MAX_SLEEP_SECONDS)
    default_steps = max(1, min(100, math.ceil(seconds)))
    steps = int(_number(job.params, "steps", default_steps, 1, MAX_STEPS))
    done = job.progress.get("done", 0) if job.progress.get("total") == steps else 0
    start = done if isinstance(done, int) and 0 <= done <= steps else 0
    if start:
        ctx.log(f"carrying on from step {start}/{steps}")
    for step in range(start, steps):
        if ctx.wait(seconds / steps):
            ctx.log(f"stopped after step {step}/{steps}")
            raise JobCancelled()
        ctx.progress(done=step + 1, total=steps, message=f"step {step + 1}/{steps}")
    ctx.log(f"slept {seconds:g} s in {steps} steps")
    return {"seconds": seconds, "steps": steps, "resumedFrom": start}


@job_handler("fail")
def fail_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Fail with the given message (to try retries and error reporting)."""
    message = str(job.params.get("message") or "failed on purpose")
    ctx.log(f"about to fail: {message}")
    if job.params.get("retry", True) is False:
        raise JobFailed(message, retry=False)
    raise RuntimeError(message)


def _number(params: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValidationError(f"param {name} must be a number from {low:g} to {high:g}")
    return float(value)
