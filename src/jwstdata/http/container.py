"""What a request needs: the composition root, opened once at start-up and passed in (no
globals). Routes depend on :data:`Services` (``svc.records``, ``svc.auth``, ...)."""

from __future__ import annotations

from jwstdata.config import Settings
from jwstdata.errors import ConfigurationError
from jwstdata.root import Root
from jwstdata.services.auth import signing_secret

Services = Root  # the API, the dashboard, the CLI and the worker share one wiring

# Built at start-up rather than on the first request: a bad storage or MAST setting stops
# the server with one clear line instead of failing requests later.
STARTUP_PARTS = (
    "storage",
    "records",
    "record_service",
    "uploads",
    "auth",
    "lineage",
    "jobs",
    "mast",
)


def open_services(settings: Settings) -> Services:
    """The server's root: database open and initialised, request-time parts built."""
    root = Root(settings)
    try:
        root.initialise()
        for name in STARTUP_PARTS:
            getattr(root, name)
    except BaseException:
        root.close()
        raise
    return root


def check_server_settings(settings: Settings) -> None:
    """Refuse to serve on settings that cannot work (before anything is opened)."""
    signing_secret(settings)  # refuse to start without a secret outside development mode
    if "*" in settings.cors_origins:
        raise ConfigurationError(
            "JWSTDATA_CORS_ORIGINS may not contain '*' (credentials are allowed)"
        )
