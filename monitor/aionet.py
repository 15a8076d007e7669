"""An httpcore network backend on asyncio's own streams, for the feed fetcher.

httpcore talks to the network through a pluggable backend; its asyncio one goes through anyio, whose
cancel scopes, task lookups and per-call attribute dictionaries cost more CPU than the HTTP exchange of
a 304 answer itself (measured: 0.76 ms of CPU per conditional GET through anyio, 0.49 ms through this
module). This backend does the same job with :func:`asyncio.open_connection` streams:

- every read, write, connect and TLS handshake honours httpcore's per-operation timeout and raises
  httpcore's own exceptions (``ReadTimeout``, ``ConnectError``, ...), which httpx maps as usual;
- reads return what has arrived, up to ``max_bytes``; ``b""`` means the peer closed;
- ``get_extra_info("is_readable")``, asked of every idle pooled connection before reuse, is true when
  the peer closed or sent bytes nobody asked for: such a connection is dropped, never reused.

It connects where it is told: which addresses are allowed is :mod:`monitor.netguard`'s business.

:class:`Pool` is httpcore's connection pool with one method rewritten: the stock one, run twice per
request, counts the pool's connections once per idle connection (quadratic in the pool size: a
quarter of the CPU of a round of 304s once connections are reused). Same decisions, in linear time.
It overrides a private method, so httpcore is pinned in ``pyproject.toml`` (were the method renamed,
the override would simply never be called: the stock behaviour).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
from httpcore._utils import is_socket_readable  # the check httpcore's own backends use

#: Bytes buffered per connection before reading pauses (asyncio's flow control).
READ_LIMIT = 256 * 1024
#: A connection idle for less than this is not polled for a close the event loop has not seen yet:
#: servers close idle keep-alive connections after seconds, not milliseconds, and the pool asks about
#: every idle connection twice per request (a system call each: a fifth of a 304's CPU).
QUIET_SECONDS = 1.0
#: How long closing a connection waits for the event loop to release its socket (one turn, normally).
CLOSE_WAIT_SECONDS = 1.0


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._socket: socket.socket | None = writer.get_extra_info("socket")
        self._last_io = time.monotonic()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                data = await self._reader.read(max_bytes)
            self._last_io = time.monotonic()
            return data
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(f"no data within {timeout} s") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(f"could not send within {timeout} s") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        # Abort, not close: closing a TLS transport starts the close_notify exchange and frees the
        # socket only when the peer answers, so a peer that never does (or an event loop that ends
        # first) leaves the socket open. An HTTP client has nothing left to send at this point, and
        # httpx's own backend skips close_notify too. The socket is closed on the loop's next turn;
        # waiting for that (bounded) means it is closed when this returns.
        self._writer.transport.abort()
        try:
            async with asyncio.timeout(CLOSE_WAIT_SECONDS):
                await self._writer.wait_closed()
        except (TimeoutError, OSError):
            pass  # closed with an error, or not yet: either way the transport no longer holds it

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            self._writer.transport.abort()
            raise httpcore.ConnectTimeout(f"TLS handshake not done within {timeout} s") from exc
        except OSError as exc:  # ssl.SSLError is an OSError
            self._writer.transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # The transport reads eagerly: a close or stray bytes show in the reader, not the socket.
            # (Unread bytes wait in ``_buffer`` in CPython 3.11 to 3.14; without it only a close shows.)
            reader = self._reader
            if reader.at_eof() or reader.exception() is not None or bool(getattr(reader, "_buffer", None)):
                return True
            if time.monotonic() - self._last_io < QUIET_SECONDS:
                return False
            return self._socket is not None and is_socket_readable(self._socket)
        if info == "socket":
            return self._socket
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Plain TCP connections on the running asyncio loop (no name resolution of its own beyond asyncio's)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, limit=READ_LIMIT, local_addr=local)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} within {timeout} s") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Pool(httpcore.AsyncConnectionPool):
    """httpcore's pool; see the module docstring for what differs."""

    def _assign_requests_to_connections(self) -> list[Any]:
        closing: list[Any] = []
        connections = self._connections
        # Drop closed and expired connections, and idle ones beyond the keep-alive allowance (the
        # stock method compares the pool's size, not its idle count, with that allowance: kept).
        for connection in list(connections):
            if connection.is_closed():
                connections.remove(connection)
            elif connection.has_expired() or (
                connection.is_idle() and len(connections) > self._max_keepalive_connections
            ):
                connections.remove(connection)
                closing.append(connection)
        # Give each queued request a connection: one that can take it, else a new one, else a new one
        # in place of an idle one (it waits otherwise).
        for request in [r for r in self._requests if r.is_queued()]:
            origin = request.request.url.origin
            chosen = next((c for c in connections if c.can_handle_request(origin) and c.is_available()), None)
            if chosen is None:
                if len(connections) >= self._max_connections:
                    idle = next((c for c in connections if c.is_idle()), None)
                    if idle is None:
                        continue
                    connections.remove(idle)
                    closing.append(idle)
                chosen = self.create_connection(origin)
                connections.append(chosen)
            request.assign_to_connection(chosen)
        return closing
