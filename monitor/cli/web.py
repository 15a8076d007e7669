"""`monitor web` (the review app), `monitor users ...` (accounts) and `monitor review ...` (CLI review)."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from monitor.cli.context import AppContext, pass_app
from monitor.errors import ConfigError
from monitor.storage import reviews
from monitor.web.security import hash_password


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@click.command("web")
@click.option("--host", default=None, help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: web.port, 8080).")
@click.option("--threads", type=int, default=8, show_default=True)
@pass_app
def web_command(app: AppContext, host: str | None, port: int | None, threads: int) -> None:
    """Serve the analysts' web app (review queue, incidents, alerts, exports)."""
    from waitress import serve

    from monitor.web import create_app

    settings = app.settings
    flask_app = create_app(settings, app.database())
    host = host or settings.web.host
    port = port or settings.web.port
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.web.behind_tls:
        click.echo(
            "warning: listening beyond localhost without web.behind_tls: put the app behind HTTPS "
            "so that passwords and session cookies are not sent in clear text",
            err=True,
        )
    click.echo(f"web app on http://{host}:{port}/ (log in with an account made by `monitor users add`)")
    serve(flask_app, host=host, port=port, threads=threads, ident="monitor")


@click.group("users")
def users_group() -> None:
    """Analysts' accounts for the web app."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_group.command("add")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@pass_app
def users_add(app: AppContext, username: str, password_stdin: bool) -> None:
    """Create an account (the password is asked for, never given on the command line)."""
    username = username.strip()
    if not username or len(username) > 128 or any(c.isspace() for c in username):
        raise ConfigError("username must be 1-128 characters without spaces")
    password = _read_password(password_stdin)
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    with app.database().transaction() as s:
        if reviews.find_user(s, username) is not None:
            raise ConfigError(f"user {username!r} already exists")
        reviews.add_user(s, username, hashed, _now())
    click.echo(f"user {username} created")


@users_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
@pass_app
def users_passwd(app: AppContext, username: str, password_stdin: bool) -> None:
    """Set a new password."""
    password = _read_password(password_stdin)
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    with app.database().transaction() as s:
        found = reviews.find_user(s, username)
        if found is None:
            raise ConfigError(f"no user {username!r}")
        reviews.set_password_hash(s, found[0].id, hashed)
    click.echo(f"password of {username} changed")


@users_group.command("list")
@pass_app
def users_list(app: AppContext) -> None:
    with app.database().reader() as s:
        for user in reviews.list_users(s):
            last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "never"
            state = "active" if user.is_active else "disabled"
            click.echo(f"{user.username}\t{state}\tlast login {last}")


@users_group.command("disable")
@click.argument("username")
@pass_app
def users_disable(app: AppContext, username: str) -> None:
    """Disable an account; its sessions stop working at the next request."""
    with app.database().transaction() as s:
        if not reviews.set_active(s, username, False):
            raise ConfigError(f"no user {username!r}")
    click.echo(f"user {username} disabled")


@click.group("review")
def review_group() -> None:
    """Review flagged articles from the terminal."""


def _clean(text: str) -> str:
    """Third-party text for a terminal: no control characters (escape sequences could rewrite the screen)."""
    return "".join(c if c.isprintable() else " " for c in text)


@review_group.command("list")
@click.option("--verdict", default="unreviewed", show_default=True)
@click.option("--order", default="newest", show_default=True, help="newest, oldest, uncertain, score")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_app
def review_list(app: AppContext, verdict: str, order: str, limit: int, as_json: bool) -> None:
    """Flagged articles waiting for a verdict (or with the given one)."""
    threshold = app.settings.classifier.threshold or 0.5
    flt = reviews.QueueFilter(verdict=verdict, order=order, threshold=threshold)
    with app.database().reader() as s:
        items = reviews.queue(s, flt, limit=limit)
    for item in items:
        if as_json:
            record = {
                "id": item.id,
                "title": item.title,
                "url": item.url,
                "score": item.score,
                "verdict": item.verdict,
                "reasons": item.reasons,
                "outlets": item.outlets,
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            score = "-" if item.score is None else f"{item.score:.2f}"
            click.echo(f"{item.id}\t{score}\t{item.verdict or 'unreviewed'}\t{_clean(item.title)[:100]}")


@review_group.command("set")
@click.argument("article_id", type=int)
@click.argument("verdict", type=click.Choice(reviews.VERDICTS))
@click.option("--note", default="")
@click.option("--user", "username", default=None, help="Record the verdict under this account.")
@pass_app
def review_set(app: AppContext, article_id: int, verdict: str, note: str, username: str | None) -> None:
    """Record a verdict (confirmed, rejected, unsure) on an article."""
    with app.database().transaction() as s:
        user_id = None
        if username:
            found = reviews.find_user(s, username)
            if found is None:
                raise ConfigError(f"no user {username!r}")
            user_id = found[0].id
        try:
            reviews.record_review(s, article_id, user_id, verdict, note, _now())
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
    click.echo(f"article {article_id}: {verdict}")


COMMANDS = (web_command, users_group, review_group)
