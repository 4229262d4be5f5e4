"""The MAST API client: queries through ``/api/v0/invoke`` and file downloads, on httpx.

What it adds to what astroquery does (which has neither timeouts nor retries):

- **Queries** ``POST {base}/api/v0/invoke`` with the form field ``request=<json>``
  (``service``, ``params``, ``format: json``, ``pagesize``, ``page``). An ``EXECUTING`` answer is
  polled again with the same request (same ``cacheBreaker``, so MAST finds its running job) every
  ``poll_interval`` until ``poll_timeout``; then every page up to ``paging.pagesFiltered`` is
  fetched and the rows are concatenated. ``ERROR`` is a :class:`MastQueryError`.
- **Downloads** stream ``GET {base}/api/v0.1/Download/file?uri=<dataURI>`` into a binary stream.
  A body that ends early (dropped connection, or fewer bytes than ``Content-Length``) is resumed
  with ``Range: bytes=<offset>-``; a server that ignores Range gets its first bytes skipped.
  Attempts that make no progress count against the retry budget, so a file that is truncated at
  its source ends in :class:`MastIncompleteDownloadError` instead of a loop. 401/403 is
  :class:`MastExclusiveAccessError` (never retried).
- **Retries, redirects and the token** are the transport's (``jwstdata.mast.transport``):
  connection errors, timeouts, 429 and 5xx are retried a bounded number of times with
  exponential back-off and jitter (``Retry-After`` honoured); ``Authorization: token <t>`` goes
  only to the configured MAST origin, hop by hop, and never into a log line or an error.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO, Protocol

import httpx

from jwstdata.config import Settings, secret_from
from jwstdata.errors import (
    MastError,
    MastExclusiveAccessError,
    MastIncompleteDownloadError,
    MastQueryError,
    MastTimeoutError,
)
from jwstdata.mast.transport import (
    RETRYABLE_TRANSPORT,
    HttpTransport,
    RedactingLogger,
    RetryPolicy,
    describe,
)

INVOKE_PATH = "/api/v0/invoke"
DOWNLOAD_PATH = "/api/v0.1/Download/file"

__all__ = ["MastApi", "MastClient", "RedactingLogger", "RetryPolicy", "resolve_mast_token"]


class MastApi(Protocol):
    """What search and product listing need from a MAST connection."""

    def invoke(
        self, service: str, params: Mapping[str, Any], *, pagesize: int | None = None
    ) -> list[dict[str, Any]]: ...

    def invoke_once(self, service: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


def resolve_mast_token(settings: Settings) -> str | None:
    """The token from ``JWSTDATA_MAST_TOKEN`` or ``JWSTDATA_MAST_TOKEN_FILE``; None if unset."""
    return secret_from(settings.mast_token, settings.mast_token_file, "MAST_TOKEN")


class MastClient:
    """A connection to one MAST server. Thread-safe; use as a context manager or ``close()``."""

    def __init__(
        self,
        base_url: str = "https://mast.stsci.edu",
        *,
        token: str | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        poll_interval: float = 2.0,
        poll_timeout: float = 600.0,
        pagesize: int = 50_000,
        max_connections: int = 8,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = HttpTransport(
            base_url, token=token, connect_timeout=connect_timeout, read_timeout=read_timeout,
            retry=retry, max_connections=max_connections, transport=transport, sleep=sleep,
        )  # fmt: skip
        self.base_url = self.http.base_url
        self.retry = self.http.retry
        self.log = self.http.log
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.pagesize = pagesize
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> MastClient:
        options: dict[str, Any] = {
            "token": resolve_mast_token(settings),
            "connect_timeout": settings.mast_connect_timeout,
            "read_timeout": settings.mast_read_timeout,
            "retry": RetryPolicy(
                attempts=settings.mast_retries + 1,
                base_delay=settings.mast_backoff,
                max_delay=settings.mast_backoff_max,
            ),
            "poll_interval": settings.mast_poll_interval,
            "poll_timeout": settings.mast_poll_timeout,
            "pagesize": settings.mast_pagesize,
            "max_connections": max(settings.mast_concurrency * 2, 4),
        }
        options.update(overrides)
        return cls(settings.mast_url, **options)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> MastClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def has_token(self) -> bool:
        return self.http.has_token

    # --- transport ---------------------------------------------------------------------

    # --- queries -------------------------------------------------------------------------

    def invoke_once(self, service: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One query answer (polled past EXECUTING), for services that do not page."""
        request = {"service": service, "params": dict(params), "format": "json"}
        request["cacheBreaker"] = str(uuid.uuid4())
        return self._poll(request)

    def invoke(
        self, service: str, params: Mapping[str, Any], *, pagesize: int | None = None
    ) -> list[dict[str, Any]]:
        """All rows of a query, every page, in MAST's order."""
        request: dict[str, Any] = {
            "service": service,
            "params": dict(params),
            "format": "json",
            "pagesize": pagesize or self.pagesize,
            "page": 1,
            "cacheBreaker": str(uuid.uuid4()),
        }
        first = self._poll(request)
        rows = _rows_of(first)
        pages = int((first.get("paging") or {}).get("pagesFiltered") or 1)
        for page in range(2, pages + 1):
            rows.extend(_rows_of(self._poll({**request, "page": page})))
        self.log.debug("MAST %s: %d rows in %d page(s)", service, len(rows), pages)
        return rows

    def _poll(self, request: dict[str, Any]) -> dict[str, Any]:
        service = request["service"]
        what = f"query {service}" + (f" page {request['page']}" if request.get("page") else "")
        body = {"request": json.dumps(request)}
        headers = {"Accept": "application/json"}
        deadline = time.monotonic() + self.poll_timeout
        while True:
            response = self.http.request(
                "POST", self.base_url + INVOKE_PATH, what=what, data=body, headers=headers,
                read=True,
            )  # fmt: skip
            if response.status_code in (401, 403):
                raise MastExclusiveAccessError(
                    f"MAST refused {what} (HTTP {response.status_code}): "
                    + ("the MAST token was not accepted" if self.has_token else "a token is needed")
                )
            if response.status_code >= 400:
                raise MastError(f"MAST {what}: HTTP {response.status_code}")
            result = _json_body(response, what)
            status = str(result.get("status") or "COMPLETE").upper()
            if status == "EXECUTING":
                if time.monotonic() >= deadline:
                    raise MastTimeoutError(
                        f"MAST {what} still EXECUTING after {self.poll_timeout:g}s"
                    )
                self.log.debug("MAST %s EXECUTING; polling again", what)
                self._sleep(self.poll_interval)
                continue
            if status == "ERROR":
                message = str(result.get("msg") or "unspecified error")
                raise MastQueryError(f"MAST {what}: {message}", details={"service": service})
            return result

    # --- downloads -------------------------------------------------------------------------

    def download_url(self, data_uri: str) -> str:
        return str(httpx.URL(self.base_url + DOWNLOAD_PATH, params={"uri": data_uri}))

    def download(
        self,
        data_uri: str,
        dest: BinaryIO,
        *,
        start: int = 0,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Stream one file into ``dest`` from byte ``start``; return the bytes written.

        ``dest`` is positioned where byte ``start`` goes (after a partial earlier download,
        pass its length). ``progress`` is called with each chunk's size.
        """
        name = data_uri.rsplit("/", 1)[-1]
        written = 0
        stalled = 0  # passes in a row that brought no byte
        while True:
            try:
                written += self._download_pass(data_uri, name, dest, start + written, progress)
                return written
            except MastIncompleteDownloadError as exc:
                progressed = int(exc.details["written"])
                written += progressed
                reason = exc.message
            stalled = 0 if progressed else stalled + 1
            if stalled >= max(self.retry.attempts, 1):
                raise MastIncompleteDownloadError(
                    f"download of {name} stopped at byte {start + written}: {reason}",
                    details={"uri": data_uri, "received": start + written},
                )
            self.log.info("MAST download of %s interrupted at byte %d (%s); resuming",
                          name, start + written, reason)  # fmt: skip
            if not progressed:
                self._sleep(self.retry.delay(stalled))

    def _download_pass(
        self,
        data_uri: str,
        name: str,
        dest: BinaryIO,
        offset: int,
        progress: Callable[[int], None] | None,
    ) -> int:
        """One GET from ``offset``: the bytes written, or MastIncompleteDownloadError."""
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        what = f"download of {name}"
        response = self.http.request(
            "GET", self.base_url + DOWNLOAD_PATH, what=what, params={"uri": data_uri},
            headers=headers,
        )  # fmt: skip
        try:
            status = response.status_code
            if status in (401, 403):
                if not self.has_token:
                    hint = "set JWSTDATA_MAST_TOKEN to a MAST token with access"
                elif "authorization" not in response.request.headers:
                    hint = (
                        f"it is served from {response.request.url.host}, which is never sent "
                        "the MAST token"
                    )
                else:
                    hint = "the MAST token does not grant access to it"
                raise MastExclusiveAccessError(
                    f"{name} is under exclusive access (HTTP {status}): {hint}",
                    details={"uri": data_uri, "status": status},
                )
            if status == 416 and offset:
                total = _content_range_total(response.headers.get("content-range"))
                if total == offset:
                    return 0
            if status == 404:
                raise MastError(f"{name} is not in MAST (HTTP 404)", details={"uri": data_uri})
            if status not in (200, 206):
                raise MastError(f"{what}: HTTP {status}", details={"uri": data_uri})
            skip = 0
            if status == 206:
                first = _content_range_start(response.headers.get("content-range"))
                if first != offset:
                    raise MastError(f"{what}: server sent bytes from {first}, asked {offset}")
            elif offset:
                skip = offset  # the server ignored Range: drop what we already have
            expected = _int_header(response.headers.get("content-length"))
            encoded = response.headers.get("content-encoding", "identity") != "identity"
            received = written = 0
            try:
                for chunk in response.iter_bytes():  # as received: a chunker would lose a tail
                    received += len(chunk)
                    if skip:
                        cut = min(skip, len(chunk))
                        chunk, skip = chunk[cut:], skip - cut
                    if chunk:
                        dest.write(chunk)
                        written += len(chunk)
                        if progress is not None:
                            progress(len(chunk))
            except RETRYABLE_TRANSPORT as exc:
                raise MastIncompleteDownloadError(
                    f"connection lost after {received} bytes ({describe(exc)})",
                    details={"written": written},
                ) from None
            if expected is not None and not encoded and received < expected:
                raise MastIncompleteDownloadError(
                    f"received {received} of {expected} bytes", details={"written": written}
                )
            if skip:
                raise MastIncompleteDownloadError(
                    f"body ended before byte {offset}", details={"written": written}
                )
        finally:
            response.close()
        self.log.debug("MAST downloaded %s: %d bytes from byte %d", name, written, offset)
        return written


# --- helpers ---------------------------------------------------------------------------


def _json_body(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        result = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise MastError(f"MAST {what}: the answer is not JSON") from None
    if not isinstance(result, dict):
        raise MastError(f"MAST {what}: unexpected answer of type {type(result).__name__}")
    return result


def _rows_of(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    data = result.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise MastError("MAST answer: 'data' is not a list of rows")
    return [row for row in data if isinstance(row, dict)]


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


def _content_range_start(value: str | None) -> int | None:
    m = _CONTENT_RANGE.match(value or "")
    return int(m[1]) if m and m[1] is not None else None


def _content_range_total(value: str | None) -> int | None:
    m = _CONTENT_RANGE.match(value or "")
    return int(m[3]) if m and m[3] != "*" else None


def iter_chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in consecutive lists of at most ``size``."""
    for i in range(0, len(items), max(size, 1)):
        yield items[i : i + size]
