"""HTTP to MAST: one httpx connection pool, bounded retries, and a token that stays home.

- :class:`RetryPolicy`: timeouts, dropped connections, 429 and 5xx are retried a bounded
  number of times with exponential back-off and jitter; ``Retry-After`` is honoured (up to a
  cap). A connection that fails for a reason a few seconds will not change (see
  :func:`lasting_failure`) is reported at once, naming the host.
- :class:`HttpTransport` follows redirects itself so that ``Authorization: token <t>`` is
  decided hop by hop: it goes only to the configured MAST origin (scheme, host and port), never
  to a host a redirect points at (a cloud bucket, a mirror).
- :class:`RedactingLogger`: every log line of the MAST package is formatted first and then
  stripped of the token; error messages never contain headers.
"""

from __future__ import annotations

import errno
import logging
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from jwstdata import __version__
from jwstdata.errors import MastError, MastTimeoutError, MastUnavailableError
from jwstdata.redact import redact_text

_MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}


# --- logging --------------------------------------------------------------------------


class RedactingLogger:
    """A logger whose messages are formatted first, then stripped of every known secret."""

    def __init__(self, logger: logging.Logger, secrets: tuple[str, ...] = ()) -> None:
        self._logger = logger
        self._secrets = tuple(s for s in secrets if s)

    def log(self, level: int, message: str, *args: Any) -> None:
        if self._logger.isEnabledFor(level):
            text = message % args if args else message
            self._logger.log(level, redact_text(text, *self._secrets))

    def debug(self, message: str, *args: Any) -> None:
        self.log(logging.DEBUG, message, *args)

    def info(self, message: str, *args: Any) -> None:
        self.log(logging.INFO, message, *args)

    def warning(self, message: str, *args: Any) -> None:
        self.log(logging.WARNING, message, *args)


# --- retry policy ---------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential back-off and jitter.

    ``attempts`` is the total number of tries (1 = no retry). The n-th retry waits
    ``min(max_delay, base_delay * 2**(n-1))`` scaled by a random factor in ``[1 - jitter, 1]``
    (so many clients do not retry in step), or the server's ``Retry-After`` when it gives one,
    capped at ``max_retry_after``.

    Hand-written rather than tenacity or httpx's transport retries: those retry connection
    set-up only (httpx) or need the same hooks spelled as callbacks (tenacity) for what this
    loop does in a few lines: honour ``Retry-After``, stop at once on a lasting failure
    (:func:`lasting_failure`), close the refused response, log without the token.
    """

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.5
    max_retry_after: float = 300.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def retries_status(self, status: int) -> bool:
        return status in self.retry_statuses

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after))
        backoff = min(self.max_delay, self.base_delay * 2 ** max(retry - 1, 0))
        return backoff * (1.0 - self.jitter * self.rng.random())


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


RETRYABLE_TRANSPORT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_NO_ROUTE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}


def lasting_failure(exc: Exception) -> str | None:
    """Why a connection failed, when retrying within seconds cannot help; else None.

    - A name that does not resolve: the system resolver has already retried its servers
      (resolv.conf ``attempts``), and an offline machine or a misspelt host stays so.
    - Connection refused: the host answered that nothing listens on that port (a wrong URL
      or port, a firewall reject). MAST sits behind load balancers that say 502/503 while a
      service restarts, and those statuses are still retried.
    - No route to the network or host: the machine is offline.
    - A TLS certificate that does not verify.

    Timeouts, resets and connections dropped mid-answer stay transient, as do TLS handshakes
    cut short. A failed import job is retried later by the worker as a whole.
    """
    if not isinstance(exc, httpx.ConnectError):
        return None
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return "its name does not resolve (offline, or a DNS failure)"
        if isinstance(cause, ConnectionRefusedError):
            return "it refused the connection (nothing listens on that port)"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"its TLS certificate does not verify ({cause.verify_message})"
        if isinstance(cause, OSError) and cause.errno in _NO_ROUTE:
            return "there is no network route to it (offline?)"
        cause = cause.__cause__ or cause.__context__
    return None


def _host_of(exc: httpx.HTTPError, fallback: str) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # raised outside a request
        return fallback
    return f"{url.host}:{url.port}" if url.port else url.host


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host.lower(), port)


class HttpTransport:
    """Requests to one MAST origin with retries; thread-safe."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        retry: RetryPolicy | None = None,
        max_connections: int = 8,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = _origin(httpx.URL(self.base_url))
        self._token = token or None
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.log = RedactingLogger(logging.getLogger("jwstdata.mast"), (self._token or "",))
        self._http = httpx.Client(
            timeout=httpx.Timeout(
                connect=connect_timeout, read=read_timeout, write=read_timeout, pool=None
            ),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": f"jwstdata/{__version__}"},
        )

    @property
    def has_token(self) -> bool:
        return self._token is not None

    def close(self) -> None:
        self._http.close()

    def _headers_for(self, url: httpx.URL, headers: Mapping[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if self._token is not None and _origin(url) == self._origin:
            out["Authorization"] = f"token {self._token}"
        return out

    def send_once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request, following redirects here so the token is decided per hop."""
        request_url = httpx.URL(url, params=params)
        for _hop in range(_MAX_REDIRECTS + 1):
            request = self._http.build_request(
                method, request_url, data=data, headers=self._headers_for(request_url, headers)
            )
            response = self._http.send(request, stream=True)
            if response.status_code not in _REDIRECTS or "location" not in response.headers:
                return response
            response.close()
            request_url = request_url.join(response.headers["location"])
            if response.status_code in (301, 302, 303) and method != "GET":
                method, data = "GET", None
            self.log.debug("MAST redirect %s -> %s", response.status_code, safe_url(request_url))
        raise MastError(f"too many redirects from {safe_url(httpx.URL(url))}")

    def request(
        self,
        method: str,
        url: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        read: bool = False,
    ) -> httpx.Response:
        """Send with retries; return the response with a final status.

        With ``read`` the body is read within the retry loop (a body cut short is retried) and
        the response is closed; otherwise it is returned open for streaming. Statuses other
        than 429/5xx are returned to the caller to interpret; 429/5xx after the last attempt
        and transport failures become :class:`MastUnavailableError`/:class:`MastTimeoutError`.
        """
        attempts = max(self.retry.attempts, 1)
        for attempt in range(1, attempts + 1):
            try:
                response = self.send_once(method, url, params=params, data=data, headers=headers)
                if read:
                    try:
                        response.read()
                    finally:
                        response.close()
            except RETRYABLE_TRANSPORT as exc:
                if (reason := lasting_failure(exc)) is not None:
                    host = _host_of(exc, self._origin[1])
                    raise MastUnavailableError(
                        f"MAST {what}: {host} is unreachable: {reason}; "
                        "check the network connection and JWSTDATA_MAST_URL",
                        details={"host": host, "attempts": attempt},
                    ) from None
                if attempt >= attempts:
                    raise self._transport_error(exc, what, attempt) from None
                delay = self.retry.delay(attempt)
                self.log.info(
                    "MAST %s: %s; retry %d/%d in %.2fs",
                    what, describe(exc), attempt, attempts - 1, delay,
                )  # fmt: skip
                self.sleep(delay)
                continue
            except httpx.HTTPError as exc:
                raise MastError(f"MAST {what} failed: {describe(exc)}") from None
            if not self.retry.retries_status(response.status_code):
                return response
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            response.close()
            if attempt >= attempts:
                raise MastUnavailableError(
                    f"MAST {what}: HTTP {response.status_code} after {attempt} attempts",
                    details={"status": response.status_code, "attempts": attempt},
                )
            delay = self.retry.delay(attempt, retry_after)
            self.log.info(
                "MAST %s: HTTP %d; retry %d/%d in %.2fs",
                what, response.status_code, attempt, attempts - 1, delay,
            )  # fmt: skip
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _transport_error(self, exc: httpx.HTTPError, what: str, attempts: int) -> MastError:
        host = _host_of(exc, self._origin[1])
        if isinstance(exc, httpx.TimeoutException):
            return MastTimeoutError(
                f"MAST {what}: no answer in time from {host} ({describe(exc)}) "
                f"after {attempts} attempts",
                details={"host": host, "attempts": attempts},
            )
        return MastUnavailableError(
            f"MAST {what}: {host}: {describe(exc)} after {attempts} attempts",
            details={"host": host, "attempts": attempts},
        )


def describe(exc: Exception) -> str:
    """An exception as one short line (httpx messages carry no headers)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def safe_url(url: httpx.URL) -> str:
    return redact_text(str(url.copy_with(query=None)))
