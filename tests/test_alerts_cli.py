"""The alert commands against real servers: `alerts test|list|retry|deliver`, `silences`, and
`config check --connect`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main
from tests.support.httpserver import LocalHTTPServer, Reply
from tests.support.smtp import LocalSMTPServer

HOOK = "/services/T/B/cli"


@pytest.fixture
def smtp() -> Iterator[LocalSMTPServer]:
    server = LocalSMTPServer(tls="starttls", users={"alice": "s3cret"}).start()
    yield server
    server.stop()


class Cli:
    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.config = tmp_path / "monitor.toml"
        self.config.write_text("", encoding="utf-8")
        self.env = {"MONITOR_DATA_DIR": str(tmp_path / "data"), **env}

    def __call__(self, *args: str, **extra: str) -> Result:
        return CliRunner().invoke(main, ["--config", str(self.config), *args], env={**self.env, **extra})


@pytest.fixture
def cli(tmp_path: Path, sqlite_url: str, smtp: LocalSMTPServer, http_server: LocalHTTPServer) -> Cli:
    return Cli(
        tmp_path,
        {
            "MONITOR_DATABASE_URL": sqlite_url,
            **smtp.env(smtp.write_ca(tmp_path)),
            "MONITOR_SLACK__ENABLED": "true",
            "MONITOR_SLACK__MIN_INTERVAL_SECONDS": "0",
            "MONITOR_SLACK_WEBHOOK_URL": http_server.url(HOOK),
        },
    )


def test_alerts_test_prints_each_servers_answer(
    cli: Cli, smtp: LocalSMTPServer, http_server: LocalHTTPServer
) -> None:
    http_server.route(HOOK, Reply(200, b"ok"))
    result = cli("alerts", "test")
    assert result.exit_code == 0, result.output
    assert "250 2.0.0 Ok: queued as TEST0001" in result.output
    assert "HTTP 200 ok" in result.output
    assert len(smtp.messages) == 1 and "Test message" in smtp.messages[0].message["Subject"]


def test_alerts_test_failure_exits_1_and_dead_letter_is_listed_then_retried(
    cli: Cli, http_server: LocalHTTPServer
) -> None:
    http_server.route(HOOK, Reply(403, b"invalid_token"))
    result = cli("alerts", "test", "--channel", "slack")
    assert result.exit_code == 1, result.output
    assert "HTTP 403 invalid_token" in result.output

    listed = cli("alerts", "list", "--status", "dead")
    assert "last error: slack: webhook refused the message: HTTP 403 invalid_token" in listed.output
    rows = [json.loads(line) for line in cli("alerts", "list", "--json").output.splitlines()]
    assert [(r["channel"], r["status"]) for r in rows] == [("slack", "dead")]

    assert cli("alerts", "retry", str(rows[0]["id"])).exit_code == 0
    http_server.route(HOOK, Reply(200, b"ok"))
    delivered = cli("alerts", "deliver")
    assert "sent 1" in delivered.output, delivered.output
    assert cli("alerts", "retry", str(rows[0]["id"])).exit_code == 2  # sent: nothing to re-queue


def test_alerts_test_on_an_unconfigured_channel_exits_1(cli: Cli) -> None:
    result = cli("alerts", "test", "--channel", "slack", MONITOR_SLACK_WEBHOOK_URL="")
    assert result.exit_code == 1
    assert "slack is disabled or not configured" in result.output


def test_silences_add_list_remove(cli: Cli) -> None:
    added = cli("silences", "add", "--place", "lyari", "--for", "3d", "--reason", "known wave")
    assert added.exit_code == 0, added.output
    assert cli("silences", "add", "--keyword", "x", "--until", "2001-01-01T00:00").exit_code == 2
    assert cli("silences", "add", "--place", "a", "--keyword", "b", "--for", "1d").exit_code == 2
    listed = cli("silences", "list")
    assert "place=lyari" in listed.output and "known wave" in listed.output
    silence_id = json.loads(cli("silences", "list", "--json").output.splitlines()[0])["id"]
    assert cli("silences", "remove", str(silence_id)).exit_code == 0
    assert "no silences" in cli("silences", "list").output


def test_config_check_connect_shows_the_smtp_answers(cli: Cli) -> None:
    result = cli("config", "check", "--connect")
    assert result.exit_code == 0, result.output
    assert "EHLO: 250" in result.output and "STARTTLS: 220" in result.output and "AUTH: 235" in result.output
    assert "slack: webhook URL is set" in result.output


def test_config_check_connect_reports_a_server_without_starttls(cli: Cli, tmp_path: Path) -> None:
    plain = LocalSMTPServer(tls="none").start()
    try:
        result = cli(
            "config",
            "check",
            "--connect",
            MONITOR_EMAIL__PORT=str(plain.port),
            MONITOR_SMTP_USERNAME="",
            MONITOR_SMTP_PASSWORD="",
        )
    finally:
        plain.stop()
    assert result.exit_code == 1
    assert "does not offer STARTTLS" in result.output
    assert plain.messages == []
