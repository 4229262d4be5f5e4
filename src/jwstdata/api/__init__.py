"""The REST API (FastAPI routes, error envelope, middleware). Routes stay thin; services do
the work. The application that serves it with the dashboard is :mod:`jwstdata.app`."""
