"""Storage reads that gather what an alert tells: the incidents of a spike episode, with their outlets
and links. Takes a Session, never commits; returns plain JSON-ready dicts (they become the payload).

Which incidents belong to an episode: the ids the spike detector stored in ``spike_episodes.details``
(``incident_ids``) when it did, else the active incidents of the episode's days that count in its series
(``monitor.storage.incidents.series_keys``: "all", "city:pk/karachi", "town:pk/karachi/orangi-town").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.storage.incidents import series_keys
from monitor.storage.models import Article, ArticleFeed, Feed, Incident, SpikeEpisode

MAX_INCIDENTS = 50
MAX_ARTICLES = 5


def in_series(incident: Incident, series_key: str) -> bool:
    """Does the incident count in this series? The same rule as the daily counts the detector reads."""
    level = series_key.partition(":")[0] or "all"
    if level not in ("all", "city", "town"):
        return False
    return series_key in series_keys(incident.place_key, incident.place_precision, level)


def episode_incidents(session: Session, episode: SpikeEpisode, now: dt.datetime) -> list[Incident]:
    details = episode.details or {}
    ids = [int(i) for i in details.get("incident_ids") or [] if str(i).isdigit()]
    if ids:
        rows = session.scalars(select(Incident).where(Incident.id.in_(ids))).all()
        return sorted(rows, key=lambda i: (i.occurred_on, i.id), reverse=True)
    last_day = episode.ended_on or max(episode.last_alarm_on, now.date())
    rows = session.scalars(
        select(Incident)
        .where(Incident.occurred_on >= episode.started_on, Incident.occurred_on <= last_day)
        .where(Incident.status == "active")
        .order_by(Incident.occurred_on.desc(), Incident.id.desc())
    ).all()
    return [i for i in rows if in_series(i, episode.series_key)]


def outlet_name(feed_title: str | None, url: str) -> str:
    if feed_title:
        return feed_title
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return host.removeprefix("www.") or "unknown outlet"


def articles_by_incident(session: Session, incident_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Up to MAX_ARTICLES reports per incident, one per outlet first, as payload dicts."""
    if not incident_ids:
        return {}
    rows = session.execute(
        select(Article.incident_id, Article.id, Article.title, Article.url, Feed.title)
        .outerjoin(ArticleFeed, ArticleFeed.article_id == Article.id)
        .outerjoin(Feed, Feed.id == ArticleFeed.feed_id)
        .where(Article.incident_id.in_(incident_ids))
        .order_by(Article.first_seen_at, Article.id)
    ).all()
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    seen_articles: set[int] = set()
    for incident_id, article_id, title, url, feed_title in rows:
        if incident_id is None or article_id in seen_articles:
            continue
        seen_articles.add(article_id)
        outlet = outlet_name(feed_title, url)
        items = found[incident_id]
        if len(items) < MAX_ARTICLES and all(a["outlet"] != outlet for a in items):
            items.append({"title": title, "url": url, "outlet": outlet})
    return dict(found)


def incident_dict(incident: Incident, articles: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": incident.id,
        "title": incident.title,
        "occurred_on": incident.occurred_on.isoformat(),
        "place_name": incident.place_name,
        "city": incident.city,
        "victim_group": incident.victim_group,
        "method": incident.method,
        "deaths": incident.deaths,
        "injured": incident.injured,
        "outlet_count": incident.outlet_count,
        "articles": articles,
    }


def incidents_payload(session: Session, incidents: list[Incident]) -> list[dict[str, Any]]:
    shown = incidents[:MAX_INCIDENTS]
    articles = articles_by_incident(session, [i.id for i in shown])
    return [incident_dict(i, articles.get(i.id, [])) for i in shown]
