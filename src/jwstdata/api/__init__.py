"""The REST API (FastAPI). Routes stay thin; services do the work."""

from jwstdata.api.app import create_app

__all__ = ["create_app"]
