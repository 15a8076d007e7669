"""Run the real pipeline over the demo stream, fast-forwarded one simulated day at a time.

    build the written stream (ten weeks, a wave near the end) -> serve it from 127.0.0.1
    fresh SQLite database in the demo folder (alembic upgrade) -> add the five outlets as feeds
    for each simulated day: move the feed server's clock to the end of that day
        -> poll every feed (real HTTP, real parsing) -> classify, incidents, spikes + alerts
           (monitor.stages, with "now" = that day) -> deliver alerts to the local mail catcher and Slack
    render the digest of the wave's ISO week (HTML and text) and summarise where everything is

Nothing here is special-cased for the demo except the clock and the peers: it is the service's own
polling, classification, grouping, spike detection, outbox and delivery code.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.config import Settings, load_settings
from monitor.demo.servers import FeedServer, MailCatcher
from monitor.demo.stream import OUTLETS, build_stream, wave_window
from monitor.storage.db import Database, upgrade


@dataclass
class DemoResult:
    folder: Path
    database_url: str
    items: int
    days: int
    counts: dict[str, int] = field(default_factory=dict)
    episodes: list[str] = field(default_factory=list)
    mails: int = 0
    slack_posts: int = 0
    digest_html: Path | None = None
    digest_week: str = ""


def _settings(folder: Path, db_url: str, smtp_port: int, slack_url: str, env: dict[str, str]) -> Settings:
    demo_env = {
        **env,
        "MONITOR_DATABASE_URL": db_url,
        "MONITOR_DATA_DIR": str(folder),
        # The demo's peers live on 127.0.0.1, which the fetcher refuses by default.
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
        # Five small feeds a day: parsing in a thread beats starting worker processes every round.
        "MONITOR_POLLING__PARSE_WORKERS": "1",
        "MONITOR_EMAIL__ENABLED": "true",
        "MONITOR_EMAIL__HOST": "127.0.0.1",
        "MONITOR_EMAIL__PORT": str(smtp_port),
        # A local catcher on loopback: the only case where clear text is acceptable.
        "MONITOR_EMAIL__SECURITY": "none",
        "MONITOR_EMAIL__REQUIRE_TLS": "false",
        "MONITOR_EMAIL__SENDER": "monitor-demo@localhost",
        "MONITOR_EMAIL__RECIPIENTS": '["analyst@example.org"]',
        "MONITOR_SLACK__ENABLED": "true",
        "MONITOR_SLACK__MIN_INTERVAL_SECONDS": "0",
        "MONITOR_SLACK_WEBHOOK_URL": slack_url,
        "MONITOR_SPIKES__PER_PLACE": "true",
        "MONITOR_ALERTS__BASE_URL": "http://127.0.0.1:8080",
    }
    return load_settings(demo_env, config_path=folder / "demo.toml")


def run_demo(
    folder: Path,
    *,
    end: dt.date | None = None,
    days: int = 70,
    env: dict[str, str] | None = None,
    progress: Any = None,
) -> DemoResult:
    """Run the demo into ``folder`` (emptied first) and return what it produced."""
    from sqlalchemy import func, select

    from monitor.alerts.delivery import deliver_due
    from monitor.alerts.digest import iso_week
    from monitor.classify import load_classifier
    from monitor.pipeline import Poller
    from monitor.stages import after_poll
    from monitor.storage import feeds as feed_store
    from monitor.storage.models import AlertDelivery, Article, Incident, SpikeEpisode

    end = end or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "slack").mkdir(parents=True)
    (folder / "demo.toml").write_text("# settings come from the demo itself\n", encoding="utf-8")
    items = build_stream(end, days=days)
    server = FeedServer(items)
    server.slack_dir = folder / "slack"
    catcher = MailCatcher(folder / "mail")
    db_url = f"sqlite:///{folder / 'demo.db'}"
    try:
        upgrade(db_url)
        settings = _settings(folder, db_url, catcher.port, server.url("/slack"), dict(env or {}))
        db = Database(db_url)
        try:
            first = dt.datetime.combine(end - dt.timedelta(days=days - 1), dt.time(), dt.UTC)
            with db.transaction() as s:
                for key, (name, _) in OUTLETS.items():
                    feed_store.add_feed(s, server.url(f"/{key}.xml"), now=first, title=name, source="demo")
            classifier = load_classifier(settings)
            for offset in range(days):
                day = end - dt.timedelta(days=days - 1 - offset)
                now = dt.datetime.combine(day, dt.time(23, 59), dt.UTC)
                server.clock = now
                poller = Poller(settings, db, classifier=classifier, clock=_fixed(now))
                poller.run_once(include_all=True)
                after_poll(settings, db, now)
                deliver_due(db, settings, now)
                if progress is not None:
                    progress(offset + 1, days, day)
            wave_start, _ = wave_window(end)
            week = iso_week(wave_start)
            digest_html = folder / f"digest-{week}.html"
            _render_digest(settings, db, week, digest_html, now)
            result = DemoResult(folder, db_url, len(items), days, digest_html=digest_html, digest_week=week)
            with db.reader() as s:
                result.counts = {
                    "articles": int(s.scalar(select(func.count()).select_from(Article)) or 0),
                    "flagged": int(
                        s.scalar(select(func.count()).select_from(Article).where(Article.flagged.is_(True)))
                        or 0
                    ),
                    "incidents": int(s.scalar(select(func.count()).select_from(Incident)) or 0),
                    "alerts_sent": int(
                        s.scalar(
                            select(func.count())
                            .select_from(AlertDelivery)
                            .where(AlertDelivery.status == "sent")
                        )
                        or 0
                    ),
                }
                result.episodes = [
                    f"{e.series_label or e.series_key}: from {e.started_on}, "
                    f"peak {e.peak_count}/day, level {e.level}"
                    for e in s.scalars(select(SpikeEpisode).order_by(SpikeEpisode.started_on))
                ]
            result.mails = catcher.count
            result.slack_posts = server.slack_count
            return result
        finally:
            db.dispose()
    finally:
        catcher.stop()
        server.stop()


def _fixed(moment: dt.datetime) -> Callable[[], dt.datetime]:
    def clock() -> dt.datetime:
        return moment

    return clock


def _render_digest(settings: Settings, db: Database, week: str, target: Path, now: dt.datetime) -> None:
    from monitor.alerts import digest, digest_render

    with db.reader() as s:
        data = digest.collect_week(s, settings, week, now)
    rendered = digest_render.render_digest(data, settings.alerts.base_url)
    target.write_text(rendered.html, encoding="utf-8")
    target.with_suffix(".txt").write_text(rendered.text, encoding="utf-8")
