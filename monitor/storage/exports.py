"""Queries that feed the exports and the JSON API: incidents and articles as export records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.export import ArticleRecord, IncidentRecord, Source
from monitor.storage import reviews
from monitor.storage.models import Article, ArticleFeed, Feed, Incident


def incident_records(
    session: Session, *, since: dt.date | None = None, until: dt.date | None = None, limit: int = 10000
) -> list[IncidentRecord]:
    stmt = select(Incident).where(Incident.status == "active")
    if since:
        stmt = stmt.where(Incident.occurred_on >= since)
    if until:
        stmt = stmt.where(Incident.occurred_on <= until)
    incidents = list(session.scalars(stmt.order_by(Incident.occurred_on, Incident.id).limit(limit)))
    ids = [i.id for i in incidents]
    sources: dict[int, list[Source]] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        rows = session.execute(
            select(
                Article.incident_id, Article.title, Article.url, Article.published_at, Feed.title, Feed.url
            )
            .join(ArticleFeed, ArticleFeed.article_id == Article.id)
            .join(Feed, Feed.id == ArticleFeed.feed_id)
            .where(Article.incident_id.in_(chunk))
            .order_by(Article.id)
        ).all()
        for incident_id, title, url, published, feed_title, feed_url in rows:
            if incident_id is None:
                continue
            sources.setdefault(incident_id, []).append(
                Source(feed_title or feed_url, title, url, published.isoformat() if published else None)
            )
    return [
        IncidentRecord(
            incident_id=i.id,
            date=i.occurred_on.isoformat(),
            place=i.place_name,
            place_precision=i.place_precision,
            city=i.city,
            province=i.province,
            country=i.country,
            deaths=i.deaths,
            injured=i.injured,
            victim_group=i.victim_group,
            method=i.method,
            outlets=i.outlet_count,
            title=i.title,
            sources=sources.get(i.id, []),
        )
        for i in incidents
    ]


def article_records(session: Session, flt: reviews.QueueFilter, *, limit: int = 10000) -> list[ArticleRecord]:
    items = reviews.queue(session, flt, limit=limit)
    return [
        ArticleRecord(
            article_id=a.id,
            published_at=(a.published_at or a.first_seen_at).isoformat(),
            title=a.title,
            url=a.url,
            score=a.score,
            flagged=a.flagged,
            verdict=a.verdict,
            incident_id=a.incident_id,
            outlets=a.outlets,
        )
        for a in items
    ]
