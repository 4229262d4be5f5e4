"""``/sky``: the footprints of what you can see on RA/Dec axes (see ``static/sky.js``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jwstdata.http.deps import ServicesDep
from jwstdata.services.sky_map import build_sky_map
from jwstdata.web.pages import PageContextDep, PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/sky")
def sky(request: Request, svc: ServicesDep, ctx: PageContextDep) -> Response:
    return render(request, "sky.html", sky=build_sky_map(svc.records, ctx))
