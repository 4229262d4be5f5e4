"""The web application: ``create_app(settings)`` puts the API's routes and errors and the
dashboard on the parts of the composition root (:mod:`jwstdata.root`, shared with the CLI
and the worker) in one FastAPI application (``jwstdata serve`` runs it under uvicorn)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from jwstdata import __version__
from jwstdata.api import errors
from jwstdata.api.cache import PrivateCache
from jwstdata.api.middleware import BodyLimit, SecurityHeaders
from jwstdata.api.routes import (
    auth,
    data,
    files,
    fits_tools,
    health,
    jobs,
    lineage,
    mast,
    pixels,
    processing,
    products,
    tiles,
    viewer_tools,
)
from jwstdata.config import Settings, load_settings
from jwstdata.http.container import check_server_settings, open_services
from jwstdata.http.session import BrowserSessions
from jwstdata.web import routes as web

DESCRIPTION = """Catalog, store, import and process JWST data.

Authenticate with `POST /api/auth/token` (OAuth2 password form) and send
`Authorization: Bearer <access token>`, or use an API key (`X-API-Key`). Anonymous callers
see public records only. Errors are `{"error": {"code", "message", "details"}}`."""
DOCS_ASSETS = "/static-docs"  # Swagger UI and ReDoc files, from the fastapi-offline package


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    check_server_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = open_services(settings)
        app.state.browser_sessions = BrowserSessions.build(app.state.services)
        # What start-up loaded (modules, schemas, services) lives as long as the process.
        # Frozen, it leaves the collector's generations, so a full collection no longer
        # walks it: at 100,000 records one library page in five took ~70 ms more for that
        # (README "Benchmarks"). Objects freed by reference counting are freed as before.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.services.close()

    # Swagger UI and ReDoc come from the installed package, not a CDN: /docs works offline.
    app = FastAPIOffline(
        title="jwstdata",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url=DOCS_ASSETS,
    )
    errors.install(app)
    for router in (
        health.router,
        auth.router,
        files.router,
        pixels.router,
        fits_tools.router,
        tiles.router,
        viewer_tools.router,
        data.router,
        lineage.router,
        mast.router,
        jobs.router,
        processing.router,
        products.router,
        web.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    app.add_middleware(BodyLimit, upload_limit=settings.max_upload_bytes)
    app.add_middleware(PrivateCache)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["*"],
        )
    app.add_middleware(SecurityHeaders)
    return app
