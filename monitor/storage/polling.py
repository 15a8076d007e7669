"""Polling queries: which feeds are due, and recording each poll's outcome (feed row + poll log).

Functions take a Session and never commit; the pipeline owns the transactions. ORM rows are turned into
plain dataclasses here so the async pipeline never touches a session-bound object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from monitor.records import DueFeed as DueFeed  # re-exported: the pipeline and the CLI use it from here
from monitor.storage.models import Article, Feed, Incident, PollLog


@dataclass
class PollOutcome:
    """Everything one poll of one feed changes on the feed row and in the poll log."""

    feed_id: int
    started_at: dt.datetime
    finished_at: dt.datetime
    status: str  # ok, not_modified, error, retry_later
    next_poll_at: dt.datetime
    consecutive_failures: int
    error_kind: str | None = None
    message: str | None = None
    http_status: int | None = None
    entries: int = 0
    new_articles: int = 0
    updated_articles: int = 0
    etag: str | None = None
    last_modified: str | None = None
    #: Replace the stored validators (a 200 answer): None values then clear them.
    set_validators: bool = False
    redirect_url: str | None = None
    feed_title: str | None = None  #: set when the feed row has no title yet
    site_url: str | None = None

    @property
    def duration_ms(self) -> int:
        return max(int((self.finished_at - self.started_at).total_seconds() * 1000), 0)

    @property
    def failed(self) -> bool:
        return self.status in ("error", "retry_later")


def _to_due(row: Feed) -> DueFeed:
    return DueFeed(
        id=row.id,
        url=row.url,
        redirect_url=row.redirect_url,
        etag=row.etag,
        last_modified=row.last_modified,
        interval_minutes=row.interval_minutes,
        consecutive_failures=row.consecutive_failures or 0,
        title=row.title or "",
        site_url=row.site_url or "",
    )


def due_feeds(session: Session, now: dt.datetime, *, include_all: bool = False) -> list[DueFeed]:
    """Enabled feeds whose next poll is due (or every enabled feed with ``include_all``), oldest first."""
    query = select(Feed).where(Feed.enabled.is_(True))
    if not include_all:
        query = query.where(or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now))
    query = query.order_by(Feed.next_poll_at.is_not(None), Feed.next_poll_at, Feed.id)
    return [_to_due(row) for row in session.scalars(query)]


def _feed_changes(o: PollOutcome) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": o.feed_id,
        "last_polled_at": o.finished_at,
        "last_status": o.status,
        "last_http_status": o.http_status,
        "consecutive_failures": o.consecutive_failures,
        "next_poll_at": o.next_poll_at,
    }
    if o.failed:
        values.update(
            last_error_at=o.finished_at,
            last_error_kind=o.error_kind,
            last_error_message=(o.message or "")[:2000],
        )
    else:
        values["last_success_at"] = o.finished_at
    if o.set_validators:
        values.update(etag=(o.etag or None) and o.etag[:1024], last_modified=(o.last_modified or None))
    elif o.etag or o.last_modified:
        # A 304 may carry fresh validators; keep the old ones otherwise.
        if o.etag:
            values["etag"] = o.etag[:1024]
        if o.last_modified:
            values["last_modified"] = o.last_modified[:256]
    if o.redirect_url:
        values["redirect_url"] = o.redirect_url[:2048]
    if o.feed_title:
        values["title"] = o.feed_title
    if o.site_url:
        values["site_url"] = o.site_url[:2048]
    return values


def _log_row(o: PollOutcome) -> dict[str, Any]:
    return {
        "feed_id": o.feed_id,
        "started_at": o.started_at,
        "duration_ms": o.duration_ms,
        "status": o.status,
        "error_kind": o.error_kind,
        "message": (o.message or None) and (o.message or "")[:2000],
        "http_status": o.http_status,
        "entries": o.entries,
        "new_articles": o.new_articles,
        "updated_articles": o.updated_articles,
    }


def record_polls(session: Session, outcomes: Sequence[PollOutcome]) -> None:
    """Write the outcomes of several polls: feed rows updated by primary key, poll-log rows inserted."""
    if not outcomes:
        return
    # Rows with the same set of keys are sent together as one executemany.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for o in outcomes:
        values = _feed_changes(o)
        groups.setdefault(tuple(sorted(values)), []).append(values)
    for rows in groups.values():
        session.execute(update(Feed), rows)
    session.execute(insert(PollLog), [_log_row(o) for o in outcomes])


def stats(session: Session) -> dict[str, int]:
    """Headline counts for `monitor stats`."""
    feeds = session.scalar(select(func.count()).select_from(Feed)) or 0
    failing = session.scalar(select(func.count()).select_from(Feed).where(Feed.consecutive_failures > 0)) or 0
    articles = session.scalar(select(func.count()).select_from(Article)) or 0
    flagged = session.scalar(select(func.count()).select_from(Article).where(Article.flagged.is_(True))) or 0
    queued = (
        session.scalar(select(func.count()).select_from(Article).where(Article.classified_at.is_(None))) or 0
    )
    incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
    return {
        "feeds": feeds,
        "feeds_failing": failing,
        "articles": articles,
        "flagged": flagged,
        "queued": queued,
        "incidents": incidents,
    }
