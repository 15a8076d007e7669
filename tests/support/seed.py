"""Write rows straight into a test database (feeds, articles, incidents), for tests of later stages.

Uses the ORM models directly, so tests of the web app or the alerts do not depend on polling.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from monitor.storage.models import Article, ArticleFeed, Feed, Incident

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
_counter = itertools.count(1)


def feed(session: Session, url: str | None = None, title: str = "Test outlet", **fields: Any) -> Feed:
    n = next(_counter)
    row = Feed(url=url or f"https://outlet{n}.example/feed.xml", title=title, added_at=NOW, **fields)
    session.add(row)
    session.flush()
    return row


def article(
    session: Session,
    feed_row: Feed,
    title: str,
    *,
    summary: str = "",
    score: float | None = 0.9,
    flagged: bool | None = True,
    published_at: dt.datetime | None = NOW,
    incident: Incident | None = None,
    url: str | None = None,
    reasons: list[Any] | None = None,
) -> Article:
    n = next(_counter)
    link = url or f"https://outlet.example/news/{n}"
    row = Article(
        canonical_url=f"{link}#{n}" if url else link,
        url=link,
        title=title,
        summary=summary,
        content_hash=str(n),
        published_at=published_at,
        first_seen_at=published_at or NOW,
        last_changed_at=published_at or NOW,
        score=score,
        flagged=flagged,
        model_version="test-model" if score is not None else None,
        reasons=reasons if reasons is not None else (["shot dead +1.20"] if score is not None else None),
        classified_at=NOW if score is not None else None,
        incident_id=incident.id if incident else None,
    )
    session.add(row)
    session.flush()
    session.add(
        ArticleFeed(
            article_id=row.id, feed_id=feed_row.id, entry_key=link, first_seen_at=NOW, last_seen_at=NOW
        )
    )
    session.flush()
    return row


def incident(
    session: Session,
    title: str = "Worker shot dead",
    *,
    occurred_on: dt.date | None = None,
    place_name: str | None = "Orangi Town",
    deaths: int | None = 1,
    **fields: Any,
) -> Incident:
    row = Incident(
        title=title,
        occurred_on=occurred_on or NOW.date(),
        place_name=place_name,
        place_key=fields.pop("place_key", "pk/karachi/orangi-town"),
        place_precision=fields.pop("place_precision", "town"),
        city=fields.pop("city", "Karachi"),
        country=fields.pop("country", "Pakistan"),
        deaths=deaths,
        status="active",
        outlet_count=fields.pop("outlet_count", 1),
        article_count=fields.pop("article_count", 1),
        first_reported_at=NOW,
        last_updated_at=NOW,
        **fields,
    )
    session.add(row)
    session.flush()
    return row
