"""``Cache-Control: private, no-store`` on API answers to signed-in callers.

What a signed-in caller reads may be private; no shared cache (proxy, CDN) may keep it and
no browser may store it, unless the route chose its own policy (downloads, pixels).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PRIVATE = b"private, no-store"
_CREDENTIALS = (b"authorization", b"x-api-key")
_SESSION_COOKIE = b"jwst_session="


def _authenticated(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name in _CREDENTIALS or (name == b"cookie" and _SESSION_COOKIE in value):
            return True
    return False


class PrivateCache:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith("/api/")
            or not _authenticated(scope)
        ):
            await self.app(scope, receive, send)
            return

        async def with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    message["headers"] = [*headers, (b"cache-control", PRIVATE)]
            await send(message)

        await self.app(scope, receive, with_cache_control)
