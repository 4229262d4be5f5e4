"""``jwstdata serve``: the API and dashboard under uvicorn (optionally with a worker)."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys

import typer

from jwstdata.cli.common import console, settings


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes."),
    with_worker: bool = typer.Option(
        False, "--with-worker", help="Also run one job worker (imports, processing) beside the API."
    ),
) -> None:
    """Serve the REST API and dashboard on http://HOST:PORT (OpenAPI at /docs)."""
    import uvicorn

    from jwstdata.http.container import check_server_settings

    cfg = settings()
    check_server_settings(cfg)  # fail fast, with one clear line, on bad configuration
    # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default handler
    # that kills this process before `finally` runs and the worker would be left behind.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    worker = None
    try:
        if with_worker:
            worker = subprocess.Popen([sys.executable, "-m", "jwstdata", "worker"])
        base = f"http://{host}:{port}"
        console.print(f"jwstdata dashboard on {base}/ (API docs: {base}/docs)", highlight=False)
        uvicorn.run(
            "jwstdata.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=False,
        )
    finally:
        if worker is not None:
            worker.terminate()  # the worker hands its running jobs back to the queue
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(timeout=5)
        if cfg.embedded:
            console.print(
                "the embedded database is still running (the CLI uses it): "
                "stop it with `jwstdata db stop`",
                highlight=False,
            )


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)  # a requested stop, done cleanly: not a failure
