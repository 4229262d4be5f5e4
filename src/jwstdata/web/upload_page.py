"""The upload page: the files go to ``POST /api/data/upload``, one request per file.

The page's script sends each dropped or chosen file with its own progress bar and error
message, using the session cookie and the CSRF header (see :mod:`jwstdata.http.session`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jwstdata.http.deps import ServicesDep
from jwstdata.web.pages import PageRoute, SignedInDep, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ACCEPTED = ".fits,.fits.gz,.fit,.fts,.png,.jpg,.jpeg,.tif,.tiff,.csv,.ecsv,.json,.asdf"


@router.get("/upload")
def upload_page(request: Request, svc: ServicesDep, _: SignedInDep) -> Response:
    return render(
        request,
        "upload.html",
        max_bytes=svc.settings.max_upload_bytes,
        accepted=ACCEPTED,
    )
