"""The web dashboard: server-rendered pages (Jinja2) with small progressive JavaScript.

The pages are one more client of the services: every read and write goes through the same
services with the same :class:`~jwstdata.models.AccessContext` as the JSON API. Browser
sessions and CSRF protection live in :mod:`jwstdata.http.session` (shared with the API's
dependencies); the routers in :mod:`jwstdata.web.routes`.
"""
