"""Helpers for web tests: an app on a test database, a logged-in client, and a live server thread."""

from __future__ import annotations

import re
import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from monitor.storage import reviews
from monitor.storage.db import Database
from monitor.web.security import hash_password

PASSWORD = "correct horse battery"
_HASH = hash_password(PASSWORD)  # hashing is slow on purpose: once per test run


def add_analyst(db: Database, username: str = "analyst") -> int:
    import datetime as dt

    with db.transaction() as s:
        return reviews.add_user(s, username, _HASH, dt.datetime.now(dt.UTC)).id


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str = "analyst", password: str = PASSWORD) -> Any:
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"
