"""The outbox on both databases: one alert per key, deliveries per channel, silences, repeat interval,
and the alert living or dying with the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from monitor.alerts import outbox
from monitor.config import Settings
from monitor.storage.db import Database
from monitor.storage.models import Alert, AlertDelivery, Silence
from tests.support.alertdata import NOW, Change, add_feed, add_incident, seed_wave

ENV = {
    "MONITOR_EMAIL__ENABLED": "true",
    "MONITOR_EMAIL__RECIPIENTS": '["a@example.org", "b@example.org"]',
    "MONITOR_SLACK__ENABLED": "true",
    "MONITOR_SLACK_WEBHOOK_URL": "https://hooks.slack.example/services/T/B/x",
}


@pytest.fixture
def cfg(make_settings: Callable[..., Settings], db_url: str) -> Settings:
    return make_settings(env={"MONITOR_DATABASE_URL": db_url, **ENV})


@pytest.fixture
def lite_db(sqlite_url: str) -> Iterator[Database]:
    """SQLite only, for rules whose SQL is the same on both backends (keeps the suite fast)."""
    database = Database(sqlite_url)
    yield database
    database.dispose()


@pytest.fixture
def lite_cfg(make_settings: Callable[..., Settings], sqlite_url: str) -> Settings:
    return make_settings(env={"MONITOR_DATABASE_URL": sqlite_url, **ENV})


def counts(db: Database) -> tuple[int, int]:
    with db.reader() as s:
        return (
            s.scalar(select(func.count()).select_from(Alert)) or 0,
            s.scalar(select(func.count()).select_from(AlertDelivery)) or 0,
        )


def test_start_writes_one_alert_and_a_delivery_per_recipient_and_channel(db: Database, cfg: Settings) -> None:
    with db.transaction() as s:
        episode = seed_wave(s)
        change = Change(episode.id, episode.series_key, "start", 1, 5, 1.2)
        alert = outbox.enqueue_spike_alert(s, change, cfg, NOW)
        assert alert is not None
        assert alert.key == f"spike:city:pk/karachi:{episode.started_on.isoformat()}:1"
        assert alert.kind == "spike_start"
        assert alert.payload["incident_total"] == 2
        outlets = {a["outlet"] for i in alert.payload["incidents"] for a in i["articles"]}
        assert outlets == {"Dawn (test)", "Tribune (test)"}
    with db.reader() as s:
        rows = s.scalars(select(AlertDelivery).order_by(AlertDelivery.id)).all()
        assert [(r.channel, r.recipient, r.status) for r in rows] == [
            ("email", "a@example.org", "pending"),
            ("email", "b@example.org", "pending"),
            ("slack", "", "pending"),
        ]
    # The same decision again (a re-run, a restart): nothing new.
    with db.transaction() as s:
        assert outbox.enqueue_spike_alert(s, change, cfg, NOW + dt.timedelta(minutes=5)) is None
    assert counts(db) == (1, 3)


def test_alert_is_part_of_the_callers_transaction(lite_db: Database, lite_cfg: Settings) -> None:
    with lite_db.transaction() as s:
        episode = seed_wave(s)
        episode_id = episode.id
    with pytest.raises(RuntimeError), lite_db.transaction() as s:
        outbox.enqueue_spike_alert(
            s, Change(episode_id, "city:pk/karachi", "start", 1, 5, 1.2), lite_cfg, NOW
        )
        raise RuntimeError("the spike decision failed after the alert was written")
    assert counts(lite_db) == (0, 0)


def test_growth_end_and_repeat_interval(db: Database, cfg: Settings) -> None:
    with db.transaction() as s:
        episode = seed_wave(s)
        eid = episode.id
        assert outbox.enqueue_spike_alert(s, Change(eid, "city:pk/karachi", "start", 1, 5, 1.2), cfg, NOW)
        assert (
            outbox.enqueue_spike_alert(s, Change(eid, "city:pk/karachi", "end", 1, 5, 1.2), cfg, NOW) is None
        )
        grown = outbox.enqueue_spike_alert(s, Change(eid, "city:pk/karachi", "growth", 2, 9, 1.2), cfg, NOW)
        assert grown is not None and grown.kind == "spike_growth" and grown.key.endswith(":2")
        # Same level, new content (another incident), one hour later: too soon (repeat interval 24 h).
        feed = add_feed(s, "https://feeds.example.org/geo", "Geo (test)")
        add_incident(s, "Another shooting in Lyari", episode.started_on, feeds=[feed])
        later = NOW + dt.timedelta(hours=1)
        assert (
            outbox.enqueue_spike_alert(s, Change(eid, "city:pk/karachi", "growth", 2, 10, 1.2), cfg, later)
            is None
        )
        # After the repeat interval the changed content is alerted once, under a derived key.
        much_later = NOW + dt.timedelta(hours=25)
        update = outbox.enqueue_spike_alert(
            s, Change(eid, "city:pk/karachi", "growth", 2, 10, 1.2), cfg, much_later
        )
        assert update is not None and update.key.startswith(grown.key + ":")
        assert (
            outbox.enqueue_spike_alert(
                s, Change(eid, "city:pk/karachi", "growth", 2, 10, 1.2), cfg, much_later
            )
            is None
        )
        # Unchanged content never repeats, whatever the time.
        far = NOW + dt.timedelta(days=5)
        assert (
            outbox.enqueue_spike_alert(s, Change(eid, "city:pk/karachi", "growth", 2, 10, 1.2), cfg, far)
            is None
        )
    assert counts(db) == (3, 9)


def test_silenced_alert_is_kept_and_visible(lite_db: Database, lite_cfg: Settings) -> None:
    with lite_db.transaction() as s:
        episode = seed_wave(s)
        s.add(
            Silence(
                field="place",
                value="Karachi",
                until=NOW + dt.timedelta(days=1),
                reason="known",
                created_at=NOW,
            )
        )
        s.add(Silence(field="keyword", value="lyari", until=NOW + dt.timedelta(days=1), created_at=NOW))
        alert = outbox.enqueue_spike_alert(
            s, Change(episode.id, "city:pk/karachi", "start", 1, 5, 1.2), lite_cfg, NOW
        )
        assert alert is not None
    with lite_db.reader() as s:
        rows = s.scalars(select(AlertDelivery)).all()
        assert len(rows) == 3 and {r.status for r in rows} == {"silenced"}
        assert all("place='Karachi'" in (r.last_error or "") for r in rows)


def test_expired_silence_does_not_mute(lite_db: Database, lite_cfg: Settings) -> None:
    with lite_db.transaction() as s:
        episode = seed_wave(s)
        s.add(Silence(field="place", value="karachi", until=NOW - dt.timedelta(minutes=1), created_at=NOW))
        outbox.enqueue_spike_alert(
            s, Change(episode.id, "city:pk/karachi", "start", 1, 5, 1.2), lite_cfg, NOW
        )
    with lite_db.reader() as s:
        assert {r.status for r in s.scalars(select(AlertDelivery))} == {"pending"}


def test_no_channel_configured_still_records_the_alert(
    lite_db: Database, make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    bare = make_settings(env={"MONITOR_DATABASE_URL": sqlite_url})
    with lite_db.transaction() as s:
        episode = seed_wave(s)
        assert outbox.enqueue_spike_alert(
            s, Change(episode.id, "city:pk/karachi", "start", 1, 5, 1.2), bare, NOW
        )
    assert counts(lite_db) == (1, 0)


def test_digest_and_test_alerts(db: Database, cfg: Settings) -> None:
    with db.transaction() as s:
        seed_wave(s)
        digest = outbox.enqueue_digest(s, cfg, "2026-W47", NOW)
        assert digest is not None and digest.key == "digest:2026-W47"
        assert outbox.enqueue_digest(s, cfg, "2026-W47", NOW + dt.timedelta(hours=1)) is None
        test = outbox.enqueue_test(s, cfg, NOW, channel="slack")
    with db.reader() as s:
        digest_rows = s.scalars(select(AlertDelivery).where(AlertDelivery.alert_id == digest.id)).all()
        assert sorted(r.recipient for r in digest_rows) == ["a@example.org", "b@example.org"]
        assert {r.channel for r in digest_rows} == {"email"}
        test_rows = s.scalars(select(AlertDelivery).where(AlertDelivery.alert_id == test.id)).all()
        assert [r.channel for r in test_rows] == ["slack"]
