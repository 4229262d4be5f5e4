"""Every dashboard page, as one router the application includes, and the static files.

Pages: library (``/library``), record (``/records/{id}``, with the owner's actions), lineage
(``/observations`` and ``/observations/{observationBaseId}``), upload (``/upload``), MAST
search and import (``/mast``), jobs (``/jobs`` and ``/jobs/{id}``), sign in and out
(``/signin``, ``/signout``), the sky (``/sky``) and, for administrators, users (``/admin/users``).
The JSON the pages' scripts read comes from the API itself (``/api/...``).
"""

from __future__ import annotations

from fastapi import APIRouter

from jwstdata.web import (
    account,
    jobs_page,
    library,
    lineage_page,
    mast_page,
    record_actions,
    record_page,
    sky_page,
    upload_page,
)
from jwstdata.web.pages import STATIC_DIR

router = APIRouter(include_in_schema=False)
for _pages in (
    library,
    record_page,
    record_actions,
    lineage_page,
    upload_page,
    mast_page,
    jobs_page,
    account,
    sky_page,
):
    router.include_router(_pages.router)

__all__ = ["STATIC_DIR", "router"]
