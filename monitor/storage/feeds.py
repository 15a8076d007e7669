"""Feed bookkeeping: add, list with health, look up, remove, enable/disable, and sync from the config.

Every function takes a ``Session`` and never commits; the caller owns the transaction
(``with db.transaction() as s:``). Rows leave this module as :class:`FeedInfo` dataclasses.

What this module does not do: fetch or parse feeds, or decide when a feed is due (polling does that and
writes the health columns this module only reads).

Removing a feed drops its poll log and its ``article_feeds`` link rows but keeps every article: an
article may have come through other feeds too, and analysts' reviews, extractions and incidents hang on
it. "Nothing lost" means a feed removal never takes an analyst's work with it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitor.config import FeedSpec
from monitor.errors import InputError
from monitor.storage.models import ArticleFeed, Feed, PollLog

MAX_URL_LENGTH = 2048
_CONTROL = re.compile(r"[\x00-\x20\x7f]")

Status = str  # "ok", "failing", "never polled", "disabled"


def normalise_feed_url(raw: str) -> str:
    """Strip the URL, lower-case its scheme and host; refuse anything but an absolute http(s) URL.

    The path and query are kept as typed: servers may treat them case-sensitively. The fragment is
    dropped because it is never sent to the server.
    """
    url = raw.strip()
    if not url:
        raise InputError("feed URL is empty")
    if _CONTROL.search(url):
        raise InputError(f"feed URL {url[:200]!r} contains spaces or control characters")
    if len(url) > MAX_URL_LENGTH:
        raise InputError(f"feed URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise InputError(f"feed URL {url!r} is malformed: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "no scheme"
        raise InputError(f"feed URL {url!r} is not http:// or https:// ({shown}); only web feeds are polled")
    host = (parts.hostname or "").lower()
    if not host:
        raise InputError(f"feed URL {url!r} has no host name")
    netloc = f"[{host}]" if ":" in host else host
    if parts.username is not None or parts.password is not None:
        raise InputError(f"feed URL {url!r} carries a user name or password; credentials are not supported")
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


@dataclass(frozen=True)
class FeedInfo:
    """A feed and its health, as shown by `monitor feeds list`."""

    id: int
    url: str
    title: str
    site_url: str
    source: str
    enabled: bool
    added_at: dt.datetime
    interval_minutes: float | None
    last_polled_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error_at: dt.datetime | None
    last_status: str | None
    last_error_kind: str | None
    last_error_message: str | None
    last_http_status: int | None
    consecutive_failures: int
    next_poll_at: dt.datetime | None

    @property
    def status(self) -> Status:
        if not self.enabled:
            return "disabled"
        if self.last_polled_at is None:
            return "never polled"
        if self.consecutive_failures > 0:
            return "failing"
        return "ok"

    @classmethod
    def from_row(cls, row: Feed) -> FeedInfo:
        return cls(
            id=row.id,
            url=row.url,
            title=row.title or "",
            site_url=row.site_url or "",
            source=row.source,
            enabled=bool(row.enabled),
            added_at=row.added_at,
            interval_minutes=row.interval_minutes,
            last_polled_at=row.last_polled_at,
            last_success_at=row.last_success_at,
            last_error_at=row.last_error_at,
            last_status=row.last_status,
            last_error_kind=row.last_error_kind,
            last_error_message=row.last_error_message,
            last_http_status=row.last_http_status,
            consecutive_failures=row.consecutive_failures or 0,
            next_poll_at=row.next_poll_at,
        )


@dataclass(frozen=True)
class AddResult:
    feed: FeedInfo
    created: bool  # False: the URL was already there and nothing changed


@dataclass(frozen=True)
class RemoveResult:
    feed: FeedInfo
    poll_log_rows: int
    article_links: int


def _row_by_ref(session: Session, ref: int | str) -> Feed | None:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
        return session.get(Feed, int(ref))
    try:
        url = normalise_feed_url(ref)
    except InputError:
        return None
    return session.scalars(select(Feed).where(Feed.url == url)).first()


def get_feed(session: Session, ref: int | str) -> FeedInfo | None:
    """The feed with this id (an int or a string of digits) or this URL (normalised first)."""
    row = _row_by_ref(session, ref)
    return FeedInfo.from_row(row) if row else None


def add_feed(
    session: Session,
    url: str,
    *,
    now: dt.datetime,
    title: str = "",
    site_url: str = "",
    interval_minutes: float | None = None,
    source: str = "cli",
) -> AddResult:
    """Add a feed; an URL that is already present is left as it is (``created=False``).

    Raises InputError for a URL that is not an absolute http(s) URL or a non-positive interval.
    """
    normalised = normalise_feed_url(url)
    if interval_minutes is not None and not interval_minutes > 0:
        raise InputError(f"poll interval must be a positive number of minutes, got {interval_minutes}")
    existing = session.scalars(select(Feed).where(Feed.url == normalised)).first()
    if existing is not None:
        return AddResult(FeedInfo.from_row(existing), created=False)
    row = Feed(
        url=normalised,
        title=title.strip(),
        site_url=site_url.strip(),
        source=source,
        enabled=True,
        added_at=now,
        interval_minutes=interval_minutes,
        consecutive_failures=0,
    )
    session.add(row)
    session.flush()
    return AddResult(FeedInfo.from_row(row), created=True)


def list_feeds(session: Session, *, failing_only: bool = False) -> list[FeedInfo]:
    """Every feed in id order; with ``failing_only``, those whose last poll(s) failed."""
    query = select(Feed).order_by(Feed.id)
    if failing_only:
        query = query.where(Feed.consecutive_failures > 0)
    return [FeedInfo.from_row(row) for row in session.scalars(query)]


def remove_feed(session: Session, ref: int | str) -> RemoveResult | None:
    """Remove a feed, its poll log and its article links; the articles themselves stay.

    Explicit deletes rather than relying on ``ON DELETE CASCADE``, so the counts can be reported and the
    behaviour does not depend on the backend enforcing foreign keys.
    """
    row = _row_by_ref(session, ref)
    if row is None:
        return None
    info = FeedInfo.from_row(row)
    logs = session.execute(delete(PollLog).where(PollLog.feed_id == row.id))
    links = session.execute(delete(ArticleFeed).where(ArticleFeed.feed_id == row.id))
    session.delete(row)
    session.flush()
    return RemoveResult(info, poll_log_rows=_rowcount(logs), article_links=_rowcount(links))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def set_enabled(session: Session, ref: int | str, enabled: bool) -> FeedInfo | None:
    """Enable or disable a feed; None when there is no such feed."""
    row = _row_by_ref(session, ref)
    if row is None:
        return None
    row.enabled = enabled
    session.flush()
    return FeedInfo.from_row(row)


@dataclass(frozen=True)
class SyncResult:
    added: list[FeedInfo]
    problems: list[str]


def sync_config_feeds(session: Session, specs: Iterable[FeedSpec], now: dt.datetime) -> SyncResult:
    """Add the config file's feeds that are not in the database yet (``source="config"``).

    Never deletes or changes a feed: feeds added by people stay, and a config feed someone disabled stays
    disabled. A spec whose URL is refused is reported in ``problems`` and skipped.
    """
    existing = set(session.scalars(select(Feed.url)))
    added: list[FeedInfo] = []
    problems: list[str] = []
    for spec in specs:
        try:
            url = normalise_feed_url(spec.url)
        except InputError as exc:
            problems.append(f"config feed skipped: {exc}")
            continue
        if url in existing:
            continue
        result = add_feed(
            session, url, now=now, title=spec.title, interval_minutes=spec.interval_minutes, source="config"
        )
        existing.add(url)
        added.append(result.feed)
    return SyncResult(added, problems)
