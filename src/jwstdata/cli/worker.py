"""``jwstdata worker``: run queued jobs (processing, imports) from the shared database."""

from __future__ import annotations

import logging
import sys

import typer

from jwstdata.cli.common import console, open_root


def worker(
    concurrency: int = typer.Option(
        1, "--concurrency", "-c", min=1, max=64, help="Jobs run at the same time."
    ),
    kinds: str | None = typer.Option(
        None, "--kinds", help="Comma-separated job kinds to run (default: every kind)."
    ),
    once: bool = typer.Option(False, "--once", help="Run one waiting job, if any, and exit."),
    lease_seconds: float = typer.Option(
        30.0, "--lease-seconds", min=0.5, help="A job whose worker is silent this long is retried."
    ),
    poll_interval: float = typer.Option(
        1.0, "--poll-interval", min=0.05, help="Seconds between looks at an empty queue."
    ),
    retry_delay: float = typer.Option(
        5.0, "--retry-delay", min=0.0, help="Back-off before the first retry (doubles after)."
    ),
    grace: float = typer.Option(
        10.0, "--grace", min=0.0, help="On SIGTERM, seconds running jobs get to finish."
    ),
) -> None:
    """Claim and run jobs until stopped (SIGTERM/Ctrl-C finish or hand back running jobs)."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    wanted = [k.strip() for k in kinds.split(",") if k.strip()] if kinds else None
    with open_root() as root:
        runner = root.worker(
            concurrency,
            wanted,
            lease_seconds=lease_seconds,
            poll_interval=poll_interval,
            retry_delay=retry_delay,
            grace_seconds=grace,
        )
        if not once:
            runner.run_forever()
            return
        job = runner.run_once()
    if job is None:
        console.print("no job waiting")
    else:
        console.print(f"job {job.id} ({job.kind}) {job.state.value}", highlight=False)
