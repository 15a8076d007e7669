"""`monitor poll --once` and `monitor stats` as a person or a script runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main
from tests.support.httpserver import LocalHTTPServer, Reply

FEED = (Path(__file__).parent / "fixtures" / "feeds" / "basic.rss").read_bytes()


def _runner(db_url: str, tmp_path: Path, model_path: str | None = None):  # type: ignore[no-untyped-def]
    config = tmp_path / "monitor.toml"
    config.write_text("[polling]\nparse_workers = 1\ntimeout_seconds = 2\n", encoding="utf-8")

    def run(*args: str) -> Result:
        env = {
            "MONITOR_DATABASE_URL": db_url,
            "MONITOR_CONFIG": str(config),
            "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_DATA_DIR": str(tmp_path),
        }
        if model_path is not None:
            env["MONITOR_CLASSIFIER__MODEL_PATH"] = model_path
        return CliRunner().invoke(main, ["--json-logs", *args], env=env, catch_exceptions=False)

    return run


@pytest.fixture
def cli(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """No model artifact where the settings point: polling must go on and leave articles queued."""
    return _runner(db_url, tmp_path, model_path=str(tmp_path / "no-model-here"))


@pytest.fixture
def cli_sqlite(sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """For behaviour that does not depend on the backend."""
    return _runner(sqlite_url, tmp_path)


def test_poll_once_after_feeds_add_then_stats(cli, http_server: LocalHTTPServer) -> None:  # type: ignore[no-untyped-def]
    ok = http_server.route("/feed.xml", Reply(200, FEED, {"ETag": '"a"'}))
    broken = http_server.route("/broken.xml", Reply(404, b"gone"))
    assert cli("feeds", "add", ok).exit_code == 0
    assert cli("feeds", "add", broken).exit_code == 0

    result = cli("poll", "--once")
    assert result.exit_code == 0, result.output
    assert "feeds polled: 2" in result.stdout
    assert "ok: 1" in result.stdout and "failed: 1" in result.stdout
    assert "articles: 4 new, 0 updated" in result.stdout

    again = cli("poll", "--once")
    assert "feeds polled: 0" in again.stdout  # nothing due right after a poll

    stats = cli("stats", "--json")
    assert stats.exit_code == 0
    numbers = json.loads(stats.stdout)
    assert numbers["feeds"] == 2 and numbers["feeds_failing"] == 1
    assert numbers["articles"] == 4 and numbers["flagged"] == 0 and numbers["queued"] == 4


def test_poll_all_json_summary(cli, http_server: LocalHTTPServer) -> None:  # type: ignore[no-untyped-def]
    cli("feeds", "add", http_server.route("/f.xml", Reply(200, FEED)))
    cli("poll", "--once")
    result = cli("poll", "--once", "--all", "--json")
    summary = json.loads(result.stdout)
    assert summary["feeds"] == 1 and summary["ok"] == 1 and summary["new_articles"] == 0


def test_poll_without_once_is_a_usage_error(cli_sqlite) -> None:  # type: ignore[no-untyped-def]
    result = cli_sqlite("poll")
    assert result.exit_code == 2 and "--once" in result.output


def test_stats_text_output(cli_sqlite) -> None:  # type: ignore[no-untyped-def]
    result = cli_sqlite("stats")
    assert result.exit_code == 0
    assert "feeds failing" in result.stdout and "articles" in result.stdout


def test_poll_classifies_with_the_shipped_model(cli_sqlite, http_server: LocalHTTPServer) -> None:  # type: ignore[no-untyped-def]
    cli_sqlite("feeds", "add", http_server.route("/m.xml", Reply(200, FEED)))
    result = cli_sqlite("poll", "--once")
    assert result.exit_code == 0 and "articles: 4 new" in result.stdout
    numbers = json.loads(cli_sqlite("stats", "--json").stdout)
    assert numbers["articles"] == 4 and numbers["queued"] == 0
