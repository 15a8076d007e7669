"""`monitor run`: jobs under the lease, time limits, lease loss, clean stop; two real processes.

The in-process tests run a Service in a thread with the job functions of ``tests.support.jobs`` (real
job processes, real databases); the last tests start real `monitor run` processes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from monitor.config import Settings
from monitor.jobs import Job, every
from monitor.lease import Lease
from monitor.scheduler import Service
from monitor.storage import jobruns
from monitor.storage.db import Database
from monitor.storage.models import Article, ArticleFeed, Feed, SchedulerLease
from tests.support.httpserver import LocalHTTPServer, Reply
from tests.support.jobs import failing_job, hang_once_job, hanging_job, short_job
from tests.support.jobs import notes as _notes

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def sdb(sqlite_url: str) -> Iterator[Database]:
    """The in-process tests run on SQLite: the lease's SQL is tested on both backends in test_lease.py
    and by the two-process test below."""
    database = Database(sqlite_url)
    yield database
    database.dispose()


@pytest.fixture
def fast_settings(make_settings: Callable[..., Settings], sqlite_url: str, tmp_path: Path) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(
        '[[feeds]]\nurl = "https://config.example.org/rss"\n',
        env={
            "MONITOR_DATABASE_URL": sqlite_url,
            "MONITOR_SCHEDULER__LEASE_SECONDS": "3",
            "MONITOR_SCHEDULER__HEARTBEAT_SECONDS": "0.3",
            "MONITOR_SCHEDULER__KILL_GRACE_SECONDS": "0.5",
        },
    )


def wait_for(predicate: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def running(service: Service) -> Iterator[dict[str, int]]:
    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.setdefault("status", service.run()))
    thread.start()
    try:
        yield result
    finally:
        service.request_stop("test over")
        thread.join(30)
        assert not thread.is_alive(), "the service did not stop"


def _runs(db: Database, job: str | None = None) -> list[jobruns.JobRunInfo]:
    with db.reader() as s:
        return jobruns.recent_runs(s, job)


def _assert_never_overlapping(runs: list[jobruns.JobRunInfo]) -> None:
    ordered = sorted(runs, key=lambda r: r.started_at)
    for before, after in itertools.pairwise(ordered):
        assert before.finished_at is not None, before
        assert after.started_at >= before.finished_at, (before, after)


# --- in-process: one Service in a thread, real child processes, real database -----------------------------


def test_stop_lets_the_running_job_finish_then_releases_the_lease(
    fast_settings: Settings, sdb: Database
) -> None:
    job = Job("short", every(minutes=30), short_job, dt.timedelta(seconds=30), run_at_start=True)
    service = Service(fast_settings, sdb, [job])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with sdb.transaction() as s:  # a run left "running" by a scheduler that was killed
        ghost_run = jobruns.start_run(s, "short", "ghost:1:dead", past, past + dt.timedelta(seconds=30))
    with running(service) as result:
        wait_for(lambda: any(n.startswith("start") for n in _notes(fast_settings)), what="the job to start")
        service.request_stop("SIGTERM")
    assert result["status"] == 0
    assert [n.split()[0] for n in _notes(fast_settings)] == ["start", "end"]
    ghost, *runs = _runs(sdb)
    assert (ghost.id, ghost.status) == (ghost_run, "abandoned")  # closed by the new holder
    assert [(r.job, r.status, r.holder) for r in runs] == [("short", "ok", service.holder)]
    # The job saw its own deadline, the one recorded for the run.
    assert _notes(fast_settings)[0].split()[1] == runs[0].deadline_at.isoformat()
    assert Lease(sdb, ttl=dt.timedelta(seconds=3)).current() is None
    with sdb.reader() as s:  # config feeds were added when the scheduler became active
        assert s.scalars(select(Feed.source)).all() == ["config"]


def test_overrunning_job_is_stopped_recorded_and_runs_again(fast_settings: Settings, sdb: Database) -> None:
    job = Job("hang", every(seconds=1), hanging_job, dt.timedelta(seconds=1.5), run_at_start=True)
    service = Service(fast_settings, sdb, [job])
    with running(service):
        wait_for(lambda: len(_runs(sdb)) >= 2, what="a second run after the overrun")
    runs = _runs(sdb)
    assert runs[0].status == "overrun"
    assert "time limit" in (runs[0].message or "")
    assert all(r.status in ("overrun", "running", "cancelled") or r.finished_at for r in runs)
    assert not any(n.startswith("end") for n in _notes(fast_settings))
    _assert_never_overlapping([r for r in runs if r.finished_at])


def test_failing_job_is_recorded_and_the_service_goes_on(fast_settings: Settings, sdb: Database) -> None:
    job = Job("fail", every(seconds=0.5), failing_job, dt.timedelta(seconds=30), run_at_start=True)
    service = Service(fast_settings, sdb, [job])
    with running(service):
        wait_for(lambda: len([r for r in _runs(sdb) if r.finished_at]) >= 2, what="two failed runs")
    failed = [r for r in _runs(sdb) if r.finished_at]
    assert {r.status for r in failed} == {"error"}
    assert failed[0].message == "ValueError: boom"


def test_losing_the_lease_kills_the_job_at_once_and_returns_to_standby(
    fast_settings: Settings, sdb: Database
) -> None:
    job = Job("hang", every(minutes=30), hang_once_job, dt.timedelta(minutes=5), run_at_start=True)
    service = Service(fast_settings, sdb, [job])
    with running(service):
        wait_for(lambda: _notes(fast_settings), what="the job to start")
        far = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        with sdb.transaction() as s:  # another scheduler took over (as if our heartbeats had stalled)
            s.execute(update(SchedulerLease).values(holder="thief", expires_at=far))
        wait_for(lambda: _runs(sdb)[0].finished_at, timeout=30, what="the job to be killed")
        assert _runs(sdb)[0].status == "cancelled"
        child_pid = int(_notes(fast_settings)[0].split()[-1])
        wait_for(lambda: not _alive(child_pid), timeout=20, what="the job process to be gone")
        # The thief leaves: we take over again and run the job anew.
        with sdb.transaction() as s:
            s.execute(delete(SchedulerLease))
        wait_for(lambda: len(_runs(sdb)) == 2, what="a run after taking the lease back")
        wait_for(lambda: len(_notes(fast_settings)) == 3, what="the second run to finish")
    assert [n.split()[0] for n in _notes(fast_settings)] == ["start", "start", "end"]
    assert [r.status for r in _runs(sdb)] == ["cancelled", "ok"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has finished; it only waits to be reaped by its parent.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


# --- two real `monitor run` processes ---------------------------------------------------------------------


FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Local desk</title><link>http://127.0.0.1/</link>
<item><title>Council meets on water supply</title><link>http://127.0.0.1/news/1</link><guid>n1</guid>
<description>The city council met on Saturday.</description>
<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""


def _env(db_url: str, tmp_path: Path, feed_url: str = "") -> dict[str, str]:
    config = tmp_path / "monitor.toml"
    config.write_text(f'[[feeds]]\nurl = "{feed_url}"\n' if feed_url else "", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(
        {
            "MONITOR_DATABASE_URL": db_url,
            "MONITOR_CONFIG": str(config),
            "MONITOR_DATA_DIR": str(tmp_path / "data"),
            "MONITOR_POLLING__INTERVAL_MINUTES": "0.05",
            "MONITOR_SCHEDULER__LEASE_SECONDS": "2",
            "MONITOR_SCHEDULER__HEARTBEAT_SECONDS": "0.3",
            "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
        }
    )
    return env


def _start(env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "--json-logs", "run", *extra],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _runs_by(db: Database, proc: subprocess.Popen[bytes]) -> list[jobruns.JobRunInfo]:
    return [r for r in _runs(db, "poll") if f":{proc.pid}:" in r.holder]


def test_two_processes_one_active_standby_takes_over_after_sigterm(
    db_url: str, db: Database, tmp_path: Path, http_server: LocalHTTPServer
) -> None:
    rss = Reply(body=FEED, headers={"Content-Type": "application/rss+xml"})
    feed_url = http_server.route("/feed.xml", rss)
    env = _env(db_url, tmp_path, feed_url)
    first = _start(env, tmp_path / "first.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: any(r.status == "ok" for r in _runs_by(db, first)), what="a run of the first")
        second = _start(env, tmp_path / "second.log")
        refused = _start(env, tmp_path / "refused.log", "--no-wait")
        wait_for(lambda: b"standby" in (tmp_path / "second.log").read_bytes(), what="the second to stand by")
        assert refused.wait(60) == 3
        assert b"another scheduler is active" in (tmp_path / "refused.log").read_bytes()
        assert _runs_by(db, second) == []

        first.send_signal(signal.SIGTERM)
        assert first.wait(60) == 0
        wait_for(lambda: any(r.status == "ok" for r in _runs_by(db, second)), what="a run of the second")
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert Lease(db, ttl=dt.timedelta(seconds=2)).current() is None  # released on the way out
    runs = _runs(db, "poll")
    assert {r.status for r in runs} == {"ok"}
    _assert_never_overlapping(runs)
    first_runs, second_runs = _runs_by(db, first), _runs_by(db, second)
    assert len(first_runs) + len(second_runs) == len(runs)
    assert max(r.finished_at for r in first_runs if r.finished_at) <= min(r.started_at for r in second_runs)
    assert b"scheduler lease released" in (tmp_path / "first.log").read_bytes()
    # The poll job really polled the config feed, and the story is stored once however often it ran.
    assert http_server.hits("/feed.xml")
    with db.reader() as s:
        assert s.scalars(select(Article.title)).all() == ["Council meets on water supply"]
        assert s.scalar(select(func.count()).select_from(ArticleFeed)) == 1


def test_run_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = _env(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "run"], env=env, cwd=ROOT, capture_output=True, timeout=30
    )
    assert result.returncode == 2
    assert b"run `monitor db upgrade`" in result.stderr


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc), e.g. the fork server and a running job."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_killed_scheduler_takes_its_job_along_and_the_standby_takes_over(
    sqlite_url: str, tmp_path: Path, http_server: LocalHTTPServer
) -> None:
    # The first request gets headers and then a held body: the first poll is in progress when we kill.
    headers = {"Content-Type": "application/rss+xml"}
    slow = Reply(body=FEED, headers=headers, hold_after=10, hold_seconds=60)
    fine = Reply(body=FEED, headers=headers)
    feed_url = http_server.route("/slow.xml", lambda _: fine if http_server.hits("/slow.xml")[1:] else slow)
    env = _env(sqlite_url, tmp_path, feed_url)
    db = Database(sqlite_url)
    first = _start(env, tmp_path / "first.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        http_server.wait_for("/slow.xml", timeout=60)
        below = _descendants(first.pid)
        assert below, "no job process found"
        second = _start(env, tmp_path / "second.log")
        first.kill()  # SIGKILL: no clean-up at all
        first.wait(30)
        wait_for(lambda: not any(_alive(pid) for pid in below), what="the killed scheduler's job to die")
        wait_for(lambda: _runs_by(db, second), what="the standby to take over")
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        runs = _runs(db, "poll")
        db.dispose()
    assert [r.status for r in _runs_by_pid(runs, first.pid)] == ["abandoned"]
    assert {r.status for r in _runs_by_pid(runs, second.pid)} <= {"ok", "overrun"}
    _assert_never_overlapping(runs)


def _runs_by_pid(runs: list[jobruns.JobRunInfo], pid: int) -> list[jobruns.JobRunInfo]:
    return [r for r in runs if f":{pid}:" in r.holder]
