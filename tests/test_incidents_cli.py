"""`monitor incidents update|list|show` on SQLite and PostgreSQL, with hostile titles."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.storage.db import Database
from monitor.storage.models import Article, ArticleFeed, Feed

PUB = dt.datetime(2026, 3, 4, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def cli(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    config = tmp_path / "empty.toml"
    config.write_text("", encoding="utf-8")

    def run(*args: str) -> Result:
        env = {"MONITOR_DATABASE_URL": db_url, "MONITOR_CONFIG": str(config)}
        return CliRunner().invoke(main, ["--text-logs", *args], env=env, catch_exceptions=False)

    return run


def _add(db: Database, title: str, summary: str, url: str, feed_id: int | None = None) -> int:
    with db.transaction() as s:
        article = Article(
            canonical_url=url,
            url=url,
            title=title,
            summary=summary,
            content_hash=hashlib.sha256((title + summary).encode()).hexdigest(),
            published_at=PUB,
            first_seen_at=PUB,
            last_changed_at=PUB,
            flagged=True,
            score=0.9,
            classified_at=PUB,
        )
        s.add(article)
        s.flush()
        if feed_id is not None:
            s.add(
                ArticleFeed(
                    article_id=article.id, feed_id=feed_id, entry_key=url, first_seen_at=PUB, last_seen_at=PUB
                )
            )
        return article.id


def test_update_list_and_show(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    db = Database(db_url)
    try:
        with db.transaction() as s:
            feed = Feed(url="https://www.dawn.com/feeds/home", title="Dawn \x1b[2J home", added_at=PUB)
            s.add(feed)
            s.flush()
            feed_id = feed.id
        _add(
            db,
            "MQM worker shot dead in Orangi\x1b[31m",
            "KARACHI: An MQM worker was shot dead in Orangi Town on Tuesday night.",
            "https://www.dawn.com/a",
            feed_id,
        )
        _add(
            db,
            "Muttahida activist gunned down",
            "KARACHI: An MQM activist was gunned down in Orangi on Tuesday.",
            "https://tribune.com.pk/b",
        )
        _add(
            db,
            "Lawyer shot dead in Quetta",
            "QUETTA: A lawyer was shot dead near the high court on Tuesday.",
            "https://tribune.com.pk/q",
        )
    finally:
        db.dispose()

    result = cli("incidents", "update")
    assert result.exit_code == 0, result.output
    assert "3 articles extracted: 2 new incidents, 1 joined" in result.output

    listed = cli("incidents", "list")
    assert listed.exit_code == 0
    assert "Orangi Town" in listed.output and "Quetta" in listed.output
    assert "\x1b" not in listed.output
    assert "1 dead" in listed.output

    as_json = cli("incidents", "list", "--json", "--place", "orangi")
    rows = [json.loads(line) for line in as_json.output.splitlines()]
    assert len(rows) == 1
    assert rows[0]["outlet_count"] == 2 and rows[0]["victim_group"] == "mqm"
    assert rows[0]["place_key"] == "pk/karachi/orangi-town"

    since = cli("incidents", "list", "--since", "2026-03-04")
    assert "no incidents" in since.output  # both happened on Tuesday the 3rd

    shown = cli("incidents", "show", str(rows[0]["id"]))
    assert shown.exit_code == 0
    assert "https://www.dawn.com/a" in shown.output and "https://tribune.com.pk/b" in shown.output
    assert "2 independent, 2 articles" in shown.output
    assert "Dawn [2J home" in shown.output  # the feed's title, escape character removed
    assert "\x1b" not in shown.output

    missing = cli("incidents", "show", "99999")
    assert missing.exit_code != 0
    assert "no incident 99999" in missing.output


def test_list_empty_database(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("incidents", "list")
    assert result.exit_code == 0
    assert "no incidents" in result.output
