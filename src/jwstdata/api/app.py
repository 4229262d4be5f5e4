"""The FastAPI application: ``create_app(settings)`` wires services, routes and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from jwstdata import __version__
from jwstdata.api import errors
from jwstdata.api.container import Services
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
)
from jwstdata.config import Settings, load_settings
from jwstdata.errors import ConfigurationError
from jwstdata.services.auth import signing_secret
from jwstdata.web import routes as web
from jwstdata.web.session import BrowserSessions

DESCRIPTION = """Catalog, store, import and process JWST data.

Authenticate with `POST /api/auth/token` (OAuth2 password form) and send
`Authorization: Bearer <access token>`, or use an API key (`X-API-Key`). Anonymous callers
see public records only. Errors are `{"error": {"code", "message", "details"}}`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    signing_secret(settings)  # refuse to start without a secret outside development mode
    if "*" in settings.cors_origins:
        raise ConfigurationError(
            "JWSTDATA_CORS_ORIGINS may not contain '*' (credentials are allowed)"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = Services.build(settings)
        app.state.browser_sessions = BrowserSessions.build(app.state.services)
        try:
            yield
        finally:
            app.state.services.close()

    app = FastAPI(title="jwstdata", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    for router in (
        health.router,
        auth.router,
        files.router,
        pixels.router,
        fits_tools.router,
        tiles.router,
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
