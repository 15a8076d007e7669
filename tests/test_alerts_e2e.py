"""End to end: a burst of targeted-killing reports on a local feed server, after a quiet history, goes
through the real poll, classifier, incidents and spike detection to exactly one alert per channel per
spike episode, delivered right after the poll; a second round sends nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from monitor.classify import load_classifier
from monitor.config import load_settings
from monitor.pipeline import Poller
from monitor.stages import after_poll
from monitor.storage.db import Database
from monitor.storage.models import Alert, AlertDelivery, Feed, Incident, SpikeEpisode
from tests.support.httpserver import LocalHTTPServer, Reply
from tests.support.smtp import LocalSMTPServer

# Until the spike detector is part of this version there is nothing to test end to end.
pytest.importorskip(
    "monitor.storage.spikes", reason="monitor.storage.spikes (the spike detector) is not here yet"
)

HOOK = "/services/T/B/e2e"
REPORTS = [
    ("a shopkeeper", "Orangi Town"),
    ("a lawyer", "Lyari"),
    ("a police constable", "Korangi"),
    ("a schoolteacher", "North Nazimabad"),
    ("a journalist", "Saddar"),
    ("a doctor", "Malir"),
]


def burst(now: dt.datetime) -> bytes:
    items = []
    for i, (victim, town) in enumerate(REPORTS):
        published = now - dt.timedelta(minutes=5 + 5 * i)  # all on today's date
        title = f"Gunmen on motorcycle shoot dead {victim} in {town}, Karachi"
        body = (
            f"Unidentified gunmen riding a motorcycle shot dead {victim} in {town} area of Karachi on "
            f"{published:%A}, police said. The victim was targeted outside his home; the attackers fled."
        )
        items.append(
            f"<item><title>{escape(title)}</title><link>http://127.0.0.1/news/{i}</link><guid>e2e-{i}</guid>"
            f"<pubDate>{format_datetime(published)}</pubDate><description>{escape(body)}</description></item>"
        )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Desk</title>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


@pytest.fixture
def smtp() -> Iterator[LocalSMTPServer]:
    server = LocalSMTPServer(tls="starttls").start()
    yield server
    server.stop()


@pytest.mark.slow
def test_burst_on_a_feed_becomes_one_alert_per_channel_per_episode(
    sqlite_url: str, tmp_path: Path, smtp: LocalSMTPServer, http_server: LocalHTTPServer
) -> None:
    http_server.route(HOOK, Reply(200, b"ok"))
    now = dt.datetime.now(dt.UTC)
    feed_url = http_server.route("/feed.xml", Reply(200, burst(now), {"Content-Type": "application/rss+xml"}))
    (tmp_path / "monitor.toml").write_text("", encoding="utf-8")
    settings = load_settings(
        {
            "MONITOR_DATABASE_URL": sqlite_url,
            "MONITOR_CONFIG": str(tmp_path / "monitor.toml"),
            "MONITOR_DATA_DIR": str(tmp_path / "data"),
            "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_SLACK__ENABLED": "true",
            "MONITOR_SLACK__MIN_INTERVAL_SECONDS": "0",
            "MONITOR_SLACK_WEBHOOK_URL": http_server.url(HOOK),
            **smtp.env(smtp.write_ca(tmp_path)),
        }
    )
    db = Database(sqlite_url)
    try:
        with db.transaction() as s:
            # A quiet past: one killing every five days in Karachi, spread over the weekdays.
            for n in range(5, 120, 5):
                s.add(
                    Incident(
                        title="Man shot dead",
                        occurred_on=(now - dt.timedelta(days=n)).date(),
                        place_key="pk/karachi",
                        place_name="Karachi",
                        place_precision="city",
                        city="Karachi",
                        deaths=1,
                        first_reported_at=now,
                        last_updated_at=now,
                    )
                )
            # Polled for months: the quiet past is observed, not just absent.
            added = now - dt.timedelta(days=130)
            s.add(Feed(url=feed_url, title="Local desk", added_at=added, next_poll_at=now))
        classifier = load_classifier(settings)
        polled = Poller(settings, db, classifier=classifier).run_once()
        assert polled.new_articles == len(REPORTS)
        after_poll(settings, db, dt.datetime.now(dt.UTC))

        with db.reader() as s:
            episodes = s.scalars(select(SpikeEpisode)).all()
            alerts = s.scalars(select(Alert)).all()
            statuses = Counter(s.scalars(select(AlertDelivery.status)).all())
        assert episodes  # which series spike is the detector's business; each must be alerted once
        assert sorted(a.episode_id for a in alerts) == sorted(e.id for e in episodes)  # one each
        assert statuses == {"sent": 2 * len(episodes)}  # delivered right after the poll
        assert len(smtp.messages) == len(http_server.hits(HOOK)) == len(episodes)
        assert all("Gunmen on motorcycle shoot dead" in r.body.decode() for r in http_server.hits(HOOK))
        body = smtp.messages[0].message.get_body(("plain",))
        assert body is not None and "Local desk: http://127.0.0.1/news/" in body.get_content()

        # The next round finds nothing new on the feed: nothing more is sent.
        Poller(settings, db, classifier=classifier).run_once(include_all=True)
        after_poll(settings, db, dt.datetime.now(dt.UTC))
        assert len(smtp.messages) == len(http_server.hits(HOOK)) == len(episodes)
    finally:
        db.dispose()
