"""The analysts' web app: `create_app(settings)` builds a Flask app on the service's database.

Server-rendered pages (Jinja, autoescaped) and a small JSON API; one static script for keyboard review.
Every page, API route and export needs a logged-in user: the check runs before every request and only
the login page and static files are exempt. No debug pages, ever (``debug`` is never turned on here).

This package does not poll, classify or send alerts; it reads what the service stored and records what
analysts decide (verdicts, corrections, silences).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, redirect, request, session, url_for

from monitor.config import Settings
from monitor.storage import reviews
from monitor.storage.db import Database
from monitor.web.security import SECURITY_HEADERS, RateLimiter, csrf_matches, new_csrf_token

log = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = {"auth.login", "static", "favicon"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class WebState:
    settings: Settings
    db: Database
    login_limiter: RateLimiter


def state() -> WebState:
    from flask import current_app

    web_state: WebState = current_app.extensions["monitor"]
    return web_state


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _secret_key(settings: Settings) -> str:
    """The configured secret, else one kept in the data directory so sessions survive restarts."""
    if settings.web.secret_key is not None:
        return settings.web.secret_key.get_secret_value()
    path = Path(settings.data_dir) / "web-secret-key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    log.info("created a web secret key", extra={"path": str(path)})
    return key


def create_app(settings: Settings, db: Database | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_NAME="monitor_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.behind_tls,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12),
        MAX_CONTENT_LENGTH=1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    database = db or Database(settings.database_url, busy_timeout=settings.database.sqlite_busy_timeout)
    app.extensions["monitor"] = WebState(
        settings=settings,
        db=database,
        login_limiter=RateLimiter(settings.web.login_attempts_per_minute, 60.0),
    )

    from monitor.web import api, auth, dashboard, incidents_views, review_views

    for module in (auth, dashboard, review_views, incidents_views, api):
        app.register_blueprint(module.bp)

    # Browsers ask for a favicon on their own; answering it without a session keeps that request from
    # racing the login page for the session cookie.
    app.add_url_rule("/favicon.ico", "favicon", lambda: Response(status=204))
    app.before_request(_load_user)
    app.before_request(_require_login)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.context_processor(_template_globals)
    app.jinja_env.filters["when"] = _format_when
    app.jinja_env.filters["score"] = lambda v: "" if v is None else f"{v:.2f}"
    app.jinja_env.filters["safe_url"] = safe_url
    return app


def _load_user() -> None:
    g.user = None
    if request.endpoint in ("static", "favicon"):
        return
    user_id = session.get("uid")
    if user_id is None:
        return
    with state().db.reader() as s:
        user = reviews.get_user(s, int(user_id))
    if user is None or not user.is_active:
        session.clear()
        return
    g.user = user


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/export/"))


def _require_login() -> Any:
    if g.user is not None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if _wants_json():
        return jsonify(error="login required"), 401
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = new_csrf_token()
        session["csrf"] = token
    return str(token)


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == request.host_url.rstrip("/")


def _check_csrf() -> Any:
    if request.method in SAFE_METHODS:
        return None
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
    if not _same_origin() or not csrf_matches(session.get("csrf"), given):
        log.warning(
            "csrf check failed",
            extra={
                "path": request.path,
                "origin_ok": _same_origin(),
                "has_session_token": bool(session.get("csrf")),
                "given": bool(given),
            },
        )
        if _wants_json():
            return jsonify(error="CSRF check failed: reload the page"), 403
        return Response("CSRF check failed: reload the page and try again.", 403, mimetype="text/plain")
    return None


def _security_headers(response: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if state().settings.web.behind_tls:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def _template_globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "current_user": g.get("user")}


def safe_url(value: str | None) -> str:
    """A link from a feed, kept only if it is http(s); anything else (javascript:, data:) becomes '#'."""
    text = (value or "").strip()
    return text if re.match(r"(?i)^https?://", text) else "#"


def _format_when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()
