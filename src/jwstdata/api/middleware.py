"""ASGI middleware: security headers on every response, and request body limits.

The body limit counts bytes as they arrive (``Content-Length`` is checked first when
present), so an oversized upload is refused with 413 without being read to the end.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# Everything (the dashboard included) gets the strict policy: own scripts and styles only,
# no inline code. Only the interactive API docs run Swagger UI/ReDoc's inline bootstrap code.
STRICT_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    b"frame-ancestors 'none'"
)
DOCS_CSP = (
    b"default-src 'self'; img-src 'self' data: blob:; "
    b"style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
    b"worker-src 'self' blob:; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
UPLOAD_PATHS = ("/api/data/upload",)
DEFAULT_BODY_LIMIT = 1024 * 1024


def security_headers(path: str) -> dict[str, str]:
    """The headers SecurityHeaders adds, for an answer sent outside the middleware."""
    csp = DOCS_CSP if path.startswith(DOCS_PATHS) else STRICT_CSP
    pairs = [*SECURITY_HEADERS, (b"content-security-policy", csp)]
    return {k.decode(): v.decode() for k, v in pairs}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else STRICT_CSP
        headers = [*SECURITY_HEADERS, (b"content-security-policy", csp)]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in headers if k not in existing
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(
        self, app: ASGIApp, *, upload_limit: int, default_limit: int = DEFAULT_BODY_LIMIT
    ) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.default_limit = default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] in UPLOAD_PATHS else self.default_limit
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _reject(send, limit)
            return
        received = 0
        started = False
        exceeded = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # The app may have turned the aborted read into its own error (FastAPI
                # answers 400 to any failure while parsing a body): the answer is 413.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _reject(send, limit)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reject(send, limit)


async def _reject(send: Send, limit: int) -> None:
    body: dict[str, Any] = {
        "error": {
            "code": "payload_too_large",
            "message": f"request body larger than {limit} bytes",
            "details": {"limit": limit},
        }
    }
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})
