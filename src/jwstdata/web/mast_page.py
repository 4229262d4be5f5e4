"""The MAST page: search the archive and import observations (``/mast``).

The page's script calls ``POST /api/mast/search`` and ``POST /api/mast/import`` with the
session cookie and the CSRF header; an import sends the browser to its job page
(``/jobs/{id}``, see :mod:`jwstdata.web.jobs_page`). Anyone may search; importing needs a
signed-in user.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jwstdata.web.pages import PageRoute, SessionDep, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LEVELS = ("L1", "L2a", "L2b", "L3")
INSTRUMENTS = ("NIRCAM", "NIRSPEC", "NIRISS", "MIRI", "FGS")


@router.get("/mast")
def mast_page(request: Request, session: SessionDep) -> Response:
    return render(
        request,
        "mast.html",
        levels=LEVELS,
        instruments=INSTRUMENTS,
        can_import=session is not None,
    )
