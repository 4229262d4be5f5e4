"""The MAST client against the local MAST-compatible server: paging, polling, retries,
timeouts, resumable downloads, exclusive access and the token's confinement to MAST."""

from __future__ import annotations

import io
import logging
import random
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from astropy.io import fits
from pydantic import SecretStr

from jwstdata.config import Settings
from jwstdata.errors import (
    ConfigurationError,
    MastExclusiveAccessError,
    MastIncompleteDownloadError,
    MastQueryError,
    MastTimeoutError,
    MastUnavailableError,
)
from jwstdata.mast import MastClient, RetryPolicy, resolve_mast_token
from jwstdata.mast.transport import parse_retry_after
from tests.mast_server import MastTestServer, RecordedRequest
from tests.plugins.mast_server import TEST_RETRY

NIRCAM_UNCAL = "mast:JWST/product/jw02733001001_02101_00001_nrcalong_uncal.fits"
NIRCAM_CAL = "mast:JWST/product/jw02733001001_02101_00001_nrcalong_cal.fits"
EXCLUSIVE_CAL = "mast:JWST/product/jw04498003001_02101_00001_nrs1_cal.fits"
PROGRAM_2733 = {
    "columns": "*",
    "filters": [
        {"paramName": "obs_collection", "values": ["JWST"]},
        {"paramName": "proposal_id", "values": ["2733"]},
    ],
}
TOKEN = "mast-test-token-7f3c9a1e5b"


def client_for(server: MastTestServer, **options: object) -> MastClient:
    settings: dict[str, object] = {
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "retry": TEST_RETRY,
        "poll_interval": 0.01,
        "poll_timeout": 10.0,
    }
    settings.update(options)
    return MastClient(server.url, **settings)  # type: ignore[arg-type]


def invokes(server: MastTestServer, service: str) -> list[RecordedRequest]:
    return [r for r in server.requests if r.service == service]


# --- queries ------------------------------------------------------------------------------


def test_invoke_fetches_every_page(mast_server: MastTestServer, mast_client: MastClient) -> None:
    mast_server.faults.page_size_cap = 3
    rows = mast_client.invoke("Mast.Caom.Filtered", PROGRAM_2733, pagesize=3)
    assert len(rows) == 8
    assert len({r["obs_id"] for r in rows}) == 8
    sent = invokes(mast_server, "Mast.Caom.Filtered")
    assert [r.request["page"] for r in sent] == [1, 2, 3]
    assert len({r.request["cacheBreaker"] for r in sent}) == 1
    assert all(r.request["format"] == "json" and r.request["pagesize"] == 3 for r in sent)
    assert all(r.headers["content-type"] == "application/x-www-form-urlencoded" for r in sent)


def test_invoke_polls_while_executing(mast_server: MastTestServer, mast_client: MastClient) -> None:
    mast_server.faults.executing_polls = 3
    mast_server.faults.page_size_cap = 5
    rows = mast_client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
    assert len(rows) == 8
    pages = [r.request["page"] for r in invokes(mast_server, "Mast.Caom.Filtered")]
    assert pages == [1, 1, 1, 1, 2]  # three EXECUTING answers, then both pages


def test_executing_past_the_poll_timeout_is_a_timeout(mast_server: MastTestServer) -> None:
    mast_server.faults.executing_polls = 10_000
    with client_for(mast_server, poll_timeout=0.1) as client, pytest.raises(MastTimeoutError) as e:
        client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
    assert "EXECUTING" in e.value.message


def test_error_status_is_a_query_error(
    mast_server: MastTestServer, mast_client: MastClient
) -> None:
    with pytest.raises(MastQueryError, match=r"Unknown service: Mast\.Nope"):
        mast_client.invoke("Mast.Nope", {})


def test_5xx_is_retried_until_success(mast_server: MastTestServer, mast_client: MastClient) -> None:
    mast_server.faults.fail_statuses = [500, 503]
    rows = mast_client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
    assert len(rows) == 8
    assert len(invokes(mast_server, "Mast.Caom.Filtered")) == 3


def test_retry_after_is_honoured(mast_server: MastTestServer, mast_client: MastClient) -> None:
    mast_server.faults.fail_statuses = [429]
    mast_server.faults.retry_after = "0.15"
    started = time.monotonic()
    mast_client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
    assert time.monotonic() - started >= 0.15


def test_retries_are_bounded_with_a_clear_error(
    mast_server: MastTestServer, mast_client: MastClient
) -> None:
    mast_server.faults.fail_statuses = [503] * 10
    with pytest.raises(MastUnavailableError, match=r"HTTP 503 after 3 attempts"):
        mast_client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
    assert len(invokes(mast_server, "Mast.Caom.Filtered")) == 3


def _counting_client(url: str) -> tuple[MastClient, list[float]]:
    """A client whose back-off sleeps are recorded: each one is a retry."""
    slept: list[float] = []
    client = MastClient(url, retry=TEST_RETRY, connect_timeout=1.0, sleep=slept.append)
    return client, slept


def test_refused_connection_is_reported_at_once_naming_the_host() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    client, slept = _counting_client(f"http://127.0.0.1:{port}")
    with client, pytest.raises(MastUnavailableError) as e:
        client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
    assert e.value.code == "mast_unavailable" and slept == []
    assert f"127.0.0.1:{port} is unreachable: it refused the connection" in e.value.message
    assert e.value.details == {"host": f"127.0.0.1:{port}", "attempts": 1}


def test_unknown_host_is_not_retried() -> None:
    """``.invalid`` never resolves (RFC 2606): offline and a misspelt host look alike."""
    client, slept = _counting_client("https://mast.invalid")
    with client, pytest.raises(MastUnavailableError) as e:
        client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
    assert slept == [] and "ConnectError" not in e.value.message
    assert e.value.message.startswith("MAST ") and "mast.invalid is unreachable" in e.value.message
    assert "does not resolve" in e.value.message and "JWSTDATA_MAST_URL" in e.value.message


def test_connection_dropped_before_answering_is_retried() -> None:
    """A server that accepts and closes at once: transient, retried to the limit."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(5)
        port = listener.getsockname()[1]
        client, slept = _counting_client(f"http://127.0.0.1:{port}")

        def hang_up() -> None:
            for _ in range(TEST_RETRY.attempts):
                connection, _address = listener.accept()
                connection.close()

        closer = threading.Thread(target=hang_up, daemon=True)
        closer.start()
        with client, pytest.raises(MastUnavailableError, match="after 3 attempts") as e:
            client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
        closer.join(timeout=5)
    assert len(slept) == TEST_RETRY.attempts - 1
    assert f"127.0.0.1:{port}" in e.value.message


def test_slow_server_times_out(mast_server: MastTestServer) -> None:
    mast_server.faults.slow_seconds = 3.0
    retry = RetryPolicy(attempts=2, base_delay=0.01)
    # Without the read timeout the slow answer would arrive and no error would be raised.
    client = client_for(mast_server, read_timeout=0.2, retry=retry)
    with client, pytest.raises(MastTimeoutError, match="no answer in time") as e:
        client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
    assert e.value.details == {"host": mast_server.url.split("//")[1], "attempts": 2}


def test_one_slow_answer_is_retried(mast_server: MastTestServer) -> None:
    mast_server.faults.slow_seconds = 3.0
    mast_server.faults.slow_times = 1
    with client_for(mast_server, read_timeout=0.3) as client:
        assert len(client.invoke("Mast.Caom.Filtered", PROGRAM_2733)) == 8


# --- downloads -----------------------------------------------------------------------------


def test_download_streams_the_file(mast_server: MastTestServer, mast_client: MastClient) -> None:
    out = io.BytesIO()
    seen: list[int] = []
    written = mast_client.download(NIRCAM_CAL, out, progress=seen.append)
    expected = mast_server.file_bytes(NIRCAM_CAL)
    assert expected is not None and out.getvalue() == expected
    assert written == sum(seen) == len(expected)
    out.seek(0)
    with fits.open(out) as hdul:
        assert hdul[0].header["FILENAME"] == "jw02733001001_02101_00001_nrcalong_cal.fits"
        assert hdul[0].header["DETECTOR"] == "NRCALONG"
    (request,) = [r for r in mast_server.requests if r.method == "GET"]
    assert request.query["uri"] == [NIRCAM_CAL]


def test_dropped_connection_resumes_with_range(
    mast_server: MastTestServer, mast_client: MastClient
) -> None:
    mast_server.faults.drop_after_bytes = 10_000
    mast_server.faults.drop_times = 2
    out = io.BytesIO()
    written = mast_client.download(NIRCAM_UNCAL, out)
    expected = mast_server.file_bytes(NIRCAM_UNCAL)
    assert out.getvalue() == expected and written == len(expected)
    ranges = [r.headers.get("range") for r in mast_server.requests if r.method == "GET"]
    assert ranges == [None, "bytes=10000-", "bytes=20000-"]


def test_download_continues_from_a_given_start(
    mast_server: MastTestServer, mast_client: MastClient
) -> None:
    expected = mast_server.file_bytes(NIRCAM_UNCAL)
    assert expected is not None
    out = io.BytesIO(expected[:7000])
    out.seek(0, io.SEEK_END)
    assert mast_client.download(NIRCAM_UNCAL, out, start=7000) == len(expected) - 7000
    assert out.getvalue() == expected
    assert mast_server.requests[-1].headers["range"] == "bytes=7000-"


def test_server_ignoring_range_still_gives_the_right_bytes(
    mast_server: MastTestServer, mast_client: MastClient
) -> None:
    mast_server.faults.ignore_range = True
    mast_server.faults.drop_after_bytes = 12_345
    out = io.BytesIO()
    mast_client.download(NIRCAM_UNCAL, out)
    assert out.getvalue() == mast_server.file_bytes(NIRCAM_UNCAL)


def test_truncated_body_is_detected(mast_server: MastTestServer, mast_client: MastClient) -> None:
    mast_server.faults.truncate_at = 5000  # Content-Length stays the full size
    out = io.BytesIO()
    with pytest.raises(MastIncompleteDownloadError, match="stopped at byte 5000") as e:
        mast_client.download(NIRCAM_UNCAL, out)
    assert e.value.details["received"] == 5000
    assert out.getvalue() == mast_server.file_bytes(NIRCAM_UNCAL)[:5000]  # kept for a resume
    gets = [r for r in mast_server.requests if r.method == "GET"]
    assert len(gets) == 1 + TEST_RETRY.attempts  # the first pass, then passes without progress


def test_download_5xx_then_success(mast_server: MastTestServer, mast_client: MastClient) -> None:
    mast_server.faults.fail_statuses = [503, 500]
    mast_server.faults.fail_on = "download"
    out = io.BytesIO()
    mast_client.download(NIRCAM_CAL, out)
    assert out.getvalue() == mast_server.file_bytes(NIRCAM_CAL)


def test_exclusive_file_without_token_is_a_clear_error(
    mast_server: MastTestServer, mast_client: MastClient
) -> None:
    with pytest.raises(MastExclusiveAccessError, match="exclusive access") as e:
        mast_client.download(EXCLUSIVE_CAL, io.BytesIO())
    assert "JWSTDATA_MAST_TOKEN" in e.value.message
    assert e.value.http_status == 403
    assert len([r for r in mast_server.requests if r.method == "GET"]) == 1  # never retried


def test_token_opens_exclusive_files(mast_server: MastTestServer) -> None:
    mast_server.accepted_tokens.add(TOKEN)
    out = io.BytesIO()
    with client_for(mast_server, token=TOKEN) as client:
        client.download(EXCLUSIVE_CAL, out)
    assert out.getvalue() == mast_server.file_bytes(EXCLUSIVE_CAL)
    other = client_for(mast_server, token="someone-elses-token")
    with other, pytest.raises(MastExclusiveAccessError, match="does not grant access"):
        other.download(EXCLUSIVE_CAL, io.BytesIO())


def test_bandwidth_limit_paces_downloads(
    mast_server: MastTestServer, mast_client: MastClient
) -> None:
    size = len(mast_server.file_bytes(NIRCAM_UNCAL) or b"")
    mast_server.faults.bandwidth = size / 0.3  # bytes per second: about 0.3 s for the file
    started = time.monotonic()
    mast_client.download(NIRCAM_UNCAL, io.BytesIO())
    assert time.monotonic() - started >= 0.25


def test_token_goes_only_to_the_mast_host_and_never_to_the_logs(
    mast_server: MastTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mast_server.accepted_tokens.add(TOKEN)
    mast_server.faults.redirect_downloads_to = mast_server.alt_url  # another origin
    mast_server.faults.fail_statuses = [503]
    mast_server.faults.fail_on = "invoke"
    with client_for(mast_server, token=TOKEN) as client:
        client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
        client.download(NIRCAM_CAL, io.BytesIO())
        with pytest.raises(MastExclusiveAccessError) as e:
            client.download(EXCLUSIVE_CAL, io.BytesIO())  # the other host gets no token
    for request in mast_server.requests:
        to_mast = request.host == f"127.0.0.1:{mast_server.port}"
        assert (request.headers.get("authorization") == f"token {TOKEN}") is to_mast
    assert any(r.host.startswith("localhost:") for r in mast_server.requests)
    assert "served from localhost, which is never sent the MAST token" in e.value.message
    assert caplog.records  # the client did log (retries, redirects, downloads)
    assert TOKEN not in caplog.text
    assert TOKEN not in str(e.value) and TOKEN not in repr(e.value.details)


def test_redacting_logger_strips_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="jwstdata.mast")
    client = MastClient("http://127.0.0.1:9", token=TOKEN)
    client.log.info("header was %s", f"Authorization: token {TOKEN}")
    client.close()
    assert "Authorization: token ***" in caplog.text and TOKEN not in caplog.text


# --- retry policy and settings ----------------------------------------------------------------


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5, rng=random.Random(7))
    for retry, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        delays = {policy.delay(retry) for _ in range(20)}
        assert all(full * 0.5 <= d <= full for d in delays)
        assert len(delays) > 1  # jittered
    assert policy.delay(1, retry_after=2.5) == 2.5
    assert RetryPolicy(max_retry_after=10).delay(1, retry_after=3600) == 10


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after(later) or 0) <= 31


def test_token_from_settings_or_file(tmp_path: Path) -> None:
    assert resolve_mast_token(Settings(mast_token=None)) is None
    assert resolve_mast_token(Settings(mast_token=SecretStr(f" {TOKEN}\n"))) == TOKEN
    secret = tmp_path / "mast-token"
    secret.write_text(TOKEN + "\n")
    assert resolve_mast_token(Settings(mast_token_file=secret)) == TOKEN
    secret.write_text("")
    with pytest.raises(ConfigurationError, match="is empty"):
        resolve_mast_token(Settings(mast_token_file=secret))
    with pytest.raises(ConfigurationError, match="cannot read"):
        resolve_mast_token(Settings(mast_token_file=tmp_path / "missing"))
    assert TOKEN not in repr(Settings(mast_token=SecretStr(TOKEN)))


def test_client_from_settings_uses_the_mast_block(mast_server: MastTestServer) -> None:
    settings = Settings(
        mast_url=mast_server.url + "/", mast_retries=0, mast_backoff=0.0, mast_token=TOKEN
    )
    with MastClient.from_settings(settings) as client:
        assert client.base_url == mast_server.url and client.retry.attempts == 1
        assert client.has_token
        mast_server.faults.fail_statuses = [503]
        with pytest.raises(MastUnavailableError, match="after 1 attempts"):
            client.invoke("Mast.Caom.Filtered", PROGRAM_2733)
