"""Large rounds in worker processes (monitor.shards): limits hold across workers, verdicts match the
pipeline's own, and a worker that dies loses no feed."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.classify import load_classifier
from monitor.config import Settings
from monitor.fetch_parse import FeedDone
from monitor.pipeline import Poller
from monitor.records import DueFeed
from monitor.round_plan import plan_round
from monitor.shards import ShardPool
from monitor.storage import feeds as feed_store
from monitor.storage.db import Database
from monitor.storage.models import Article
from tests.support.httpserver import LocalHTTPServer, Reply, Request


def due(i: int, url: str) -> DueFeed:
    return DueFeed(i, url, None, None, None, None, 0, "", "")


def rss(items: str) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()
    )


def item(n: int, title: str = "", text: str = "") -> str:
    return (
        f"<item><title>{title or f'story {n}'}</title><link>https://news.example.org/{n}</link>"
        f"<description>{text or f'text of story {n}'}</description></item>"
    )


def console_env(sqlite_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a `monitor` command run by a test: two poll workers, loopback allowed."""
    (tmp_path / "monitor.toml").write_text("[polling]\nparse_workers = 2\n", encoding="utf-8")
    return {
        "PATH": os.environ.get("PATH", ""),
        "MONITOR_DATABASE_URL": sqlite_url,
        "MONITOR_CONFIG": str(tmp_path / "monitor.toml"),
        "MONITOR_DATA_DIR": str(tmp_path),
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
    }


def console_poll() -> list[str]:
    """``monitor poll --once`` through the installed console script (what users run)."""
    import sys

    return [str(Path(sys.executable).parent / "monitor"), "--json-logs", "poll", "--once", "--json"]


def worker_settings(make_settings: Callable[..., Settings], url: str, **env: str) -> Settings:
    return make_settings(
        env={
            "MONITOR_DATABASE_URL": url,
            "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_POLLING__PARSE_WORKERS": "2",
            **env,
        }
    )


def add_feeds(db: Database, urls: list[str]) -> None:
    with db.transaction() as session:
        for url in urls:
            feed_store.add_feed(session, url, now=dt.datetime.now(dt.UTC))


def test_per_host_limit_holds_across_workers(
    make_settings: Callable[..., Settings], sqlite_url: str, http_server: LocalHTTPServer
) -> None:
    lock = threading.Lock()
    now_serving = [0, 0]  # current, highest

    def slow(n: int) -> Callable[[Request], Reply]:
        def reply(_: Request) -> Reply:
            with lock:
                now_serving[0] += 1
                now_serving[1] = max(now_serving)
            time.sleep(0.2)
            with lock:
                now_serving[0] -= 1
            return Reply(200, rss(item(n)))

        return reply

    db = Database(sqlite_url)
    add_feeds(db, [http_server.route(f"/h{n}", slow(n)) for n in range(12)])
    settings = worker_settings(make_settings, sqlite_url, MONITOR_POLLING__PER_HOST_CONCURRENCY="2")
    summary = Poller(settings, db).run_once()
    assert (summary.ok, summary.failed, summary.new_articles) == (12, 0, 12)
    assert now_serving[1] == 2  # both workers fetched from the host, never more than its limit together
    db.dispose()


def test_workers_score_exactly_as_the_pipeline_does(
    make_settings: Callable[..., Settings], sqlite_url: str, http_server: LocalHTTPServer
) -> None:
    killing = (
        "Party worker shot dead",
        "Two gunmen on a motorcycle shot dead a local party worker outside his home on Tuesday night.",
    )
    other = ("Flood waters recede", "Residents returned to their homes as the river fell overnight.")
    urls = []
    for n in range(6):
        body = rss(item(2 * n, *killing) + item(2 * n + 1, *other))
        urls.append(http_server.route(f"/s{n}", Reply(200, body)))
    db = Database(sqlite_url)
    add_feeds(db, urls)
    settings = worker_settings(make_settings, sqlite_url)
    classifier = load_classifier(settings)
    assert classifier.spec is not None  # so the workers score, not the writer
    summary = Poller(settings, db, classifier=classifier).run_once()
    assert summary.new_articles == 12
    assert not classifier.scorer_built  # every verdict came from the workers, none from the writer
    expected = {v.score for v in classifier.classify([killing, other])}
    with db.transaction() as session:
        rows = session.execute(select(Article.title, Article.score, Article.model_version)).all()
    assert {round(score, 6) for _, score, _ in rows} == {round(s, 6) for s in expected}
    assert {version for *_, version in rows} == {classifier.version}
    db.dispose()


@pytest.mark.timeout(120)
def test_a_worker_killed_while_parsing_blames_that_feed_and_the_rest_is_polled_again(
    make_settings: Callable[..., Settings], sqlite_url: str, http_server: LocalHTTPServer
) -> None:
    # A document big enough that parsing it takes a while (about 8 MB, 20,000 items).
    big = rss("".join(item(n) for n in range(20_000)))
    feeds = [
        due(1, http_server.route("/big", Reply(200, big))),
        due(2, http_server.route("/slow", Reply(200, rss(item(1)), delay=1.5))),
        due(3, http_server.route("/fast", Reply(200, rss(item(2))))),
    ]
    settings = worker_settings(make_settings, sqlite_url)
    pool = ShardPool(settings, plan_round(feeds, 1, 2), dt.datetime.now(dt.UTC), None, concurrency=8)
    results: dict[int, FeedDone] = {}

    async def handle(done: FeedDone) -> None:
        results[done.feed_id] = done

    runner = threading.Thread(target=lambda: asyncio.run(pool.run(handle)))
    runner.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline:
        for pid, parsing in pool.state():
            if parsing == 1 and pid is not None:
                os.kill(pid, signal.SIGKILL)
                killed = pid
        time.sleep(0.005)
    runner.join(90)
    assert killed is not None, "the big document was never seen being parsed"
    assert not runner.is_alive()
    assert set(results) == {1, 2, 3}
    assert results[1].failure is not None and results[1].failure.kind == "parse_crash"
    assert results[3].parsed is not None and results[3].failure is None
    # The slow feed was still being fetched when its worker died: a new worker polled it again.
    assert results[2].parsed is not None and results[2].failure is None
    assert len(http_server.hits("/slow")) == 2


def test_a_worker_of_304s_imports_neither_database_settings_nor_model() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import monitor.cli, monitor.shards\n"  # what a spawned worker imports before any body arrives
        "heavy = ('sqlalchemy', 'pydantic', 'numpy', 'feedparser')\n"
        "print('loaded:', *(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded:", done.stdout


def test_the_console_command_polls_a_large_round_in_workers(
    sqlite_url: str, tmp_path: Path, http_server: LocalHTTPServer
) -> None:
    # The installed `monitor` script is what users run: spawned workers re-import it as their main.
    import json
    import subprocess

    db = Database(sqlite_url)
    add_feeds(db, [http_server.route(f"/c{n}", Reply(200, rss(item(n)))) for n in range(8)])
    db.dispose()
    done = subprocess.run(
        console_poll(),
        env=console_env(sqlite_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["ok"], summary["new_articles"], summary["classified"]) == (8, 8, True)


def test_a_round_commits_its_feeds_in_groups_not_one_by_one(
    make_settings: Callable[..., Settings], sqlite_url: str, http_server: LocalHTTPServer
) -> None:
    from sqlalchemy import event

    db = Database(sqlite_url)
    add_feeds(db, [http_server.route(f"/g{n}", Reply(200, rss(item(n)))) for n in range(16)])
    commits = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))
    summary = Poller(worker_settings(make_settings, sqlite_url), db).run_once()
    assert (summary.ok, summary.new_articles) == (16, 16)
    # The feeds finish within a few milliseconds of each other: the writer waits for them and commits
    # them together (one fsync'd commit per feed is what capped rounds at a few dozen feeds per second).
    assert len(commits) <= 4, len(commits)
    db.dispose()


@pytest.mark.timeout(120)
def test_a_round_many_times_larger_than_the_workers_windows_polls_every_feed(
    make_settings: Callable[..., Settings], sqlite_url: str, http_server: LocalHTTPServer
) -> None:
    # Each worker holds at most 4 x 2 feeds and is topped up as it goes: 90 feeds take many top-ups,
    # which arrive while its fetch slots are waiting for them.
    db = Database(sqlite_url)
    add_feeds(db, [http_server.route(f"/w{n}", Reply(200, rss(item(n)))) for n in range(90)])
    settings = worker_settings(make_settings, sqlite_url, MONITOR_POLLING__CONCURRENCY="4")
    summary = Poller(settings, db).run_once()
    assert (summary.ok, summary.failed, summary.new_articles) == (90, 0, 90)
    again = Poller(settings, db).run_once(include_all=True)  # the same, all answered 200 again
    assert again.ok == 90 and again.failed == 0
    db.dispose()
