"""The scheduler lease on SQLite and PostgreSQL: one holder, races, expiry, heartbeat, release; and
concurrent writer processes on SQLite that never fail with "database is locked"."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from sqlalchemy import delete, func, select

from monitor.lease import Lease
from monitor.storage.db import Database
from monitor.storage.models import Feed, JobRun, SchedulerLease

T0 = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(seconds=30)


def _lease(db: Database, holder: str) -> Lease:
    return Lease(db, ttl=TTL, holder=holder)


def test_one_holder_at_a_time(db: Database) -> None:
    a, b = _lease(db, "a"), _lease(db, "b")
    assert a.try_acquire(T0)
    assert not b.try_acquire(T0 + dt.timedelta(seconds=1))
    info = b.current()
    assert info is not None
    assert (info.holder, info.acquired_at, info.expires_at) == ("a", T0, T0 + TTL)
    assert a.try_acquire(T0 + dt.timedelta(seconds=2))  # re-acquiring our own lease renews it


def test_expired_lease_is_taken_over_and_the_old_holder_learns_it(db: Database) -> None:
    a, b = _lease(db, "a"), _lease(db, "b")
    assert a.try_acquire(T0)
    assert not b.try_acquire(T0 + TTL)  # not expired yet: expiry is strict
    later = T0 + TTL + dt.timedelta(seconds=1)
    assert b.try_acquire(later)
    info = b.current()
    assert info is not None and info.holder == "b" and info.acquired_at == later
    assert not a.renew(later + dt.timedelta(seconds=1))  # a finds out at its next heartbeat
    assert not a.try_acquire(later + dt.timedelta(seconds=2))


def test_heartbeat_keeps_the_lease(db: Database) -> None:
    a, b = _lease(db, "a"), _lease(db, "b")
    assert a.try_acquire(T0)
    for seconds in (10, 20, 30, 40, 50):
        assert a.renew(T0 + dt.timedelta(seconds=seconds))
        assert not b.try_acquire(T0 + dt.timedelta(seconds=seconds + 5))
    info = a.current()
    assert info is not None
    assert info.acquired_at == T0  # renewals do not reset when it was acquired
    assert info.heartbeat_at == T0 + dt.timedelta(seconds=50)
    assert info.expires_at == T0 + dt.timedelta(seconds=80)


def test_release_lets_a_standby_in_at_once(db: Database) -> None:
    a, b = _lease(db, "a"), _lease(db, "b")
    assert a.try_acquire(T0)
    assert not b.release()  # only the holder can release
    assert a.current() is not None
    assert a.release()
    assert a.current() is None
    assert b.try_acquire(T0 + dt.timedelta(seconds=1))
    assert not a.release()


def _race(db: Database, holders: list[str], now: dt.datetime) -> list[str]:
    barrier = threading.Barrier(len(holders))
    winners: list[str] = []
    errors: list[BaseException] = []

    def contend(holder: str) -> None:
        try:
            barrier.wait()
            if _lease(db, holder).try_acquire(now):
                winners.append(holder)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(h,)) for h in holders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return winners


def test_racing_holders_on_an_empty_table_exactly_one_wins(db: Database) -> None:
    for round_ in range(5):
        with db.transaction() as s:
            s.execute(delete(SchedulerLease))
        winners = _race(db, [f"h{round_}-{i}" for i in range(6)], T0)
        assert len(winners) == 1, winners
        info = _lease(db, "x").current()
        assert info is not None and info.holder == winners[0]


def test_racing_takeover_of_an_expired_lease_exactly_one_wins(db: Database) -> None:
    assert _lease(db, "dead").try_acquire(T0)
    now = T0 + TTL + dt.timedelta(seconds=5)
    winners = _race(db, [f"s{i}" for i in range(6)], now)
    assert len(winners) == 1, winners
    info = _lease(db, "x").current()
    assert info is not None and info.holder == winners[0] and info.acquired_at == now


# --- SQLite: a scheduler process and a CLI process writing at the same time -------------------------------

_WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    from monitor.lease import Lease
    from monitor.storage import feeds, jobruns
    from monitor.storage.db import Database

    url, role, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    db = Database(url, busy_timeout=30)
    now = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    lease = Lease(db, ttl=dt.timedelta(seconds=30), holder="writer")
    for i in range(count):
        if role == "scheduler":
            # what `monitor run` writes: heartbeats and job-run records (read, then write)
            assert lease.try_acquire(now + dt.timedelta(seconds=i))
            with db.transaction() as s:
                run = jobruns.start_run(s, "poll", "writer", now, now)
                jobruns.finish_run(s, run, "ok", now)
        else:
            # what `monitor feeds ...` writes: read, then insert or update
            with db.transaction() as s:
                feeds.add_feed(s, f"https://cli{i}.example.org/rss", now=now)
                feeds.set_enabled(s, f"https://cli{i}.example.org/rss", i % 2 == 0)
    db.dispose()
    print("done", role)
    """
)


def test_concurrent_writer_processes_never_see_database_is_locked(sqlite_url: str, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER, encoding="utf-8")
    count = 100
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), sqlite_url, role, str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        for role in ("scheduler", "cli", "cli2")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert "database is locked" not in err
        assert proc.returncode == 0, err
        assert out.startswith("done")
    db = Database(sqlite_url)
    try:
        with db.reader() as s:
            assert s.scalar(select(func.count()).select_from(JobRun)) == count
            # both CLI writers added the same URLs: each exactly once, no error
            assert s.scalar(select(func.count()).select_from(Feed)) == count
    finally:
        db.dispose()
