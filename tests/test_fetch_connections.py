"""Connections under the fetcher (monitor.aionet): TLS against a real local HTTPS server with a trustme
certificate, stalled handshakes, and kept-alive connections that the server closed while they were idle."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from monitor.errors import FetchError
from tests.support.httpserver import LocalHTTPServer, Reply
from tests.test_fetch import FEED, fetch, fetch_error, run, settings


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(ca: trustme.CA) -> Iterator[LocalHTTPServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = LocalHTTPServer(tls=context).start()
    yield server
    server.stop()


@pytest.fixture
def trusted(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test CA the one the fetcher trusts (httpx reads SSL_CERT_FILE, as curl and others do)."""
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))


def test_https_with_a_trusted_certificate(https_server: LocalHTTPServer, trusted: None) -> None:
    url = https_server.route("/feed", Reply(200, FEED, {"ETag": '"t1"'}))
    assert url.startswith("https://127.0.0.1:")
    result = fetch(url)
    assert (result.status, result.body, result.etag) == (200, FEED, '"t1"')


def test_several_https_fetches_share_connections(https_server: LocalHTTPServer, trusted: None) -> None:
    from monitor.fetch import Fetcher

    url = https_server.route("/feed", Reply(200, FEED))

    async def go() -> list[int]:
        async with Fetcher(settings()) as fetcher:
            return [(await fetcher.fetch(url)).status for _ in range(5)]

    assert run(go()) == [200] * 5
    assert len(https_server.hits("/feed")) == 5


def test_closing_a_tls_connection_frees_its_socket_at_once(
    https_server: LocalHTTPServer, ca: trustme.CA
) -> None:
    # A graceful TLS close waits for the peer's close_notify before it frees the socket; when the event
    # loop ended first, the socket was left for the garbage collector (a ResourceWarning, seen in CI).
    from monitor.aionet import AsyncioBackend

    https_server.route("/feed", Reply(200, FEED))
    context = ssl.create_default_context()
    ca.configure_trust(context)

    async def go() -> tuple[int, int]:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", https_server.port, timeout=5)
        stream = await stream.start_tls(context, server_hostname="127.0.0.1", timeout=5)
        await stream.write(b"GET /feed HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", timeout=5)
        assert (await stream.read(65536, timeout=5)).startswith(b"HTTP/1.")
        raw = stream.get_extra_info("socket")
        before = raw.fileno()
        await stream.aclose()
        return before, raw.fileno()

    before, after = run(go())
    assert before >= 0 and after == -1


def test_an_untrusted_certificate_is_a_tls_error(https_server: LocalHTTPServer) -> None:
    url = https_server.route("/feed", Reply(200, FEED))
    error = fetch_error(url)
    assert error.kind == "tls", error
    assert https_server.hits("/feed") == []


def test_a_stalled_tls_handshake_costs_the_deadline() -> None:
    # A listening socket that never accepts: the TCP handshake completes (the kernel's backlog), the TLS
    # one never starts.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        started = time.monotonic()
        error = fetch_error(f"https://127.0.0.1:{port}/feed", settings(timeout_seconds=1.0))
        took = time.monotonic() - started
    assert error.kind == "timeout", error
    assert took < 3


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    from monitor.fetch import Fetcher

    server = LocalHTTPServer(idle_timeout=0.2).start()
    try:
        url = server.route("/feed", Reply(200, FEED))

        async def go() -> list[int]:
            import asyncio

            async with Fetcher(settings()) as fetcher:
                first = await fetcher.fetch(url)
                await asyncio.sleep(0.6)  # the server has closed the kept-alive connection by now
                second = await fetcher.fetch(url)
                return [first.status, second.status]

        assert run(go()) == [200, 200]
    finally:
        server.stop()


def test_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        error = fetch_error(f"http://127.0.0.1:{port}/feed")
    assert isinstance(error, FetchError) and error.kind == "connection", error


def test_conditional_gets_answered_304_reuse_one_connection(http_server: LocalHTTPServer) -> None:
    from monitor.fetch import Fetcher

    url = http_server.route("/feed", Reply(304, b"", {"ETag": '"v1"'}))

    async def go() -> list[int]:
        async with Fetcher(settings()) as fetcher:
            return [(await fetcher.fetch(url, etag='"v1"')).status for _ in range(4)]

    assert run(go()) == [304] * 4
    assert http_server.connections == 1


def test_the_pool_never_opens_more_connections_than_its_limit(http_server: LocalHTTPServer) -> None:
    import asyncio

    from monitor.fetch import Fetcher

    urls = [http_server.route(f"/slow{n}", Reply(200, FEED, delay=0.2)) for n in range(9)]

    async def go() -> list[int]:
        async with Fetcher(settings(), concurrency=3, host_limits={"127.0.0.1": 3}) as fetcher:
            return [r.status for r in await asyncio.gather(*(fetcher.fetch(u) for u in urls))]

    started = time.monotonic()
    assert run(go()) == [200] * 9
    assert http_server.connections == 3  # reused three times each: three rounds of 0.2 s
    assert time.monotonic() - started >= 0.6
