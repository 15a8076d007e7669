"""The weekly digest: figures for a seeded database (both backends), rendering for mail clients, and
exactly one per recipient per ISO week however often `monitor digest --send` runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.alerts.digest import collect_week, iso_week, parse_week, previous_week, week_due
from monitor.alerts.digest_render import render_digest
from monitor.alerts.jobs import digest_job
from monitor.cli import main
from monitor.config import Settings
from monitor.errors import InputError
from monitor.storage.db import Database
from monitor.storage.models import Review, SpikeEpisode, User
from tests.support.alertdata import NOW, add_feed, add_incident
from tests.support.smtp import LocalSMTPServer

WEEK = "2026-W47"  # Monday 16 to Sunday 22 November 2026


def seed_week(db: Database) -> None:
    with db.transaction() as s:
        dawn = add_feed(s, "https://feeds.example.org/dawn", "Dawn (test)")
        add_feed(s, "https://feeds.example.org/broken", "Broken <feed>", failures=4)
        monday = dt.date(2026, 11, 16)
        add_incident(s, "Shopkeeper shot dead in Lyari", monday, feeds=[dawn], deaths=1)
        add_incident(
            s,
            "Two lawyers gunned down <b>",
            monday + dt.timedelta(days=2),
            feeds=[dawn],
            deaths=2,
            victim_group="lawyer",
            place="Saddar",
        )
        add_incident(s, "Guard killed", monday + dt.timedelta(days=2), feeds=[dawn], deaths=1)
        add_incident(s, "Last week's shooting", monday - dt.timedelta(days=1), feeds=[dawn], deaths=5)
        user = User(username="analyst", password_hash="x", created_at=NOW)
        s.add(user)
        s.add(
            SpikeEpisode(
                series_key="city:pk/karachi",
                series_label="Karachi",
                started_on=monday + dt.timedelta(days=2),
                last_alarm_on=monday + dt.timedelta(days=2),
                level=2,
                peak_count=2,
                peak_expected=0.4,
                total_count=3,
                status="open",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        s.flush()
        article_id = 1
        # 20:00 UTC on Sunday 15th is 01:00 on Monday 16th in Karachi: inside the week.
        for verdict, when in [
            ("confirmed", dt.datetime(2026, 11, 15, 20, 0, tzinfo=dt.UTC)),
            ("confirmed", dt.datetime(2026, 11, 18, 8, 0, tzinfo=dt.UTC)),
            ("rejected", dt.datetime(2026, 11, 19, 8, 0, tzinfo=dt.UTC)),
            (
                "unsure",
                dt.datetime(2026, 11, 22, 19, 30, tzinfo=dt.UTC),
            ),  # Monday 00:30 in Karachi: next week
        ]:
            s.add(Review(article_id=article_id, user_id=user.id, verdict=verdict, created_at=when))


def test_week_arithmetic() -> None:
    assert parse_week(WEEK) == dt.date(2026, 11, 16)
    assert iso_week(dt.date(2026, 11, 22)) == WEEK
    assert previous_week(dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC), "Asia/Karachi") == WEEK
    # 20:00 UTC on Sunday 29th is already Monday 30th in Karachi: W48 is then complete.
    assert previous_week(dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC), "Asia/Karachi") == "2026-W48"
    for bad in ("2026-47", "2026-W54", "W47"):
        with pytest.raises(InputError):
            parse_week(bad)


def test_digest_figures_for_a_seeded_database(db: Database, settings: Settings) -> None:
    seed_week(db)
    with db.reader() as s:
        payload = collect_week(s, settings, WEEK, NOW)
    assert payload["totals"] == {"incidents": 3, "deaths": 4, "injured": 0}
    assert [d["count"] for d in payload["per_day"]] == [1, 0, 2, 0, 0, 0, 0]
    assert payload["top_places"][0] == ["Lyari", 2]
    assert ["lawyer", 1] in payload["victim_groups"]
    assert payload["largest"][0]["title"] == "Two lawyers gunned down <b>"
    assert payload["largest"][0]["articles"][0]["outlet"] == "Dawn (test)"
    assert [e["series_label"] for e in payload["spikes"]] == ["Karachi"]
    assert payload["reviews"] == {"confirmed": 2, "rejected": 1, "unsure": 0}
    assert [f["title"] for f in payload["failing_feeds"]] == ["Broken <feed>"]

    out = render_digest(payload, "http://127.0.0.1:8080")
    assert "Two lawyers gunned down &lt;b&gt;" in out.html and "gunned down <b>" not in out.html
    assert "Broken &lt;feed&gt;" in out.html
    assert out.html.count('bgcolor="#c01c28"') == 2  # two days with incidents, one bar each
    for forbidden in ("<img", "<script", "<link", "<style"):
        assert forbidden not in out.html
    assert "Wed 2026-11-18 | ######################################## 2" in out.text
    assert "Tue 2026-11-17 | 0" in out.text
    assert "2 confirmed, 1 rejected, 0 unsure" in out.text


@pytest.fixture
def smtp() -> Iterator[LocalSMTPServer]:
    server = LocalSMTPServer(tls="starttls").start()
    yield server
    server.stop()


def test_digest_cli_preview_and_send_once_per_recipient_per_week(
    sqlite_url: str, smtp: LocalSMTPServer, tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    db = Database(sqlite_url)
    try:
        seed_week(db)
    finally:
        db.dispose()
    env = {
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_DATABASE_URL": sqlite_url,
        **smtp.env(smtp.write_ca(tmp_path), MONITOR_DIGEST__RECIPIENTS='["a@example.org", "b@example.org"]'),
    }
    config = tmp_path / "monitor.toml"
    config.write_text("", encoding="utf-8")
    runner = CliRunner()

    def digest(*args: str) -> str:
        result = runner.invoke(main, ["--config", str(config), "digest", "--week", WEEK, *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    html, text = tmp_path / "out.html", tmp_path / "out.txt"
    digest("--html", str(html), "--text", str(text))
    assert "Incidents per day" in html.read_text() and "Weekly digest 2026-W47" in text.read_text()
    assert smtp.messages == []

    first = digest("--send")
    assert first.count("sent ") >= 2 and "250 2.0.0" in first
    second = digest("--send")
    assert "already enqueued" in second
    assert sorted(m.recipients[0] for m in smtp.messages) == ["a@example.org", "b@example.org"]
    msg = smtp.messages[0].message
    assert msg.get_content_type() == "multipart/alternative"
    assert "Weekly digest 2026-W47" in msg["Subject"]


def test_week_due_follows_the_configured_day_time_and_zone() -> None:
    def at(iso: str) -> str | None:
        return week_due(dt.datetime.fromisoformat(iso), "monday", "08:00", "Asia/Karachi")

    assert at("2026-11-23T02:59+00:00") is None  # Monday 07:59 in Karachi
    assert at("2026-11-23T03:00+00:00") == WEEK  # Monday 08:00 in Karachi
    assert at("2026-11-27T12:00+00:00") == WEEK  # later that week: still the same digest (sent once)
    assert week_due(dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC), "saturday", "09:30", "UTC") is None


def test_digest_job_sends_once_per_recipient_however_often_it_runs(
    sqlite_url: str, smtp: LocalSMTPServer, tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        env={
            "MONITOR_DATABASE_URL": sqlite_url,
            **smtp.env(
                smtp.write_ca(tmp_path), MONITOR_EMAIL__RECIPIENTS='["a@example.org", "b@example.org"]'
            ),
        }
    )
    db = Database(sqlite_url)
    try:
        seed_week(db)
        start = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
        for minutes in range(0, 180, 20):  # every 20 minutes around the scheduled moment
            digest_job(settings, db, start + dt.timedelta(minutes=minutes))
    finally:
        db.dispose()
    assert sorted(m.recipients[0] for m in smtp.messages) == ["a@example.org", "b@example.org"]
    assert all("2026-W47" in m.message["Subject"] for m in smtp.messages)
