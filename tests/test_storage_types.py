"""Timestamps in the database (monitor.storage.models.UTCDateTime), on SQLite and PostgreSQL: stored as
UTC, read back aware, naive values refused; the converter remembers its last value, which must never
hand one row's timestamp to another."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import StatementError

from monitor.storage.db import Database
from monitor.storage.models import Feed

NOW = dt.datetime(2026, 12, 5, 10, 30, 15, 123456, tzinfo=dt.UTC)
KARACHI = dt.timezone(dt.timedelta(hours=5))


def test_timestamps_round_trip_in_utc_whatever_repeats(db: Database) -> None:
    same_instant_elsewhere = NOW.astimezone(KARACHI)
    later = NOW + dt.timedelta(microseconds=1)
    pattern = [NOW, NOW, same_instant_elsewhere, later, None, NOW, later, later, NOW]
    rows = [
        {"url": f"https://x.example.org/{i}", "added_at": NOW, "next_poll_at": value, "last_polled_at": later}
        for i, value in enumerate(pattern)
    ]
    with db.transaction() as session:
        session.execute(insert(Feed), rows)
    with db.reader() as session:
        stored = session.execute(select(Feed.next_poll_at, Feed.last_polled_at).order_by(Feed.id)).all()
    assert [next_poll for next_poll, _ in stored] == pattern
    assert all(last == later for _, last in stored)
    for value, _ in stored:
        assert value is None or value.tzinfo is dt.UTC


def test_naive_timestamps_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), db.transaction() as session:
        naive = dt.datetime(2026, 1, 1)
        session.execute(insert(Feed), [{"url": "https://x.example.org/", "added_at": naive}])
