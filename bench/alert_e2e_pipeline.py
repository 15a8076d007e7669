"""The end-to-end part of bench/alert_e2e.py: a burst of reports on a local feed, after a quiet history,
through polling, the classifier, incidents and spike detection to the alert channels. Run it through
``python bench/alert_e2e.py --only-e2e``."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alert_e2e import HOOK, Servers, child, fresh_db

from monitor.alerts.delivery import deliver_due
from monitor.config import load_settings
from monitor.storage.db import Database
from monitor.storage.models import Feed, Incident, SpikeEpisode
from tests.support.httpserver import Reply

TOWNS = (
    "Orangi Town",
    "Lyari",
    "Korangi",
    "Gulshan-e-Iqbal",
    "North Nazimabad",
    "Saddar",
    "Malir",
    "Landhi",
    "Baldia Town",
    "New Karachi",
)
VICTIMS = (
    "a shopkeeper",
    "a lawyer",
    "a police constable",
    "a political worker",
    "a schoolteacher",
    "a journalist",
    "a doctor",
    "a trader",
    "a cleric",
    "a student leader",
)


def burst_feed(now: dt.datetime) -> bytes:
    """Ten invented reports of targeted killings in Karachi towns over the last day."""
    from email.utils import format_datetime

    from markupsafe import escape

    items = []
    for i, (town, victim) in enumerate(zip(TOWNS, VICTIMS, strict=True)):
        published = now - dt.timedelta(hours=1 + 2 * i)
        title = f"Gunmen on motorcycle shoot dead {victim} in {town}, Karachi"
        body = (
            f"Unidentified gunmen riding a motorcycle shot dead {victim} in {town} area of Karachi on "
            f"{published:%A}, police said. The victim was targeted outside his home; the attackers fled."
        )
        items.append(
            f"<item><title>{escape(title)}</title><link>https://burst.example/{i}</link><guid>burst-{i}</guid>"
            f"<pubDate>{format_datetime(published)}</pubDate><description>{escape(body)}</description></item>"
        )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Burst</title><link>https://burst.example/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def seed_history(db: Database, now: dt.datetime, days: int = 120) -> None:
    """A quiet past: one incident every fifth day somewhere in Karachi."""
    with db.transaction() as s:
        for n in range(5, days, 5):
            town = TOWNS[n % len(TOWNS)]
            key = "pk/karachi/" + town.lower().replace(" ", "-")
            s.add(
                Incident(
                    title=f"Man shot dead in {town}",
                    occurred_on=(now - dt.timedelta(days=n)).date(),
                    place_key=key,
                    place_name=town,
                    place_precision="town",
                    city="Karachi",
                    deaths=1,
                    first_reported_at=now,
                    last_updated_at=now,
                )
            )


def end_to_end(servers: Servers, template: Path, workdir: Path) -> None:
    import importlib

    try:
        importlib.import_module("monitor.storage.spikes").detect_spikes  # noqa: B018
    except (ImportError, AttributeError):
        print("5. end to end: NOT MEASURED: monitor.storage.spikes.detect_spikes is not in this version")
        return
    from monitor.alerts.jobs import spike_alert_job
    from monitor.classify import load_classifier
    from monitor.pipeline import Poller
    from monitor.storage.incidents import update_incidents

    print("5. end to end: feed server -> poll -> classify -> incidents -> spikes -> alerts")
    for smtp_down_during_spike in (False, True):
        url = fresh_db(template, workdir, f"e2e{int(smtp_down_during_spike)}")
        env = servers.env(url, MONITOR_ALLOW_PRIVATE_NETWORKS="true")
        settings = load_settings(env)
        now = dt.datetime.now(dt.UTC)
        feed_url = servers.http.route(
            "/burst.xml", Reply(200, burst_feed(now), {"Content-Type": "application/rss+xml"})
        )
        db = Database(url)
        seed_history(db, now)
        with db.transaction() as s:
            # polled since before the seeded history: that history is observed, not just absent
            s.add(
                Feed(
                    url=feed_url,
                    title="Burst outlet",
                    added_at=now - dt.timedelta(days=130),
                    next_poll_at=now,
                )
            )
        if smtp_down_during_spike:
            servers.smtp.stop()
        poller = Poller(settings, db, classifier=load_classifier(settings))
        polled = poller.run_once()
        poll_done = time.monotonic()
        update_incidents(db, settings, dt.datetime.now(dt.UTC))
        spike_alert_job(settings, db, dt.datetime.now(dt.UTC))
        with db.reader() as s:
            episodes = s.scalars(select(SpikeEpisode)).all()
            series = sorted(e.series_key for e in episodes)
        want_slack = len(servers.http.hits(HOOK))
        slack_latency = time.monotonic() - poll_done
        if smtp_down_during_spike:
            time.sleep(5)
            servers.smtp.start()
            back = time.monotonic()
            later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
            deliver_due(db, settings, later)
            email_after_back = time.monotonic() - back
        email_latency = time.monotonic() - poll_done
        received = servers.received()
        # A second round (nothing new on the feed) and a restart: nothing more may be sent.
        Poller(settings, db, classifier=load_classifier(settings)).run_once(include_all=True)
        update_incidents(db, settings, dt.datetime.now(dt.UTC))
        spike_alert_job(settings, db, dt.datetime.now(dt.UTC))
        db.dispose()
        child(servers.env(url), "once").wait()
        again = servers.received()
        label = "SMTP down during the spike" if smtp_down_during_spike else "all servers up"
        print(
            f"   [{label}] poll: {polled.new_articles} new articles; spike episodes: {len(series)} {series}"
        )
        per_channel = Counter(k.split(" ")[0] for k in received)
        print(
            f"   alerts per channel: {dict(per_channel)} for {len(series)} episode(s); copies per alert: "
            f"max {max(received.values(), default=0)}"
        )
        print(f"   Slack messages: {want_slack} within {slack_latency:.2f} s of the end of the poll")
        if smtp_down_during_spike:
            print(f"   email arrived {email_after_back:.2f} s after SMTP came back (first pass after it)")
        else:
            print(f"   email within {email_latency:.2f} s of the end of the poll")
        print(f"   sent by a second round and a restart: {sum(again.values()) - sum(received.values())}")
        servers.reset()
