"""``jwstdata serve``: the API and dashboard under uvicorn (optionally with a worker)."""

from __future__ import annotations

import os
import signal
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
    from jwstdata.services.supervisor import Supervisor

    cfg = settings()
    state_file = cfg.home_dir / "run" / "worker.json"
    if with_worker:
        # The API (this process or uvicorn's children) reads the worker's state for readiness.
        os.environ["JWSTDATA_WORKER_STATE_FILE"] = str(state_file)
        cfg = cfg.model_copy(update={"worker_state_file": state_file})
    check_server_settings(cfg)  # fail fast, with one clear line, on bad configuration
    # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default handler
    # that kills this process before `finally` runs and the worker would be left behind.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    worker = None
    try:
        if with_worker:
            # Supervised: a worker that dies is started again (with back-off).
            worker = Supervisor([sys.executable, "-m", "jwstdata", "worker"], state_file)
            worker.start()
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
            worker.stop()  # SIGTERM: the worker hands its running jobs back to the queue
        if cfg.embedded:
            console.print(
                "the embedded database is still running (the CLI uses it): "
                "stop it with `jwstdata db stop`",
                highlight=False,
            )


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)  # a requested stop, done cleanly: not a failure
