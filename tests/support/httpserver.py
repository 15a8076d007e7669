"""A scriptable HTTP server on 127.0.0.1 for tests: feeds, Slack webhooks, anything that speaks HTTP.

Tests register a reply per path (a fixed :class:`Reply` or a function of the request) and read back the
requests the server saw. Replies can be slowed, dripped, cut off or held open, so hostile-server cases are
real TCP behaviour, not mocks.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Sent instead of ``body`` when given: each piece is written and flushed, with ``pause`` between.
    chunks: Iterable[bytes] | None = None
    pause: float = 0.0
    delay: float = 0.0  # before the status line
    #: Stop after the headers (and this many body bytes) and hold the connection open this long.
    hold_after: int | None = None
    hold_seconds: float = 30.0


Handler = Callable[[Request], Reply]


class LocalHTTPServer:
    """``tls``: serve HTTPS with this server-side context (e.g. from a trustme certificate);
    ``idle_timeout``: close a kept-alive connection that stays idle this long, as real servers do."""

    def __init__(self, tls: ssl.SSLContext | None = None, idle_timeout: float | None = None) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self.connections = 0  #: TCP connections accepted so far
        self._lock = threading.Lock()
        self._stop = threading.Event()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = idle_timeout

            def setup(self) -> None:
                super().setup()
                with outer._lock:
                    outer.connections += 1

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, parts.path, parts.query, dict(self.headers.items()), body)
                with outer._lock:
                    outer.requests.append(request)
                handler = outer.routes.get(parts.path)
                reply = handler(request) if handler else Reply(404, b"not found")
                if reply.delay:
                    outer._stop.wait(reply.delay)
                payload = reply.body if reply.chunks is None else None
                self.send_response(reply.status)
                headers = {k.lower(): v for k, v in reply.headers.items()}
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if "content-length" not in headers and payload is not None:
                    self.send_header("Content-Length", str(len(payload)))
                if reply.chunks is not None and "content-length" not in headers:
                    self.send_header("Connection", "close")
                self.end_headers()
                try:
                    if reply.hold_after is not None:
                        self.wfile.write((payload or b"")[: reply.hold_after])
                        self.wfile.flush()
                        outer._stop.wait(reply.hold_seconds)
                        self.close_connection = True
                        return
                    if payload is not None:
                        if self.command != "HEAD":
                            self.wfile.write(payload)
                        return
                    for piece in reply.chunks or ():
                        self.wfile.write(piece)
                        self.wfile.flush()
                        if reply.pause and outer._stop.wait(reply.pause):
                            break
                    self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_HEAD = do_PUT = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls is not None:
            # The handshake runs in each request's thread, so a client that hangs up mid-handshake
            # holds up nobody else.
            self.server.socket = tls.wrap_socket(
                self.server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port = self.server.server_address[1]
        # A short poll interval makes stop() quick: the default 0.5 s adds up over hundreds of tests.
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def route(self, path: str, reply: Reply | Handler) -> str:
        """Serve ``reply`` at ``path``; returns the full URL."""
        self.routes[path] = reply if callable(reply) else (lambda _req, r=reply: r)
        return self.url(path)

    def hits(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Request]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hits = self.hits(path)
            if len(hits) >= count:
                return hits
            time.sleep(0.02)
        raise AssertionError(f"{path}: expected {count} requests, saw {len(self.hits(path))}")
