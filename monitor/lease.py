"""The scheduler lease: exactly one active `monitor run` per database.

One row in ``scheduler_lease`` names the holder and when its claim expires. Every step is a single
conditional statement, atomic on SQLite (``BEGIN IMMEDIATE`` serialises writers) and on PostgreSQL (a
concurrent UPDATE re-checks its WHERE clause against the committed row; ``INSERT ... ON CONFLICT DO
NOTHING`` lets exactly one of two racing inserts win):

    renew     UPDATE ... SET expires_at = now + ttl WHERE name = :n AND holder = :me
    take over UPDATE ... SET holder = :me, ...     WHERE name = :n AND expires_at < :now
    first     INSERT ... ON CONFLICT (name) DO NOTHING
    release   DELETE ... WHERE name = :n AND holder = :me

A holder renews (heartbeat) every few seconds; a standby can take over only after the lease expired, so
a holder that stopped renewing has stopped running jobs by then (the scheduler checks its own deadline).
Expiry compares the machines' clocks: hosts sharing a database need synchronised clocks (NTP), with skew
far below ``lease_seconds``.

Functions take a Session and never commit; :class:`Lease` wraps them in one transaction each.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.storage.db import Database
from monitor.storage.models import SchedulerLease

DEFAULT_NAME = "scheduler"


def make_holder_id() -> str:
    """Who we are, readable in logs: host, process id and a random token (pids get reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class LeaseInfo:
    name: str
    holder: str
    acquired_at: dt.datetime
    heartbeat_at: dt.datetime
    expires_at: dt.datetime


def _changed(session: Session, statement: Any) -> bool:
    """Run a conditional UPDATE/INSERT/DELETE; True when it touched the lease row.

    RETURNING rather than ``rowcount``: psycopg reports -1 for some ORM-issued statements.
    """
    result = session.execute(
        statement.returning(SchedulerLease.name).execution_options(synchronize_session=False)
    )
    return result.first() is not None


def try_acquire(session: Session, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Renew our lease, take over an expired one, or create it; True when ``holder`` holds it now."""
    expires = now + ttl
    if renew(session, name, holder, now, ttl):
        return True
    takeover = (
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.expires_at < now)
        .values(holder=holder, acquired_at=now, heartbeat_at=now, expires_at=expires)
    )
    if _changed(session, takeover):
        return True
    values = {"name": name, "holder": holder, "acquired_at": now, "heartbeat_at": now, "expires_at": expires}
    dialect = session.get_bind().dialect.name
    insert_stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SchedulerLease)
    return _changed(session, insert_stmt.values(**values).on_conflict_do_nothing(index_elements=["name"]))


def renew(session: Session, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Extend our own lease; False when someone else holds it (we lost it)."""
    statement = (
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(heartbeat_at=now, expires_at=now + ttl)
    )
    return _changed(session, statement)


def release(session: Session, name: str, holder: str) -> bool:
    """Give the lease up so a standby can take over at once; False if it was not ours any more."""
    statement = delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
    return _changed(session, statement)


def current(session: Session, name: str = DEFAULT_NAME) -> LeaseInfo | None:
    row = session.scalars(select(SchedulerLease).where(SchedulerLease.name == name)).first()
    if row is None:
        return None
    return LeaseInfo(row.name, row.holder, row.acquired_at, row.heartbeat_at, row.expires_at)


class Lease:
    """One process's claim on the lease; each call is its own short transaction."""

    def __init__(
        self, db: Database, *, ttl: dt.timedelta, holder: str | None = None, name: str = DEFAULT_NAME
    ) -> None:
        self.db = db
        self.ttl = ttl
        self.holder = holder or make_holder_id()
        self.name = name

    def try_acquire(self, now: dt.datetime) -> bool:
        with self.db.transaction() as s:
            return try_acquire(s, self.name, self.holder, now, self.ttl)

    def renew(self, now: dt.datetime) -> bool:
        with self.db.transaction() as s:
            return renew(s, self.name, self.holder, now, self.ttl)

    def release(self) -> bool:
        with self.db.transaction() as s:
            return release(s, self.name, self.holder)

    def current(self) -> LeaseInfo | None:
        with self.db.reader() as s:
            return current(s, self.name)
