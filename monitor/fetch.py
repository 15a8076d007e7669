"""Fetch feed bytes over HTTP: the only place that talks to feed servers.

What one :meth:`Fetcher.fetch` guarantees, whatever the server does:

- one total deadline (``polling.timeout_seconds``) for the whole fetch, redirects, headers and body
  included, so a server that hangs, hangs after its headers or drips 10 bytes/s costs at most that;
- at most ``polling.max_body_bytes`` of *decoded* body: compressed bodies are inflated here, piece by
  piece with a bounded output size, so a 4 GiB gzip bomb stops at the cap with little memory;
- at most ``polling.max_redirects`` redirects, followed one by one so every hop is checked (http/https
  only, address checked at connect time by :mod:`monitor.netguard`); a chain made only of permanent
  redirects (301/308) is reported so the caller can remember the new address;
- conditional GET (``If-None-Match`` / ``If-Modified-Since``); a 304 is a cheap, successful result;
- 429/503 with ``Retry-After`` (seconds or an HTTP date, clamped) raise :class:`RetryLaterError`;
- every failure is a :class:`~monitor.errors.FetchError` with a stable ``kind``: ``timeout``,
  ``too_large``, ``too_many_redirects``, ``address_refused``, ``http_status``, ``connection``, ``tls``,
  ``retry_later``, ``invalid_url``, ``decode``.

Concurrency: a global limit and a per-host limit, both from the settings. This module does not parse,
store or decide anything.
"""

from __future__ import annotations

import asyncio
import email.utils
import ssl
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.aionet import Pool
from monitor.errors import AddressRefusedError, FetchError, RetryLaterError
from monitor.netguard import AddressRefused, GuardedBackend
from monitor.records import FetchLimits

if TYPE_CHECKING:
    from monitor.config import Settings

ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}


@dataclass(frozen=True)
class FetchResult:
    url: str  #: the URL asked for
    final_url: str  #: where the body came from, after redirects
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    #: Set when every redirect hop was permanent (301/308): the feed's new address.
    permanent_redirect: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def parse_retry_after(value: str | None, now: float, max_seconds: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or HTTP date), clamped to [0, max]."""
    if not value:
        return None
    value = value.strip()
    seconds: float
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now
    return min(max(seconds, 0.0), max_seconds)


class _BoundedDecoder:
    """Inflate a gzip/deflate body incrementally and refuse to produce more than ``cap`` bytes."""

    def __init__(self, encoding: str, cap: int, url: str) -> None:
        self.encoding = encoding
        self.cap = cap
        self.url = url
        self.total = 0
        self.parts: list[bytes] = []
        self._zlib: zlib._Decompress | None = None
        self._ended = False  # the last gzip member is complete: ignore trailing bytes

    def _new(self, first_byte: int | None) -> zlib._Decompress:
        if self.encoding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
        wrapped = first_byte is not None and (first_byte & 0x0F) == 8
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def _add(self, piece: bytes) -> None:
        self.total += len(piece)
        if self.total > self.cap:
            raise FetchError(self.url, f"decoded body exceeds the {self.cap} byte cap", kind="too_large")
        if piece:
            self.parts.append(piece)

    def feed(self, chunk: bytes) -> None:
        if not self.encoding:
            self._add(chunk)
            return
        try:
            data = chunk
            while data and not self._ended:
                if self._zlib is None:
                    self._zlib = self._new(data[0])
                # max_length bounds each step's output: a 1,000:1 bomb never inflates more than the cap.
                self._add(self._zlib.decompress(data, self.cap - self.total + 1))
                data = self._zlib.unconsumed_tail
                if self._zlib.eof:
                    rest = self._zlib.unused_data
                    self._zlib = None
                    # Concatenated gzip members are legal; trailing garbage after the last is ignored.
                    data = rest
                    if not (self.encoding == "gzip" and rest[:2] == b"\x1f\x8b"):
                        self._ended = True
        except zlib.error as exc:
            raise FetchError(self.url, f"cannot decode {self.encoding} body: {exc}", kind="decode") from exc

    def finish(self) -> bytes:
        if self._zlib is not None:
            try:
                self._add(self._zlib.flush())
            except zlib.error as exc:
                raise FetchError(
                    self.url, f"cannot decode {self.encoding} body: {exc}", kind="decode"
                ) from exc
        return b"".join(self.parts)


def host_key(url: str) -> str:
    """The host a URL's per-host limit counts against."""
    return (urlsplit(url).hostname or "").lower()


def _check_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError(url, f"invalid URL: {exc}", kind="invalid_url") from exc
    if parsed.scheme not in ("http", "https"):
        raise AddressRefusedError(url, f"scheme {parsed.scheme!r} refused: only http and https are fetched")
    if not parsed.host:
        raise FetchError(url, "URL has no host", kind="invalid_url")
    return parsed


class Fetcher:
    """An HTTP client for feeds; use as ``async with Fetcher(settings) as f: await f.fetch(url)``.

    ``settings`` may be the service's Settings or the :class:`~monitor.records.FetchLimits` taken from
    them (what a worker process gets). ``concurrency`` and ``host_limits`` override the limits for this
    client: a round split over several processes gives each its share, so the limits hold for the round.
    """

    def __init__(
        self,
        settings: Settings | FetchLimits,
        *,
        concurrency: int | None = None,
        host_limits: Mapping[str, int] | None = None,
    ) -> None:
        p = settings if isinstance(settings, FetchLimits) else FetchLimits.of(settings)
        self.limits = p
        limit = max(1, concurrency or p.concurrency)
        self._global = asyncio.Semaphore(limit)
        self._host_limits = dict(host_limits or {})
        self._hosts: dict[str, asyncio.Semaphore] = {}
        transport = httpx.AsyncHTTPTransport(retries=0, trust_env=False)
        # httpx offers no public way to pass a network backend, so the pool it built is replaced by an
        # identical one that uses the guarded backend (httpx 0.28 keeps it in ``_pool``).
        transport._pool = Pool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limit,
            max_keepalive_connections=limit,
            keepalive_expiry=30.0,
            retries=0,
            network_backend=GuardedBackend(allow_private=p.allow_private_networks),
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # a proxy from the environment would bypass the address check
            timeout=httpx.Timeout(p.timeout_seconds, connect=p.connect_timeout_seconds),
            headers={"User-Agent": p.user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def _host_limit(self, host: str) -> asyncio.Semaphore:
        sem = self._hosts.get(host)
        if sem is None:
            share = self._host_limits.get(host, self.limits.per_host_concurrency)
            sem = self._hosts[host] = asyncio.Semaphore(max(1, share))
        return sem

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        user_agent: str | None = None,
    ) -> FetchResult:
        """Fetch ``url`` within the limits above; raise a FetchError subclass on any failure."""
        async with self._global, self._host_limit(host_key(url)):
            try:
                # The deadline starts once we hold our slots: waiting in the queue is not the server's fault.
                async with asyncio.timeout(self.limits.timeout_seconds):
                    return await self._follow(url, etag, last_modified, user_agent)
            except TimeoutError as exc:
                raise FetchError(
                    url,
                    f"no complete answer within {self.limits.timeout_seconds:g} s",
                    kind="timeout",
                ) from exc

    async def _follow(
        self, url: str, etag: str | None, last_modified: str | None, user_agent: str | None
    ) -> FetchResult:
        current = url
        seen = {url}
        all_permanent = True
        for hop in range(self.limits.max_redirects + 1):
            headers = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            if user_agent:
                headers["User-Agent"] = user_agent
            result, location = await self._one(url, current, headers)
            if location is None:
                assert result is not None
                if hop and all_permanent:
                    result = _replace(result, permanent_redirect=current)
                return result
            assert result is not None
            all_permanent = all_permanent and result.status in _PERMANENT
            if location in seen:
                raise FetchError(
                    url, f"redirect loop at {location}", kind="too_many_redirects", status=result.status
                )
            seen.add(location)
            current = location
        raise FetchError(
            url,
            f"more than {self.limits.max_redirects} redirects (last: {current})",
            kind="too_many_redirects",
        )

    async def _one(
        self, url: str, current: str, headers: dict[str, str]
    ) -> tuple[FetchResult | None, str | None]:
        """One request: (result, None) for a final answer or (redirect result, next URL) for a redirect."""
        target = _check_url(current)
        p = self.limits
        try:
            async with self._client.stream("GET", target, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS and response.headers.get("location"):
                    location = urljoin(current, response.headers["location"].strip())
                    _check_url(location)
                    return FetchResult(url, current, status), location
                if status == 304:
                    # A 304 has no body, but the connection is put back in the pool only once its end
                    # has been read; returning without that closed it, and the next feed on the same
                    # server paid a new connection (half the requests of a round of 304s).
                    await response.aread()
                    return self._result(url, current, response, b""), None
                if status in (429, 503):
                    wait = parse_retry_after(
                        response.headers.get("retry-after"), time.time(), p.max_retry_after_hours * 3600
                    )
                    if wait is not None:
                        raise RetryLaterError(
                            url,
                            f"HTTP {status}, retry after {wait:.0f} s",
                            retry_after_seconds=wait,
                            status=status,
                        )
                if status >= 400 or status < 200:
                    raise FetchError(
                        url, f"HTTP {status} {response.reason_phrase}", kind="http_status", status=status
                    )
                body = await self._read_body(url, response)
                return self._result(url, current, response, body), None
        except AddressRefused as exc:
            raise AddressRefusedError(url, exc.reason) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out: {exc}", kind="timeout") from exc
        except httpx.UnsupportedProtocol as exc:
            raise AddressRefusedError(url, f"unsupported protocol: {exc}") from exc
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"invalid URL: {exc}", kind="invalid_url") from exc
        except httpx.TransportError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ssl.SSLError) or "SSL" in str(exc) or "CERTIFICATE" in str(exc):
                raise FetchError(url, f"TLS failure: {exc}", kind="tls") from exc
            raise FetchError(
                url, f"connection failed: {str(exc) or type(exc).__name__}", kind="connection"
            ) from exc

    async def _read_body(self, url: str, response: httpx.Response) -> bytes:
        cap = self.limits.max_body_bytes
        encodings = [
            e.strip().lower() for e in response.headers.get("content-encoding", "").split(",") if e.strip()
        ]
        encodings = [e for e in encodings if e not in ("identity", "none")]
        if len(encodings) > 1 or (encodings and encodings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(url, f"unsupported Content-Encoding {encodings}", kind="decode")
        encoding = {"x-gzip": "gzip"}.get(encodings[0], encodings[0]) if encodings else ""
        length = response.headers.get("content-length", "")
        if not encoding and length.isdigit() and int(length) > cap:
            raise FetchError(url, f"Content-Length {length} exceeds the {cap} byte cap", kind="too_large")
        decoder = _BoundedDecoder(encoding, cap, url)
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
        return decoder.finish()

    @staticmethod
    def _result(url: str, current: str, response: httpx.Response, body: bytes) -> FetchResult:
        h = response.headers
        return FetchResult(
            url=url,
            final_url=current,
            status=response.status_code,
            body=body,
            content_type=h.get("content-type", ""),
            etag=h.get("etag"),
            last_modified=h.get("last-modified"),
            headers={
                k: v for k, v in h.items() if k in ("content-type", "content-location", "content-language")
            },
        )


def _replace(result: FetchResult, **changes: object) -> FetchResult:
    from dataclasses import replace

    return replace(result, **changes)  # type: ignore[arg-type]
