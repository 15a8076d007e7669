"""`monitor feeds add|list|remove|import|export|enable|disable`.

Thin layer: parses arguments, opens one transaction per change through ``monitor.storage.feeds``, and
shows results. Everything a feed server wrote (titles, error messages) is made safe before it reaches
the terminal: control characters and escape sequences are removed and long text is cut.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli.context import AppContext, pass_app
from monitor.errors import InputError
from monitor.opml import OpmlFeed, export_opml, parse_opml
from monitor.storage import feeds as store
from monitor.storage.feeds import FeedInfo

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def safe_text(value: str | None, limit: int = 120) -> str:
    """Third-party text made fit for a terminal: one line, no control or bidi characters, cut to ``limit``."""
    if not value:
        return ""
    text = _UNSAFE.sub("", " ".join(value.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def _error(feed: FeedInfo, limit: int = 80) -> str:
    if not feed.last_error_kind and not feed.last_error_message:
        return "-"
    kind = safe_text(feed.last_error_kind, 40) or "error"
    return f"{kind}: {safe_text(feed.last_error_message, limit)}" if feed.last_error_message else kind


def _next_poll(feed: FeedInfo) -> str:
    if not feed.enabled:
        return "-"
    return _when(feed.next_poll_at) if feed.next_poll_at else "due now"


def _as_json(feed: FeedInfo) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return value.astimezone(dt.UTC).isoformat() if value else None

    return {
        "id": feed.id,
        "url": feed.url,
        "title": feed.title,
        "source": feed.source,
        "enabled": feed.enabled,
        "status": feed.status,
        "interval_minutes": feed.interval_minutes,
        "last_polled_at": iso(feed.last_polled_at),
        "last_success_at": iso(feed.last_success_at),
        "last_error_at": iso(feed.last_error_at),
        "last_error_kind": feed.last_error_kind,
        "last_error_message": feed.last_error_message,
        "last_http_status": feed.last_http_status,
        "consecutive_failures": feed.consecutive_failures,
        "next_poll_at": iso(feed.next_poll_at),
    }


@click.group("feeds")
def feeds_group() -> None:
    """Manage the feeds that are polled."""


@feeds_group.command("add")
@click.argument("url")
@click.option("--title", default="", help="A name to show instead of the URL.")
@click.option("--interval", "interval", type=float, default=None, help="Poll interval in minutes.")
@pass_app
def feeds_add(app: AppContext, url: str, title: str, interval: float | None) -> None:
    """Add the feed at URL (http or https)."""
    now = dt.datetime.now(dt.UTC)
    with app.database().transaction() as session:
        result = store.add_feed(session, url, now=now, title=title, interval_minutes=interval)
    feed = result.feed
    if result.created:
        click.echo(f"added feed {feed.id}: {feed.url}")
    else:
        click.echo(f"feed {feed.id} is already there: {feed.url} (nothing changed)")


@feeds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
@click.option("--failing", is_flag=True, help="Only feeds whose last poll failed.")
@pass_app
def feeds_list(app: AppContext, as_json: bool, failing: bool) -> None:
    """Show every feed with its health: last success, last error, failures in a row, next poll."""
    with app.database().reader() as session:
        feeds = store.list_feeds(session, failing_only=failing)
    if as_json:
        click.echo(json.dumps([_as_json(f) for f in feeds], indent=2, ensure_ascii=False))
        return
    if not feeds:
        click.echo("no failing feeds" if failing else "no feeds yet: `monitor feeds add URL` or `import`")
        return
    if sys.stdout.isatty():
        _rich_table(feeds)
        return
    for f in feeds:
        click.echo(
            f"{f.id}\t{f.status}\t{safe_text(f.url, 200)}\t{safe_text(f.title, 60) or '-'}\t"
            f"last success {_when(f.last_success_at)}\tlast error {_error(f)}\t"
            f"failures {f.consecutive_failures}\tnext poll {_next_poll(f)}"
        )


def _rich_table(feeds: list[FeedInfo]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    styles = {"ok": "green", "failing": "bold red", "never polled": "yellow", "disabled": "dim"}
    table = Table(title=f"{len(feeds)} feeds", show_lines=False)
    for column in ("id", "status", "feed", "last success", "last error", "fails", "next poll"):
        table.add_column(column, overflow="fold")
    for f in feeds:
        # Text objects, never markup strings: a title like "[bold]" or "[link=...]" stays literal.
        name = Text(safe_text(f.title, 50)) if f.title else Text("")
        if f.title:
            name.append("\n")
        name.append(safe_text(f.url, 100), style="dim")
        table.add_row(
            Text(str(f.id)),
            Text(f.status, style=styles.get(f.status, "")),
            name,
            Text(_when(f.last_success_at)),
            Text(_error(f, 60)),
            Text(str(f.consecutive_failures)),
            Text(_next_poll(f)),
        )
    Console().print(table)


@feeds_group.command("remove")
@click.argument("ref", metavar="ID|URL")
@pass_app
def feeds_remove(app: AppContext, ref: str) -> None:
    """Remove a feed and its poll history; articles it brought in are kept."""
    with app.database().transaction() as session:
        result = store.remove_feed(session, ref)
    if result is None:
        raise InputError(f"no feed {safe_text(ref, 200)!r} (give its id or URL; see `monitor feeds list`)")
    click.echo(
        f"removed feed {result.feed.id}: {result.feed.url} "
        f"({result.poll_log_rows} poll log entries; articles kept, {result.article_links} links dropped)"
    )
    if result.feed.source == "config" and _in_config(app, result.feed.url):
        click.echo(
            "note: this feed is listed in the config file and will be added again when `monitor run` "
            "starts; remove it from the file, or use `monitor feeds disable` instead",
            err=True,
        )


def _in_config(app: AppContext, url: str) -> bool:
    for spec in app.settings.feeds:
        try:
            if store.normalise_feed_url(spec.url) == url:
                return True
        except InputError:
            continue
    return False


def _set_enabled(app: AppContext, ref: str, enabled: bool) -> None:
    with app.database().transaction() as session:
        feed = store.set_enabled(session, ref, enabled)
    if feed is None:
        raise InputError(f"no feed {safe_text(ref, 200)!r} (give its id or URL; see `monitor feeds list`)")
    click.echo(f"feed {feed.id} {'enabled' if enabled else 'disabled'}: {feed.url}")


@feeds_group.command("enable")
@click.argument("ref", metavar="ID|URL")
@pass_app
def feeds_enable(app: AppContext, ref: str) -> None:
    """Poll this feed again."""
    _set_enabled(app, ref, True)


@feeds_group.command("disable")
@click.argument("ref", metavar="ID|URL")
@pass_app
def feeds_disable(app: AppContext, ref: str) -> None:
    """Stop polling this feed but keep it and its history."""
    _set_enabled(app, ref, False)


@feeds_group.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_app
def feeds_import(app: AppContext, path: Path) -> None:
    """Add the feeds of an OPML file; report added, already present and invalid entries.

    Exit status 0 when every entry was usable, 1 when some were skipped.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", source=str(path)) from exc
    doc = parse_opml(data, source=str(path))
    db = app.database()
    now = dt.datetime.now(dt.UTC)
    added: list[FeedInfo] = []
    present: list[FeedInfo] = []
    invalid = [str(p) for p in doc.problems]
    with db.transaction() as session:
        for entry in doc.feeds:
            try:
                result = store.add_feed(
                    session, entry.url, now=now, title=entry.title, site_url=entry.site_url, source="opml"
                )
            except InputError as exc:
                invalid.append(f"line {entry.line}: {exc}")
                continue
            (added if result.created else present).append(result.feed)
    for feed in added:
        click.echo(f"added {feed.id}: {safe_text(feed.url, 200)}")
    for feed in present:
        click.echo(f"already present {feed.id}: {safe_text(feed.url, 200)}")
    for problem in invalid:
        click.echo(f"invalid: {safe_text(problem, 300)}", err=True)
    click.echo(f"{path}: {len(added)} added, {len(present)} already present, {len(invalid)} invalid")
    if invalid:
        sys.exit(1)


@feeds_group.command("export")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), required=False)
@pass_app
def feeds_export(app: AppContext, path: Path | None) -> None:
    """Write every feed as OPML 2.0 to PATH, or to standard output."""
    with app.database().reader() as session:
        feeds = store.list_feeds(session)
    data = export_opml(
        [OpmlFeed(url=f.url, title=f.title, site_url=f.site_url) for f in feeds], now=dt.datetime.now(dt.UTC)
    )
    if path is None:
        click.echo(data, nl=False)
        return
    try:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # a reader never sees half a file
    except OSError as exc:
        raise InputError(f"cannot write: {exc}", source=str(path)) from exc
    click.echo(f"wrote {len(feeds)} feeds to {path}", err=True)


COMMANDS = (feeds_group,)
