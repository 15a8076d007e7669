"""Delivery against real servers: aiosmtpd (STARTTLS with a trustme certificate, AUTH) and a local HTTP
server as the Slack webhook. Faults: SMTP down then back, 421/450, 550, no STARTTLS, an untrusted
certificate, Slack 500 for a while, 429 with Retry-After, a revoked webhook; dead letters reported on the
other channel; a restart resends nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.alerts import outbox, rules
from monitor.alerts.delivery import Summary, deliver_due
from monitor.alerts.email import SmtpSender
from monitor.alerts.slack import SlackSender
from monitor.config import Settings
from monitor.errors import PermanentDeliveryError
from monitor.storage.db import Database
from monitor.storage.models import Alert, AlertDelivery, Silence
from tests.support.alertdata import NOW, Change, seed_wave
from tests.support.httpserver import LocalHTTPServer, Reply, Request
from tests.support.smtp import LocalSMTPServer

HOOK = "/services/T000/B000/hook"
LATER = dt.timedelta(hours=2)  # beyond any back-off (retry_max_seconds is 3600)


@pytest.fixture
def smtp() -> Iterator[LocalSMTPServer]:
    server = LocalSMTPServer(tls="starttls", users={"alice": "s3cret"}).start()
    yield server
    server.stop()


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    yield database
    database.dispose()


Build = Callable[..., Settings]


@pytest.fixture
def build(make_settings: Callable[..., Settings], tmp_path: Path, http_server: LocalHTTPServer) -> Build:
    def make(db: Database, smtp: LocalSMTPServer | None = None, slack: bool = True, **extra: str) -> Settings:
        env = {"MONITOR_DATABASE_URL": db.url, "MONITOR_SLACK__MIN_INTERVAL_SECONDS": "0"}
        if smtp is not None:
            env.update(smtp.env(smtp.write_ca(tmp_path)))
        if slack:
            env["MONITOR_SLACK__ENABLED"] = "true"
            env["MONITOR_SLACK_WEBHOOK_URL"] = http_server.url(HOOK)
        env.update(extra)
        return make_settings(env=env)

    return make


def spike(db: Database, settings: Settings, titles: list[str] | None = None) -> Alert:
    with db.transaction() as s:
        episode = seed_wave(s, titles)
        alert = outbox.enqueue_spike_alert(
            s, Change(episode.id, episode.series_key, "start", 1, 5, 1.2), settings, NOW
        )
        assert alert is not None
        return alert


def deliveries(db: Database) -> list[AlertDelivery]:
    with db.reader() as s:
        return list(s.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))


def run(db: Database, settings: Settings, when: dt.datetime = NOW) -> Summary:
    return deliver_due(db, settings, when)


def ok_hook(http_server: LocalHTTPServer) -> None:
    http_server.route(HOOK, Reply(200, b"ok"))


# --- email ---------------------------------------------------------------------------------------------


def test_starttls_auth_one_message_per_recipient_and_restart_resends_nothing(
    sqlite_db: Database, smtp: LocalSMTPServer, build: Build
) -> None:
    settings = build(
        sqlite_db, smtp, slack=False, MONITOR_EMAIL__RECIPIENTS='["a@example.org", "b@example.org"]'
    )
    alert = spike(sqlite_db, settings)
    summary = run(sqlite_db, settings)
    assert (summary.sent, summary.retried, summary.dead) == (2, 0, 0)
    assert all(r.answer.startswith("250 2.0.0 Ok: queued as TEST") for r in summary.results)
    assert [m.recipients for m in smtp.messages] == [["a@example.org"], ["b@example.org"]]
    for received, rcpt in zip(smtp.messages, ["a@example.org", "b@example.org"], strict=True):
        msg = received.message
        assert received.tls and received.authenticated_as == "alice"
        assert msg["To"] == rcpt and msg["Bcc"] is None
        assert msg["Message-ID"] == rules.message_id(alert.key, "monitor@example.org")
        assert msg["Auto-Submitted"] == "auto-generated"
        assert "Spike started in Karachi" in msg["Subject"]
        text = msg.get_body(("plain",))
        assert text is not None and "Shopkeeper shot dead in Lyari" in text.get_content()
    # A restart: a new process, a new engine; what was marked sent is never sent again.
    sqlite_db.dispose()
    again = Database(sqlite_db.url)
    try:
        assert run(again, settings, NOW + LATER).sent == 0
    finally:
        again.dispose()
    assert len(smtp.messages) == 2
    assert {d.status for d in deliveries(sqlite_db)} == {"sent"}


def test_implicit_tls(sqlite_db: Database, build: Build) -> None:
    server = LocalSMTPServer(tls="implicit").start()
    try:
        settings = build(sqlite_db, server, slack=False)
        spike(sqlite_db, settings)
        assert run(sqlite_db, settings).sent == 1
        assert len(server.messages) == 1 and server.messages[0].tls
    finally:
        server.stop()


def test_missing_starttls_is_refused_nothing_in_clear_text(sqlite_db: Database, build: Build) -> None:
    server = LocalSMTPServer(tls="none").start()
    try:
        settings = build(sqlite_db, server, slack=False)
        with pytest.raises(PermanentDeliveryError, match="does not offer STARTTLS"):
            SmtpSender(settings.email).probe()
        spike(sqlite_db, settings)
        summary = run(sqlite_db, settings)
        assert summary.dead == 1 and server.messages == []
        [row] = deliveries(sqlite_db)
        assert row.status == "dead" and "refusing to send in clear text" in (row.last_error or "")
    finally:
        server.stop()


def test_untrusted_certificate_is_refused(sqlite_db: Database, smtp: LocalSMTPServer, build: Build) -> None:
    settings = build(sqlite_db, smtp, slack=False, MONITOR_EMAIL__CA_FILE="")
    with pytest.raises(PermanentDeliveryError, match="certificate"):
        SmtpSender(settings.email).probe()
    assert smtp.messages == []


def test_wrong_password_is_permanent_with_the_servers_answer(
    sqlite_db: Database, smtp: LocalSMTPServer, build: Build
) -> None:
    settings = build(sqlite_db, smtp, slack=False, MONITOR_SMTP_PASSWORD="wrong")
    with pytest.raises(PermanentDeliveryError, match="535"):
        SmtpSender(settings.email).probe()


def test_421_then_450_then_accepted_exactly_once(
    sqlite_db: Database, smtp: LocalSMTPServer, build: Build
) -> None:
    settings = build(sqlite_db, smtp, slack=False)
    smtp.fail_next("421 4.3.0 Try again later", "450 4.2.1 Mailbox busy")
    spike(sqlite_db, settings)
    first = run(sqlite_db, settings)
    assert first.retried == 1 and "421" in first.results[0].answer
    [row] = deliveries(sqlite_db)
    assert row.status == "pending" and row.next_attempt_at > NOW and "421 4.3.0" in (row.last_error or "")
    assert run(sqlite_db, settings).sent == 0  # not due yet: back-off
    second = run(sqlite_db, settings, NOW + LATER)
    assert second.retried == 1 and "450" in second.results[0].answer
    assert run(sqlite_db, settings, NOW + 2 * LATER).sent == 1
    assert run(sqlite_db, settings, NOW + 3 * LATER).sent == 0
    assert len(smtp.messages) == 1
    [row] = deliveries(sqlite_db)
    assert (row.status, row.attempts) == ("sent", 3)


def test_smtp_down_then_back(sqlite_db: Database, smtp: LocalSMTPServer, build: Build) -> None:
    settings = build(sqlite_db, smtp, slack=False)
    smtp.stop()
    spike(sqlite_db, settings)
    down = run(sqlite_db, settings)
    assert down.retried == 1 and "Connection" in down.results[0].answer
    assert run(sqlite_db, settings, NOW + LATER).retried == 1
    smtp.start()
    assert run(sqlite_db, settings, NOW + 2 * LATER).sent == 1
    assert run(sqlite_db, settings, NOW + 3 * LATER).sent == 0
    assert len(smtp.messages) == 1


def test_temporary_failures_end_dead_after_max_attempts(
    sqlite_db: Database, smtp: LocalSMTPServer, build: Build
) -> None:
    settings = build(sqlite_db, smtp, slack=False, MONITOR_ALERTS__MAX_ATTEMPTS="2")
    smtp.fail_next(*["451 4.3.0 Local error"] * 5)
    spike(sqlite_db, settings)
    assert run(sqlite_db, settings).retried == 1
    assert run(sqlite_db, settings, NOW + LATER).dead == 1
    [row] = deliveries(sqlite_db)
    assert row.status == "dead" and "gave up after 2 attempts" in (row.last_error or "")


def test_550_dead_letter_is_reported_on_slack(
    sqlite_db: Database, smtp: LocalSMTPServer, build: Build, http_server: LocalHTTPServer
) -> None:
    ok_hook(http_server)
    settings = build(sqlite_db, smtp)
    smtp.fail_next("550 5.1.1 <analyst@example.org>: Recipient address rejected", at="rcpt")
    spike(sqlite_db, settings)
    summary = run(sqlite_db, settings)
    outcomes = sorted((r.channel, r.outcome) for r in summary.results)
    # The spike on email (dead), the spike on Slack (sent), the dead-letter report on Slack (sent).
    assert outcomes == [("email", "dead"), ("slack", "sent"), ("slack", "sent")]
    bodies = [json.loads(r.body) for r in http_server.hits(HOOK)]
    report = [b for b in bodies if "Undeliverable" in b["text"]]
    assert len(report) == 1 and "550 5.1.1" in json.dumps(report[0])
    assert smtp.messages == []


# --- Slack ---------------------------------------------------------------------------------------------


def test_slack_500_for_a_while_then_ok(
    sqlite_db: Database, build: Build, http_server: LocalHTTPServer
) -> None:
    answers = iter([Reply(500, b"internal_error")] * 3)
    http_server.route(HOOK, lambda _r: next(answers, Reply(200, b"ok")))
    settings = build(sqlite_db)
    spike(sqlite_db, settings)
    outcomes = [run(sqlite_db, settings, NOW + n * LATER).results[0].outcome for n in range(4)]
    assert outcomes == ["retry", "retry", "retry", "sent"]
    assert run(sqlite_db, settings, NOW + 9 * LATER).results == []
    assert len(http_server.hits(HOOK)) == 4


def test_slack_429_waits_for_retry_after(
    sqlite_db: Database, build: Build, http_server: LocalHTTPServer
) -> None:
    answers = iter([Reply(429, b"rate_limited", {"Retry-After": "900"})])
    http_server.route(HOOK, lambda _r: next(answers, Reply(200, b"ok")))
    settings = build(sqlite_db, MONITOR_ALERTS__RETRY_BASE_SECONDS="1")
    spike(sqlite_db, settings)
    assert run(sqlite_db, settings).retried == 1
    [row] = deliveries(sqlite_db)
    assert row.next_attempt_at >= NOW + dt.timedelta(seconds=900)
    assert run(sqlite_db, settings, NOW + dt.timedelta(seconds=600)).results == []
    assert len(http_server.hits(HOOK)) == 1
    assert run(sqlite_db, settings, NOW + dt.timedelta(seconds=901)).sent == 1


def test_revoked_webhook_is_dead_lettered_and_reported_by_email(
    sqlite_db: Database, smtp: LocalSMTPServer, build: Build, http_server: LocalHTTPServer
) -> None:
    http_server.route(HOOK, Reply(404, b"no_service"))
    settings = build(sqlite_db, smtp)
    spike(sqlite_db, settings)
    summary = run(sqlite_db, settings)
    assert sorted((r.channel, r.outcome) for r in summary.results) == [
        ("email", "sent"),
        ("email", "sent"),
        ("slack", "dead"),
    ]
    subjects = [m.message["Subject"] for m in smtp.messages]
    assert any("Undeliverable alert on slack" in s for s in subjects)
    report = next(m.message for m in smtp.messages if "Undeliverable" in m.message["Subject"])
    body = report.get_body(("plain",))
    assert body is not None and "HTTP 404 no_service" in body.get_content()
    assert len(http_server.hits(HOOK)) == 1  # a 4xx is not retried


def test_slack_body_escapes_control_sequences(
    sqlite_db: Database, build: Build, http_server: LocalHTTPServer
) -> None:
    ok_hook(http_server)
    settings = build(sqlite_db)
    spike(sqlite_db, settings, ["<!channel> killed at <http://evil.example|the bank> by <@U123>"])
    assert run(sqlite_db, settings).sent == 1
    body = http_server.hits(HOOK)[0].body.decode()
    assert "<!channel>" not in body and "<@U123>" not in body and "<http://evil.example" not in body
    assert "&lt;!channel&gt;" in body


def test_unconfigured_channel_waits_in_the_outbox(
    sqlite_db: Database, build: Build, http_server: LocalHTTPServer
) -> None:
    settings = build(sqlite_db)
    spike(sqlite_db, settings)
    broken = build(sqlite_db, MONITOR_SLACK_WEBHOOK_URL="")
    summary = run(sqlite_db, broken)
    assert summary.results == [] and "slack" in summary.waiting_channels
    [row] = deliveries(sqlite_db)
    assert (row.status, row.attempts) == ("pending", 0)
    ok_hook(http_server)
    assert run(sqlite_db, settings, NOW + LATER).sent == 1


def test_silence_added_after_enqueue_applies_at_delivery(
    sqlite_db: Database, build: Build, http_server: LocalHTTPServer
) -> None:
    ok_hook(http_server)
    settings = build(sqlite_db)
    spike(sqlite_db, settings)
    with sqlite_db.transaction() as s:
        s.add(Silence(field="victim_group", value="shopkeeper", until=NOW + LATER, created_at=NOW))
    assert run(sqlite_db, settings).silenced == 1
    assert http_server.hits(HOOK) == []
    [row] = deliveries(sqlite_db)
    assert row.status == "silenced"


def test_delivery_on_both_databases(db: Database, build: Build, http_server: LocalHTTPServer) -> None:
    seen: list[Request] = []

    def hook(request: Request) -> Reply:
        seen.append(request)
        return Reply(500 if len(seen) == 1 else 200, b"ok")

    http_server.route(HOOK, hook)
    settings = build(db)
    spike(db, settings)
    assert run(db, settings).retried == 1
    assert run(db, settings, NOW + LATER).sent == 1
    assert run(db, settings, NOW + 2 * LATER).results == []
    assert len(seen) == 2


def test_server_hanging_after_data_is_a_timeout_then_retried(
    sqlite_db: Database, smtp: LocalSMTPServer, build: Build
) -> None:
    settings = build(sqlite_db, smtp, slack=False, MONITOR_EMAIL__TIMEOUT_SECONDS="0.5")
    smtp.hang_after_data = 2.0
    spike(sqlite_db, settings)
    summary = run(sqlite_db, settings)
    assert summary.retried == 1 and "timed out" in summary.results[0].answer
    smtp.hang_after_data = 0.0
    assert run(sqlite_db, settings, NOW + LATER).sent == 1


def test_slack_is_paced_at_min_interval(
    sqlite_db: Database, build: Build, http_server: LocalHTTPServer
) -> None:
    ok_hook(http_server)
    settings = build(sqlite_db, MONITOR_SLACK__MIN_INTERVAL_SECONDS="1")
    clock = iter([100.0, 100.2, 100.2, 101.5, 101.5])  # a clock we drive, and the sleeps it asks for
    slept: list[float] = []
    sender = SlackSender(settings.slack, sleep=slept.append, clock=lambda: next(clock))
    for _ in range(3):
        assert sender.send({"text": "x"}, NOW) == "HTTP 200 ok"
    assert [round(s, 2) for s in slept] == [0.8]  # 0.2 s after the first post; 1.3 s after the second
    assert len(http_server.hits(HOOK)) == 3
