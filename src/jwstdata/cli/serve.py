"""``jwstdata serve``: the API (and dashboard) under uvicorn."""

from __future__ import annotations

import typer

from jwstdata.cli.common import console, settings


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", help="Server processes."),
) -> None:
    """Serve the REST API on http://HOST:PORT (OpenAPI at /docs)."""
    import uvicorn

    from jwstdata.api import create_app

    cfg = settings()
    create_app(cfg)  # fail fast, with one clear line, on bad configuration
    console.print(f"jwstdata API on http://{host}:{port} (docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "jwstdata.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
    )
