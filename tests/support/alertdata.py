"""Small, hand-written rows for the alert tests: feeds, incidents with their reports, a spike episode.

The titles are invented for these tests (some deliberately hostile: CRLF, HTML, Slack control sequences).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from monitor.storage.models import Article, ArticleFeed, Feed, Incident, SpikeEpisode

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@dataclass
class Change:
    """The shape of ``monitor.storage.spikes.EpisodeChange``."""

    episode_id: int
    series_key: str
    kind: str
    level: int
    count: int
    expected: float


def add_feed(s: Session, url: str, title: str, *, failures: int = 0) -> Feed:
    # Disabled: these example.org addresses must never be polled (tests talk to 127.0.0.1 only).
    feed = Feed(url=url, title=title, added_at=NOW, consecutive_failures=failures, enabled=False)
    if failures:
        feed.last_error_message = "HTTP 503 from the server"
    s.add(feed)
    s.flush()
    return feed


def add_incident(
    s: Session,
    title: str,
    day: dt.date,
    *,
    feeds: list[Feed],
    place: str = "Lyari",
    city: str = "Karachi",
    deaths: int = 1,
    victim_group: str | None = "shopkeeper",
    url_base: str = "https://news.example.org/story",
) -> Incident:
    incident = Incident(
        title=title,
        occurred_on=day,
        place_key=f"pk/karachi/{place.lower()}",
        place_name=place,
        place_precision="town",
        city=city,
        deaths=deaths,
        victim_group=victim_group,
        method="shooting",
        outlet_count=len(feeds),
        article_count=len(feeds),
        first_reported_at=NOW,
        last_updated_at=NOW,
    )
    s.add(incident)
    s.flush()
    for n, feed in enumerate(feeds):
        article = Article(
            canonical_url=f"{url_base}/{incident.id}/{n}",
            url=f"{url_base}/{incident.id}/{n}",
            title=title,
            first_seen_at=NOW,
            last_changed_at=NOW,
            flagged=True,
            incident_id=incident.id,
        )
        s.add(article)
        s.flush()
        s.add(
            ArticleFeed(
                article_id=article.id,
                feed_id=feed.id,
                entry_key=article.url,
                first_seen_at=NOW,
                last_seen_at=NOW,
            )
        )
    s.flush()
    return incident


def add_episode(
    s: Session, series_key: str = "city:pk/karachi", label: str = "Karachi", started_on: dt.date | None = None
) -> SpikeEpisode:
    start = started_on or NOW.date() - dt.timedelta(days=1)
    episode = SpikeEpisode(
        series_key=series_key,
        series_label=label,
        started_on=start,
        last_alarm_on=NOW.date(),
        level=1,
        peak_count=5,
        peak_expected=1.2,
        total_count=5,
        status="open",
        created_at=NOW,
        updated_at=NOW,
    )
    s.add(episode)
    s.flush()
    return episode


def seed_wave(s: Session, titles: list[str] | None = None) -> SpikeEpisode:
    """A Karachi episode with a few incidents reported by two outlets each."""
    dawn = add_feed(s, "https://feeds.example.org/dawn", "Dawn (test)")
    tribune = add_feed(s, "https://feeds.example.org/tribune", "Tribune (test)")
    episode = add_episode(s)
    for n, title in enumerate(titles or ["Shopkeeper shot dead in Lyari", "Two men gunned down in Orangi"]):
        add_incident(s, title, episode.started_on + dt.timedelta(days=n % 2), feeds=[dawn, tribune])
    return episode
