"""The web dashboard: server-rendered pages (Jinja2) with small progressive JavaScript.

The pages are one more client of the services: every read and write goes through the same
services with the same :class:`~jwstdata.models.AccessContext` as the JSON API. Browser
sessions and CSRF protection live in :mod:`jwstdata.web.session`; the routers in
:mod:`jwstdata.web.routes`. This module imports nothing, so the API's dependencies can use
the session module without pulling the pages in.
"""
