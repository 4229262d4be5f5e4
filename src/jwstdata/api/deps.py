"""The routes' request dependencies. They are shared with the dashboard's pages, so they live
in :mod:`jwstdata.http.deps` (below both); the routes keep importing them from here."""

from jwstdata.http.deps import (
    API_KEY_PREFIX,
    ContextDep,
    RecordIdDep,
    ServicesDep,
    SignedInDep,
    UserDep,
    context,
    current_user,
    record_id,
    require_user,
    services,
)

__all__ = [
    "API_KEY_PREFIX",
    "ContextDep",
    "RecordIdDep",
    "ServicesDep",
    "SignedInDep",
    "UserDep",
    "context",
    "current_user",
    "record_id",
    "require_user",
    "services",
]
