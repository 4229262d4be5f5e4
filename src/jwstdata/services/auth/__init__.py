"""Users and authentication: passwords, access and refresh tokens, API keys, rate limits.

:class:`AuthService` is the entry point; :func:`signing_secret` is what the server calls at
start-up so that a missing secret stops it before it serves anything.
"""

from jwstdata.services.auth.service import AuthService
from jwstdata.services.auth.signing import MIN_SECRET_BYTES, signing_secret

__all__ = ["MIN_SECRET_BYTES", "AuthService", "signing_secret"]
