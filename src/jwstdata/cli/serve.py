"""``jwstdata serve``: the API and dashboard under uvicorn (optionally with a worker)."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import typer

from jwstdata.cli.common import console, settings


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", help="Server processes."),
    with_worker: bool = typer.Option(
        False, "--with-worker", help="Also run one job worker (imports, processing) beside the API."
    ),
) -> None:
    """Serve the REST API and dashboard on http://HOST:PORT (OpenAPI at /docs)."""
    import uvicorn

    from jwstdata.api import create_app

    cfg = settings()
    create_app(cfg)  # fail fast, with one clear line, on bad configuration
    worker = None
    if with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "jwstdata", "worker"])
    console.print(f"jwstdata on http://{host}:{port} (API docs: http://{host}:{port}/docs)")
    try:
        uvicorn.run(
            "jwstdata.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=False,
        )
    finally:
        if worker is not None:
            worker.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=30)
