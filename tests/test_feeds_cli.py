"""`monitor feeds ...` and the feed storage under it, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from monitor.cli import main
from monitor.cli.feeds import safe_text
from monitor.config import FeedSpec
from monitor.errors import InputError
from monitor.storage import feeds as store
from monitor.storage.db import Database
from monitor.storage.models import Article, ArticleFeed, Feed, PollLog, Review

NOW = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def cli(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    config = tmp_path / "empty.toml"
    config.write_text('[[feeds]]\nurl = "https://config.example.org/rss"\n', encoding="utf-8")

    def run(*args: str) -> Result:
        env = {"MONITOR_DATABASE_URL": db_url, "MONITOR_CONFIG": str(config)}
        return CliRunner().invoke(main, ["--text-logs", *args], env=env, catch_exceptions=False)

    return run


# --- URL rules -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  HTTPS://WWW.Dawn.COM/feeds/Home  ", "https://www.dawn.com/feeds/Home"),
        ("http://Example.org", "http://example.org/"),
        ("http://example.org:8080/a?B=1#frag", "http://example.org:8080/a?B=1"),
        ("http://[::1]:80/x", "http://[::1]:80/x"),
    ],
)
def test_urls_are_normalised(raw: str, expected: str) -> None:
    assert store.normalise_feed_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("ftp://example.org/feed", "not http"),
        ("file:///etc/passwd", "not http"),
        ("javascript:alert(1)", "not http"),
        ("example.org/rss", "not http"),
        ("", "empty"),
        ("http:///nohost", "no host"),
        ("http://exa mple.org/", "spaces"),
        ("http://example.org:99999/", "malformed"),
        ("https://user:pw@example.org/", "password"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        store.normalise_feed_url(raw)


def test_safe_text_strips_terminal_escapes_and_cuts() -> None:
    assert safe_text("\x1b[31mred\x1b[0m\nline\u202e") == "[31mred[0m line"
    assert safe_text("x" * 500, 10) == "x" * 9 + "…"


# --- CLI -------------------------------------------------------------------------------------------------


def test_add_list_and_re_add(cli, db: Database) -> None:  # type: ignore[no-untyped-def]
    first = cli("feeds", "add", "HTTPS://News.Example.ORG/rss", "--title", "Example", "--interval", "30")
    assert first.exit_code == 0, first.output
    assert "added feed 1: https://news.example.org/rss" in first.output
    again = cli("feeds", "add", "https://news.example.org/rss ")
    assert again.exit_code == 0
    assert "already there" in again.output and "nothing changed" in again.output
    with db.reader() as s:
        rows = s.scalars(select(Feed)).all()
    assert [(r.url, r.title, r.interval_minutes, r.source) for r in rows] == [
        ("https://news.example.org/rss", "Example", 30.0, "cli")
    ]
    listed = cli("feeds", "list")
    assert listed.exit_code == 0
    assert "never polled" in listed.output and "next poll due now" in listed.output


def test_add_refuses_non_http_with_a_clear_error(cli, db: Database) -> None:  # type: ignore[no-untyped-def]
    result = cli("feeds", "add", "file:///etc/passwd")
    assert result.exit_code == 2
    assert "not http:// or https://" in result.output
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Feed)) == 0


def _make_feed_health(db: Database) -> tuple[int, int]:
    """Two feeds as the poller would leave them: one healthy, one failing with a hostile message."""
    with db.transaction() as s:
        good = store.add_feed(s, "https://good.example.org/rss", now=NOW).feed
        bad = store.add_feed(s, "https://bad.example.org/rss", now=NOW, title="Bad \x1b[2J feed").feed
        g, b = s.get(Feed, good.id), s.get(Feed, bad.id)
        assert g is not None and b is not None
        g.last_polled_at = g.last_success_at = NOW
        g.next_poll_at = NOW + dt.timedelta(minutes=15)
        b.last_polled_at = b.last_error_at = NOW
        b.last_success_at = NOW - dt.timedelta(days=2)
        b.last_error_kind = "fetch"
        b.last_error_message = "HTTP 500\n\x1b[31mfake prompt$ " + "x" * 400
        b.consecutive_failures = 4
        b.next_poll_at = NOW + dt.timedelta(hours=2)
    return good.id, bad.id


def test_list_shows_health_in_plain_text_and_json(cli, db: Database) -> None:  # type: ignore[no-untyped-def]
    good, bad = _make_feed_health(db)
    plain = cli("feeds", "list")
    assert plain.exit_code == 0
    lines = plain.output.splitlines()
    assert len(lines) == 2  # a hostile message cannot add lines
    assert lines[0].startswith(f"{good}\tok\t")
    assert lines[1].startswith(f"{bad}\tfailing\t")
    assert "last success 2026-11-20 03:00 UTC" in lines[1]
    assert "last error fetch: HTTP 500 [31mfake prompt$" in lines[1]
    assert "failures 4" in lines[1] and "next poll 2026-11-22 05:00 UTC" in lines[1]
    assert "\x1b" not in plain.output and len(lines[1]) < 400

    failing = cli("feeds", "list", "--failing", "--json")
    data = json.loads(failing.output)
    assert [f["id"] for f in data] == [bad]
    assert data[0]["status"] == "failing"
    assert data[0]["consecutive_failures"] == 4
    assert data[0]["last_error_kind"] == "fetch"
    assert data[0]["last_success_at"] == "2026-11-20T03:00:00+00:00"
    assert data[0]["next_poll_at"] == "2026-11-22T05:00:00+00:00"


def test_enable_disable(cli, db: Database) -> None:  # type: ignore[no-untyped-def]
    good, _ = _make_feed_health(db)
    assert cli("feeds", "disable", str(good)).exit_code == 0
    listed = json.loads(cli("feeds", "list", "--json").output)
    assert listed[0]["status"] == "disabled" and listed[0]["enabled"] is False
    assert cli("feeds", "enable", "https://GOOD.example.org/rss").exit_code == 0
    assert json.loads(cli("feeds", "list", "--json").output)[0]["status"] == "ok"
    missing = cli("feeds", "disable", "999")
    assert missing.exit_code == 2 and "no feed '999'" in missing.output


def test_remove_keeps_articles_and_reviews(cli, db: Database) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        one = store.add_feed(s, "https://one.example.org/rss", now=NOW).feed
        two = store.add_feed(s, "https://two.example.org/rss", now=NOW).feed
        only_here = Article(url="https://one.example.org/a", first_seen_at=NOW, last_changed_at=NOW)
        shared = Article(url="https://one.example.org/b", first_seen_at=NOW, last_changed_at=NOW)
        s.add_all([only_here, shared])
        s.flush()
        for article, feed in ((only_here, one), (shared, one), (shared, two)):
            link = ArticleFeed(article_id=article.id, feed_id=feed.id, entry_key=article.url)
            link.first_seen_at = link.last_seen_at = NOW
            s.add(link)
        s.add(Review(article_id=only_here.id, verdict="confirmed", note="checked by hand", created_at=NOW))
        s.add(PollLog(feed_id=one.id, started_at=NOW, status="ok"))
        s.add(PollLog(feed_id=two.id, started_at=NOW, status="ok"))

    result = cli("feeds", "remove", "https://one.example.org/rss")
    assert result.exit_code == 0, result.output
    assert "1 poll log entries; articles kept, 2 links dropped" in result.output
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 2
        assert s.scalar(select(func.count()).select_from(Review)) == 1
        assert s.execute(select(ArticleFeed.feed_id)).scalars().all() == [two.id]
        assert s.execute(select(PollLog.feed_id)).scalars().all() == [two.id]
        assert s.execute(select(Feed.id)).scalars().all() == [two.id]
    again = cli("feeds", "remove", str(one.id))
    assert again.exit_code == 2 and "no feed" in again.output


def test_removing_a_config_feed_warns_that_it_comes_back(cli, db: Database) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        store.sync_config_feeds(s, [FeedSpec(url="https://config.example.org/rss")], NOW)
    result = cli("feeds", "remove", "https://config.example.org/rss")
    assert result.exit_code == 0
    assert "will be added again" in result.output


def test_import_reports_added_present_and_invalid(cli, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        store.add_feed(s, "https://present.example.org/rss", now=NOW)
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        """<?xml version="1.0"?>
<opml version="2.0"><head><title>t</title></head><body>
  <outline text="Folder">
    <outline text="New" xmlUrl="https://NEW.example.org/rss" htmlUrl="https://new.example.org/"/>
    <outline text="Present" xmlUrl="https://present.example.org/rss"/>
  </outline>
  <outline text="Gopher" xmlUrl="gopher://old.example.org/1"/>
  <outline text="No feed here"/>
  <outline text="Also new" xmlUrl="http://also.example.org/feed"/>
</body></opml>
""",
        encoding="utf-8",
    )
    result = cli("feeds", "import", str(opml))
    assert result.exit_code == 1  # some entries were skipped
    assert "feeds.opml: 2 added, 1 already present, 2 invalid" in result.output
    assert "invalid: line 7:" in result.output and "gopher" in result.output
    assert "invalid: line 8: outline 'No feed here' has no xmlUrl" in result.output
    with db.reader() as s:
        rows = {r.url: r for r in s.scalars(select(Feed))}
    assert set(rows) == {
        "https://present.example.org/rss",
        "https://new.example.org/rss",
        "http://also.example.org/feed",
    }
    assert rows["https://new.example.org/rss"].source == "opml"
    assert rows["https://new.example.org/rss"].site_url == "https://new.example.org/"
    # Importing the same file again adds nothing.
    assert "0 added, 3 already present" in cli("feeds", "import", str(opml)).output


def test_import_refuses_hostile_opml_and_adds_nothing(cli, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    opml = tmp_path / "evil.opml"
    opml.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<opml><body><outline text="&x;" xmlUrl="http://x.example.org/"/></body></opml>'
    )
    result = cli("feeds", "import", str(opml))
    assert result.exit_code == 2
    assert "DOCTYPE" in result.output
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Feed)) == 0


def test_export_to_stdout_and_file(cli, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        store.add_feed(s, "https://a.example.org/rss?x=1&y=2", now=NOW, title='A & "B" <c>')
        store.add_feed(s, "https://b.example.org/rss", now=NOW)
    out = cli("feeds", "export")
    assert out.exit_code == 0
    root = ET.fromstring(out.stdout_bytes)
    assert [o.get("xmlUrl") for o in root.iter("outline")] == [
        "https://a.example.org/rss?x=1&y=2",
        "https://b.example.org/rss",
    ]
    assert root.find("body/outline").get("title") == 'A & "B" <c>'  # type: ignore[union-attr]
    target = tmp_path / "out.opml"
    written = cli("feeds", "export", str(target))
    assert written.exit_code == 0 and "wrote 2 feeds" in written.output
    assert ET.fromstring(target.read_bytes()).get("version") == "2.0"


# --- config sync -----------------------------------------------------------------------------------------


def test_sync_config_feeds_adds_missing_and_touches_nothing_else(db: Database) -> None:
    with db.transaction() as s:
        store.add_feed(s, "https://user.example.org/rss", now=NOW)
        disabled = store.add_feed(s, "https://cfg2.example.org/rss", now=NOW).feed
        store.set_enabled(s, disabled.id, False)
    specs = [
        FeedSpec(url="https://cfg1.example.org/rss", title="One", interval_minutes=5),
        FeedSpec(url="https://CFG2.example.org/rss"),
    ]
    with db.transaction() as s:
        result = store.sync_config_feeds(s, specs, NOW)
    assert [f.url for f in result.added] == ["https://cfg1.example.org/rss"]
    assert result.added[0].source == "config" and result.added[0].interval_minutes == 5
    with db.transaction() as s:
        assert store.sync_config_feeds(s, specs, NOW).added == []  # idempotent
        feeds = {f.url: f for f in store.list_feeds(s)}
    assert set(feeds) == {
        "https://user.example.org/rss",
        "https://cfg1.example.org/rss",
        "https://cfg2.example.org/rss",
    }
    assert feeds["https://cfg2.example.org/rss"].enabled is False
