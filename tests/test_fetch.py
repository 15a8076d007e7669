"""Fetching against a real local HTTP server that misbehaves in every way we know of."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import ipaddress
import time
import zlib
from collections.abc import Coroutine
from typing import Any

import pytest

from monitor.config import PollingSettings, Settings
from monitor.errors import AddressRefusedError, FetchError, RetryLaterError
from monitor.fetch import Fetcher, FetchResult, parse_retry_after
from monitor.netguard import refusal_reason
from tests.support.httpserver import LocalHTTPServer, Reply, Request

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


def settings(private: bool = True, **polling: Any) -> Settings:
    values = {"timeout_seconds": 5.0, "max_body_bytes": 1024 * 1024, "max_redirects": 5, **polling}
    return Settings(allow_private_networks=private, polling=PollingSettings(**values))


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def fetch(url: str, s: Settings | None = None, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(s or settings()) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return run(go())


def fetch_error(url: str, s: Settings | None = None, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, s, **kwargs)
    return info.value


# --- ordinary answers ------------------------------------------------------------------------------------


def test_ok_body_validators_and_user_agent(http_server: LocalHTTPServer) -> None:
    url = http_server.route(
        "/feed", Reply(200, FEED, {"ETag": '"v1"', "Last-Modified": "Sat, 21 Nov 2026 10:00:00 GMT"})
    )
    result = fetch(url, user_agent="test-agent/1")
    assert result.status == 200 and result.body == FEED
    assert result.etag == '"v1"' and result.last_modified == "Sat, 21 Nov 2026 10:00:00 GMT"
    assert result.permanent_redirect is None
    assert http_server.hits("/feed")[0].headers["User-Agent"] == "test-agent/1"


def test_conditional_get_and_304(http_server: LocalHTTPServer) -> None:
    def handler(request: Request) -> Reply:
        if request.headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, FEED, {"ETag": '"v1"'})

    url = http_server.route("/cond", handler)
    result = fetch(url, etag='"v1"', last_modified="Sat, 21 Nov 2026 10:00:00 GMT")
    assert result.not_modified and result.body == b""
    sent = http_server.hits("/cond")[0].headers
    assert sent["If-Modified-Since"] == "Sat, 21 Nov 2026 10:00:00 GMT"


def test_gzip_body_is_decoded(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/gz", Reply(200, gzip.compress(FEED), {"Content-Encoding": "gzip"}))
    assert fetch(url).body == FEED
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    body = raw_deflate.compress(FEED) + raw_deflate.flush()
    url = http_server.route("/deflate", Reply(200, body, {"Content-Encoding": "deflate"}))
    assert fetch(url).body == FEED


# --- deadlines ---------------------------------------------------------------------------------------


def test_no_answer_costs_the_deadline(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/hang", Reply(200, FEED, delay=20))
    started = time.monotonic()
    assert fetch_error(url, settings(timeout_seconds=1)).kind == "timeout"
    assert time.monotonic() - started < 5


def test_hang_after_headers_costs_the_deadline(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/hang-headers", Reply(200, FEED, hold_after=0, hold_seconds=20))
    assert fetch_error(url, settings(timeout_seconds=1)).kind == "timeout"


def test_drip_is_cut_by_the_total_deadline(http_server: LocalHTTPServer) -> None:
    # 10 bytes every 0.1 s: every single read is quick, only a total deadline stops it.
    url = http_server.route("/drip", Reply(200, chunks=[b"x" * 10] * 1000, pause=0.1))
    started = time.monotonic()
    assert fetch_error(url, settings(timeout_seconds=1.5)).kind == "timeout"
    assert time.monotonic() - started < 6


# --- size caps ---------------------------------------------------------------------------------------


def test_gzip_bomb_stops_at_the_cap(http_server: LocalHTTPServer) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1024 * 1024)
    bomb = b"".join(compressor.compress(zeros) for _ in range(50)) + compressor.flush()  # 50 MB inflated
    assert len(bomb) < 100_000
    url = http_server.route("/bomb", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    error = fetch_error(url, settings(max_body_bytes=1024 * 1024))
    assert error.kind == "too_large"


def test_declared_huge_body_is_refused_before_reading(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/big", Reply(200, b"x" * (2 * 1024 * 1024)))
    assert fetch_error(url, settings(max_body_bytes=1024 * 1024)).kind == "too_large"


def test_undeclared_huge_body_is_cut(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/stream", Reply(200, chunks=[b"y" * 65536] * 40))
    assert fetch_error(url, settings(max_body_bytes=1024 * 1024)).kind == "too_large"


def test_reset_mid_body_is_a_connection_error(http_server: LocalHTTPServer) -> None:
    url = http_server.route(
        "/cut", Reply(200, chunks=[FEED[:40]], headers={"Content-Length": str(len(FEED))})
    )
    assert fetch_error(url).kind == "connection"


# --- redirects ---------------------------------------------------------------------------------------


def _chain(server: LocalHTTPServer, length: int, code: int, final: str = "/final") -> str:
    server.route(final, Reply(200, FEED))
    for i in range(length):
        target = server.url(f"/r{i + 1}") if i + 1 < length else server.url(final)
        server.route(f"/r{i}", Reply(code, headers={"Location": target}))
    return server.url("/r0")


def test_permanent_chain_is_reported(http_server: LocalHTTPServer) -> None:
    result = fetch(_chain(http_server, 3, 301))
    assert result.body == FEED
    assert result.permanent_redirect == http_server.url("/final")


def test_temporary_hop_is_not_remembered(http_server: LocalHTTPServer) -> None:
    result = fetch(_chain(http_server, 2, 302))
    assert result.body == FEED and result.permanent_redirect is None


def test_too_many_redirects(http_server: LocalHTTPServer) -> None:
    assert fetch_error(_chain(http_server, 6, 302)).kind == "too_many_redirects"
    assert len(http_server.hits("/final")) == 0


def test_redirect_loop(http_server: LocalHTTPServer) -> None:
    http_server.route("/a", Reply(302, headers={"Location": "/b"}))
    http_server.route("/b", Reply(302, headers={"Location": "/a"}))
    assert fetch_error(http_server.url("/a")).kind == "too_many_redirects"


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/feed", "gopher://x/"])
def test_redirect_to_other_schemes_refused(http_server: LocalHTTPServer, location: str) -> None:
    url = http_server.route("/odd", Reply(301, headers={"Location": location}))
    error = fetch_error(url)
    assert isinstance(error, AddressRefusedError)


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "file:///etc/passwd", "javascript:alert(1)"])
def test_non_http_urls_refused(url: str) -> None:
    assert fetch_error(url).kind == "address_refused"


# --- addresses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "[::ffff:127.0.0.1]",
        "[::1]",
        "0.0.0.0",
    ],
)
def test_private_addresses_refused_at_connect_time(http_server: LocalHTTPServer, host: str) -> None:
    http_server.route("/secret", Reply(200, FEED))
    error = fetch_error(f"http://{host}:{http_server.port}/secret", settings(private=False))
    assert error.kind in ("address_refused", "invalid_url"), error
    assert http_server.hits("/secret") == []


def test_redirect_to_private_address_refused(http_server: LocalHTTPServer) -> None:
    # The first hop is allowed (private networks on) but we check that the guard runs on every hop by
    # refusing private addresses and starting from an address that resolves to 127.0.0.1 only via redirect.
    http_server.route("/inner", Reply(200, FEED))
    http_server.route("/hop", Reply(302, headers={"Location": f"http://2130706433:{http_server.port}/inner"}))
    error = fetch_error(http_server.url("/hop"), settings(private=False))
    assert error.kind == "address_refused"
    assert http_server.hits("/inner") == []


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", False),
        ("2a00:1450:4001:80e::200e", False),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("0.0.0.0", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::a00:1", True),
        ("2002:0a00:0001::1", True),
    ],
)
def test_refusal_rules(address: str, refused: bool) -> None:
    assert (refusal_reason(ipaddress.ip_address(address)) is not None) is refused


# --- status codes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 500, 401])
def test_error_statuses(http_server: LocalHTTPServer, status: int) -> None:
    url = http_server.route("/err", Reply(status, b"<html>no</html>"))
    error = fetch_error(url)
    assert error.kind == "http_status" and error.status == status


def test_retry_after_seconds(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/busy", Reply(429, headers={"Retry-After": "120"}))
    error = fetch_error(url)
    assert isinstance(error, RetryLaterError) and error.kind == "retry_later"
    assert error.retry_after_seconds == 120 and error.status == 429


def test_retry_after_http_date_and_clamp(http_server: LocalHTTPServer) -> None:
    when = email.utils.formatdate(time.time() + 600, usegmt=True)
    url = http_server.route("/later", Reply(503, headers={"Retry-After": when}))
    error = fetch_error(url)
    assert isinstance(error, RetryLaterError)
    assert 500 < error.retry_after_seconds <= 600
    url = http_server.route("/absurd", Reply(503, headers={"Retry-After": "99999999"}))
    error = fetch_error(url, settings(max_retry_after_hours=2))
    assert isinstance(error, RetryLaterError) and error.retry_after_seconds == 7200


def test_503_without_retry_after_is_a_status_error(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/down", Reply(503))
    assert fetch_error(url).kind == "http_status"


def test_parse_retry_after_values() -> None:
    assert parse_retry_after("30", 0, 100) == 30
    assert parse_retry_after("garbage", 0, 100) is None
    assert parse_retry_after(None, 0, 100) is None
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", 50, 100) == 0


def test_per_host_limit_is_respected(http_server: LocalHTTPServer) -> None:
    active = {"now": 0, "max": 0}

    def slow(_request: Request) -> Reply:
        active["now"] += 1
        active["max"] = max(active["max"], active["now"])
        time.sleep(0.2)
        active["now"] -= 1
        return Reply(200, FEED)

    url = http_server.route("/slow", slow)

    async def go() -> None:
        async with Fetcher(settings(per_host_concurrency=2, concurrency=10)) as fetcher:
            await asyncio.gather(*(fetcher.fetch(f"{url}?{i}") for i in range(6)))

    run(go())
    assert active["max"] <= 2
