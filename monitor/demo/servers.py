"""The demo's local peers on 127.0.0.1: a feed server on a settable clock, a Slack webhook receiver
and an SMTP mail catcher. What the receivers get is written to files for the newcomer to open.

Demo-only code: nothing else in the service imports this module.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from monitor.demo.stream import OUTLETS, Item


def render_rss(outlet: str, items: list[Item]) -> bytes:
    name, base = OUTLETS[outlet]
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>{escape(name)}</title><link>{escape(base)}/</link><description>Demo outlet</description>",
    ]
    for item in items:
        parts.append(
            f"<item><title>{escape(item.title)}</title><link>{escape(item.link)}</link>"
            f'<guid isPermaLink="false">{escape(item.guid)}</guid>'
            f"<pubDate>{format_datetime(item.published_at, usegmt=True)}</pubDate>"
            f"<description>{escape(item.text)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


class FeedServer:
    """Serves ``/<outlet>.xml`` with the latest 40 items published up to ``clock``."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.clock = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.slack_dir: Path | None = None
        self.slack_count = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outlet = self.path.strip("/").removesuffix(".xml")
                if outlet not in OUTLETS:
                    self.send_error(404)
                    return
                visible = [i for i in outer.items if i.outlet == outlet and i.published_at <= outer.clock]
                body = render_rss(outlet, visible[-40:][::-1])
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = self.rfile.read(length)
                if self.path != "/slack" or outer.slack_dir is None:
                    self.send_error(404)
                    return
                outer.slack_count += 1
                target = outer.slack_dir / f"{outer.slack_count:03d}.json"
                target.write_text(
                    json.dumps(json.loads(payload), indent=1, ensure_ascii=False), encoding="utf-8"
                )
                body = b"ok"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class MailCatcher:
    """An SMTP server on 127.0.0.1 that writes every message it receives to ``<folder>/NNN.eml``."""

    def __init__(self, folder: Path) -> None:
        from aiosmtpd.controller import Controller

        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.count = 0
        catcher = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                catcher.count += 1
                (folder / f"{catcher.count:03d}.eml").write_bytes(
                    envelope.original_content or envelope.content
                )
                return "250 OK: kept by the demo mail catcher"

        import socket

        # aiosmtpd connects to its own port to check that it started, so it needs a concrete port.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
