"""One polling round end to end: real HTTP server, real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from monitor.config import Settings
from monitor.pipeline import Poller
from monitor.storage import feeds as feed_store
from monitor.storage.db import Database
from monitor.storage.models import Article, ArticleFeed, Feed, PollLog
from tests.support.httpserver import LocalHTTPServer, Reply, Request

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
BASIC = (FIXTURES / "basic.rss").read_bytes()


@dataclass
class Verdict:
    score: float
    flagged: bool
    reasons: list[str]
    model_version: str


@dataclass
class KeywordClassifier:
    """A stand-in for the model teammate's classifier: flags titles containing 'shot'."""

    calls: list[list[tuple[str, str]]] = field(default_factory=list)

    def classify(self, items: Sequence[tuple[str, str]]) -> list[Verdict]:
        self.calls.append(list(items))
        return [Verdict(0.9 if "shot" in t else 0.1, "shot" in t, ["keyword"], "kw-1") for t, _ in items]


@pytest.fixture
def poll_settings(make_settings: Callable[..., Settings], db_url: str) -> Settings:
    return make_settings(
        env={
            "MONITOR_DATABASE_URL": db_url,
            "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_POLLING__PARSE_WORKERS": "1",
            # Generous: the suite runs on 2 busy cores; the hanging-server test sets its own short one.
            "MONITOR_POLLING__TIMEOUT_SECONDS": "15",
        }
    )


def add(db: Database, url: str) -> int:
    with db.transaction() as s:
        return feed_store.add_feed(s, url, now=dt.datetime.now(dt.UTC)).feed.id


def count(db: Database, model: Any, *where: Any) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def feed_row(db: Database, feed_id: int) -> Feed:
    with db.reader() as s:
        row = s.get(Feed, feed_id)
        assert row is not None
        return row


def rss(items: str, title: str = "T") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.org/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def etag_route(server: LocalHTTPServer, path: str, body: Callable[[], bytes] | bytes) -> str:
    """Serve ``body`` with a strong ETag and answer 304 when the client already has it."""

    def handler(request: Request) -> Reply:
        data = body() if callable(body) else body
        tag = f'"{uuid.uuid5(uuid.NAMESPACE_URL, data.decode("utf-8", "replace")).hex}"'
        if request.headers.get("If-None-Match") == tag:
            return Reply(304, headers={"ETag": tag})
        return Reply(200, data, {"ETag": tag, "Content-Type": "application/rss+xml"})

    return server.route(path, handler)


# --- the ordinary path ---------------------------------------------------------------------------------


def test_first_poll_stores_articles_then_304(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    feed_id = add(db, etag_route(http_server, "/basic.rss", BASIC))
    summary = Poller(poll_settings, db).run_once()
    assert (summary.ok, summary.new_articles, summary.failed) == (1, 4, 0)
    assert count(db, Article) == 4
    assert (
        count(db, Article, Article.classified_at.is_(None)) == 4
    )  # no classifier: queued, not "not flagged"
    row = feed_row(db, feed_id)
    assert row.etag and row.last_status == "ok" and row.consecutive_failures == 0
    assert row.title == "Karachi Desk & Friends"
    assert row.next_poll_at is not None and row.next_poll_at > dt.datetime.now(dt.UTC)

    assert Poller(poll_settings, db).run_once().feeds == 0  # nothing due yet
    again = Poller(poll_settings, db).run_once(include_all=True)
    assert (again.not_modified, again.new_articles) == (1, 0)
    assert count(db, Article) == 4
    with db.reader() as s:
        statuses = s.scalars(select(PollLog.status).order_by(PollLog.id)).all()
    assert statuses == ["ok", "not_modified"]


def test_refetching_the_same_body_duplicates_nothing(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    add(db, http_server.route("/novalidators", Reply(200, BASIC)))
    for _ in range(3):
        Poller(poll_settings, db).run_once(include_all=True)
    assert count(db, Article) == 4
    assert count(db, ArticleFeed) == 4


def test_same_story_in_two_feeds_is_one_article(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    one = rss(
        "<item><title>Killing in Orangi</title><link>https://news.example.org/s/1?utm_source=a</link></item>"
    )
    two = rss("<item><title>Killing in Orangi</title><link>https://NEWS.example.org/s/1#x</link></item>")
    a = add(db, http_server.route("/one", Reply(200, one)))
    b = add(db, http_server.route("/two", Reply(200, two)))
    Poller(poll_settings, db).run_once()
    assert count(db, Article) == 1
    with db.reader() as s:
        feeds = sorted(s.scalars(select(ArticleFeed.feed_id)).all())
    assert feeds == sorted([a, b])


def test_edited_item_updates_its_article_and_is_classified_again(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    state = {"title": "Man shot in Korangi"}
    etag_route_url = etag_route(
        http_server,
        "/edited",
        lambda: rss(
            f"<item><title>{state['title']}</title><guid>e-1</guid><link>https://e.example.org/1</link></item>"
        ),
    )
    add(db, etag_route_url)
    classifier = KeywordClassifier()
    Poller(poll_settings, db, classifier=classifier).run_once()
    with db.reader() as s:
        article = s.scalars(select(Article)).one()
    assert article.flagged is True and article.model_version == "kw-1" and article.classified_at is not None

    state["title"] = "Correction: man injured, not killed, in Korangi"
    summary = Poller(poll_settings, db, classifier=classifier).run_once(include_all=True)
    assert (summary.new_articles, summary.updated_articles) == (0, 1)
    with db.reader() as s:
        edited = s.scalars(select(Article)).one()
    assert edited.id == article.id and edited.title.startswith("Correction")
    assert edited.flagged is False
    assert classifier.calls[-1][0][0].startswith("Correction")


def test_guid_changing_every_poll_creates_no_duplicates(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    def fresh_guids(_request: Request) -> Reply:
        return Reply(
            200,
            rss(
                f"<item><title>With link</title><guid>{uuid.uuid4()}</guid><link>https://g.example.org/a</link></item>"
                f"<item><title>Without link</title><guid isPermaLink='false'>{uuid.uuid4()}</guid>"
                "<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item>"
            ),
        )

    add(db, http_server.route("/guids", fresh_guids))
    for _ in range(3):
        Poller(poll_settings, db).run_once(include_all=True)
    assert count(db, Article) == 2


def test_relative_and_absolute_guid_are_the_same_item(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    state = {"guid": "/stories/42"}
    url = http_server.route(
        "/rel/feed.xml",
        lambda _r: Reply(200, rss(f"<item><title>Linkless</title><guid>{state['guid']}</guid></item>")),
    )
    add(db, url)
    Poller(poll_settings, db).run_once()
    state["guid"] = http_server.url("/stories/42")
    Poller(poll_settings, db).run_once(include_all=True)
    assert count(db, Article) == 1


def test_duplicate_guids_inside_a_document(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    add(db, http_server.route("/dups", Reply(200, (FIXTURES / "dup_guids.rss").read_bytes())))
    summary = Poller(poll_settings, db).run_once()
    assert summary.new_articles == 2
    Poller(poll_settings, db).run_once(include_all=True)
    assert count(db, Article) == 2


# --- failures ----------------------------------------------------------------------------------------


def test_one_bad_feed_never_stops_the_others(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    poll_settings = poll_settings.model_copy(
        update={"polling": poll_settings.polling.model_copy(update={"timeout_seconds": 2.0})}
    )
    good = add(db, http_server.route("/good", Reply(200, BASIC)))
    bad = {
        "http_status": add(db, http_server.route("/500", Reply(500, b"oops"))),
        "parse": add(db, http_server.route("/empty", Reply(200, b""))),
        "timeout": add(db, http_server.route("/hang", Reply(200, BASIC, hold_after=0, hold_seconds=10))),
    }
    html = add(db, http_server.route("/html", Reply(200, (FIXTURES / "challenge.html").read_bytes())))
    summary = Poller(poll_settings, db).run_once()
    assert (summary.ok, summary.failed, summary.new_articles) == (1, 4, 4)
    assert feed_row(db, good).last_status == "ok"
    for kind, feed_id in {**bad, "parse_html": html}.items():
        row = feed_row(db, feed_id)
        assert row.last_status == "error" and row.consecutive_failures == 1
        assert row.last_error_kind == kind.removesuffix("_html")
    first_delay = feed_row(db, bad["http_status"]).next_poll_at
    Poller(poll_settings, db).run_once(include_all=True)
    row = feed_row(db, bad["http_status"])
    assert row.consecutive_failures == 2 and row.next_poll_at is not None and first_delay is not None
    assert row.next_poll_at > first_delay
    with db.reader() as s:
        kinds = set(s.scalars(select(PollLog.error_kind).where(PollLog.status == "error")).all())
    assert {"http_status", "parse", "timeout"} <= kinds


def test_retry_after_sets_the_next_poll(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    feed_id = add(db, http_server.route("/busy", Reply(429, headers={"Retry-After": "7200"})))
    before = dt.datetime.now(dt.UTC)
    Poller(poll_settings, db).run_once()
    row = feed_row(db, feed_id)
    assert row.last_status == "retry_later" and row.last_http_status == 429
    assert row.next_poll_at is not None and row.next_poll_at >= before + dt.timedelta(seconds=7200)


def test_permanent_redirect_is_remembered(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    new_url = http_server.route("/new.xml", Reply(200, BASIC))
    feed_id = add(db, http_server.route("/old.xml", Reply(301, headers={"Location": new_url})))
    Poller(poll_settings, db).run_once()
    assert feed_row(db, feed_id).redirect_url == new_url
    Poller(poll_settings, db).run_once(include_all=True)
    assert len(http_server.hits("/old.xml")) == 1 and len(http_server.hits("/new.xml")) == 2


def test_xxe_canary_never_reaches_the_database(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("CANARY-e41d secret", encoding="utf-8")
    doc = (FIXTURES / "xxe.rss.template").read_text().replace("@CANARY_PATH@", str(canary)).encode()
    add(db, http_server.route("/xxe", Reply(200, doc)))
    Poller(poll_settings, db).run_once()
    assert count(db, Article) == 1
    with db.reader() as s:
        texts = [
            *s.execute(select(Article.title, Article.summary)).all(),
            *s.execute(select(Feed.title)).all(),
        ]
    assert texts and all("CANARY" not in str(t) for t in texts)


def test_crash_in_one_feeds_transaction_is_its_error(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer
) -> None:
    feed_id = add(db, http_server.route("/crashy", Reply(200, BASIC, {"ETag": '"e1"'})))
    armed = {"on": True, "articles": False}

    def saw_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ARTICLES"):
            armed["articles"] = True

    def on_commit(conn: Any) -> None:
        if armed["on"] and armed["articles"]:
            armed["on"] = False
            raise RuntimeError("simulated failure at commit")

    event.listen(db.engine, "before_cursor_execute", saw_insert)
    event.listen(db.engine, "commit", on_commit)
    try:
        summary = Poller(poll_settings, db).run_once()
    finally:
        event.remove(db.engine, "before_cursor_execute", saw_insert)
        event.remove(db.engine, "commit", on_commit)
    assert summary.failed == 1
    row = feed_row(db, feed_id)
    assert row.last_error_kind == "storage" and row.etag is None  # validators not advanced
    assert count(db, Article) == 0
    assert Poller(poll_settings, db).run_once(include_all=True).new_articles == 4
    assert count(db, Article) == 4


def test_a_feed_that_fails_to_store_inside_a_group_loses_only_itself(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    def one(title: str, n: int) -> bytes:
        return rss(f"<item><title>{title}</title><link>https://g.example.org/{n}</link></item>")

    # The first feed's store is slow, so the others (answered a little later) queue up behind it and
    # are stored as one group.
    slow = add(db, http_server.route("/slow", Reply(200, one("SLOW story", 0))))
    poison = add(db, http_server.route("/poison", Reply(200, one("POISON story", 1), delay=0.2)))
    others = [
        add(db, http_server.route(f"/g{n}", Reply(200, one(f"story {n}", n), delay=0.2))) for n in range(2, 5)
    ]

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ARTICLES"):
            if "SLOW story" in str(parameters):
                time.sleep(1.0)
            if "POISON story" in str(parameters):
                raise RuntimeError("simulated failure storing one feed")

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        with caplog.at_level("INFO", logger="monitor.pipeline"):
            summary = Poller(poll_settings, db).run_once()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert (summary.ok, summary.failed, summary.new_articles) == (4, 1, 4)
    assert feed_row(db, poison).last_error_kind == "storage"
    assert all(feed_row(db, f).last_status == "ok" for f in [slow, *others])
    assert count(db, Article) == 4
    assert any("storing them one by one" in r.getMessage() for r in caplog.records)


KILLER = textwrap.dedent(
    """
    import os, sys
    from sqlalchemy import event
    from monitor.config import load_settings
    from monitor.pipeline import Poller
    from monitor.storage.db import Database

    settings = load_settings()
    db = Database(settings.database_url)
    seen = {"articles": False}

    @event.listens_for(db.engine, "before_cursor_execute")
    def _watch(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO ARTICLES"):
            seen["articles"] = True

    @event.listens_for(db.engine, "commit")
    def _die(conn):
        if seen["articles"]:
            os._exit(77)  # the process dies after the feed's statements ran, before COMMIT

    Poller(settings, db).run_once()
    sys.exit(0)
    """
)


def test_killed_mid_transaction_loses_and_duplicates_nothing(
    db: Database, poll_settings: Settings, http_server: LocalHTTPServer, db_url: str, tmp_path: Path
) -> None:
    feed_id = add(db, etag_route(http_server, "/killed.rss", BASIC))
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": db_url,
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_POLLING__PARSE_WORKERS": "1",
        "MONITOR_CONFIG": str(tmp_path / "none.toml"),
        "MONITOR_DATA_DIR": str(tmp_path),
    }
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", KILLER], env=env, timeout=120, capture_output=True)
    assert done.returncode == 77, done.stderr.decode()[-2000:]
    assert count(db, Article) == 0
    assert feed_row(db, feed_id).etag is None
    assert Poller(poll_settings, db).run_once().new_articles == 4  # fetched again, stored once
    assert Poller(poll_settings, db).run_once(include_all=True).new_articles == 0
    assert count(db, Article) == 4 and count(db, ArticleFeed) == 4


def test_parsing_in_worker_processes(
    make_settings: Callable[..., Settings], sqlite_url: str, http_server: LocalHTTPServer
) -> None:
    # SQLite only: the process pool is what is under test here, not the backend.
    db = Database(sqlite_url)
    settings = make_settings(
        env={
            "MONITOR_DATABASE_URL": sqlite_url,
            "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_POLLING__PARSE_WORKERS": "2",
        }
    )
    for i in range(4):
        add(
            db,
            http_server.route(
                f"/w{i}",
                Reply(200, rss(f"<item><title>n{i}</title><link>https://w.example.org/{i}</link></item>")),
            ),
        )
    add(db, http_server.route("/wempty", Reply(200, b"   ")))
    summary = Poller(settings, db).run_once()
    assert (summary.ok, summary.failed, summary.new_articles) == (4, 1, 4)
    db.dispose()
