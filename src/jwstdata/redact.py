"""Redaction of secrets in connection strings and free text."""

from __future__ import annotations

import re

# user:password@ in any scheme://... (mongodb, mongodb+srv, http...)
_USERINFO = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@"
)
# password=..., secret=..., token=... query parameters
_QUERY_SECRET = re.compile(
    r"(?P<key>(?:password|secret|token|tlsCertificateKeyFilePassword|authMechanismProperties)=)"
    r"(?P<val>[^&\s]*)",
    re.IGNORECASE,
)


def redact_uri(uri: str | None) -> str:
    """Return ``uri`` with any password replaced by ``***``.

    >>> redact_uri("mongodb://admin:password@mongodb:27017/?tls=true")
    'mongodb://admin:***@mongodb:27017/?tls=true'
    """
    if not uri:
        return ""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", uri)
    return _QUERY_SECRET.sub(lambda m: f"{m['key']}***", text)


def redact_text(text: str, *secrets: str | None) -> str:
    """Redact URIs in ``text`` and every literal secret given."""
    out = redact_uri(text)
    for secret in secrets:
        if secret:
            out = out.replace(secret, "***")
    return out
