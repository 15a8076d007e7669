"""Engines and sessions for SQLite and PostgreSQL, and the schema-version check.

SQLite settings, and why:
- ``journal_mode=WAL``: readers never block the writer and the writer never blocks readers.
- ``synchronous=FULL``: in WAL mode ``NORMAL`` may lose the last committed transactions on power loss;
  an article or an alert that was committed must stay committed.
- write transactions start with ``BEGIN IMMEDIATE``: with a deferred BEGIN, a reader that later tries to
  write gets "database is locked" at once, because SQLite skips the busy timeout when upgrading a read
  lock. Taking the write lock up front makes concurrent writers (scheduler plus a CLI command) queue on
  ``busy_timeout`` instead of failing.
- ``foreign_keys=ON``: SQLite ignores foreign keys unless asked.

This module creates no tables: ``alembic upgrade head`` (``monitor db upgrade``) does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import SchemaOutOfDateError, StorageError

ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _sqlite_engine(url: str, *, immediate: bool, busy_timeout: float, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own handling is wrong for us).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The service's handle on its database: a write engine and a read engine (the same on PostgreSQL).

    Callers own session lifetimes: ``with db.transaction() as s: ...`` commits on success and rolls back
    on error; ``with db.reader() as s: ...`` is for read-only work (web pages, reports).
    """

    def __init__(self, url: str, *, busy_timeout: float = 30.0, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(self.url, immediate=True, busy_timeout=busy_timeout, echo=echo)
            self.read_engine = _sqlite_engine(self.url, immediate=False, busy_timeout=busy_timeout, echo=echo)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, echo=echo)
            self.read_engine = self.engine
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self._writer() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def reader(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    def session(self) -> Session:
        """A bare write session; the caller begins, commits and closes it."""
        return self._writer()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()

    def check_schema(self) -> None:
        """Raise SchemaOutOfDateError unless the database is at the newest migration."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        head = ScriptDirectory(str(ALEMBIC_DIR)).get_current_head()
        try:
            with self.read_engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
        except OperationalError as exc:
            raise StorageError(f"cannot open database {self.safe_url}: {exc.orig}") from exc
        if current != head:
            raise SchemaOutOfDateError(
                f"database {self.safe_url} is at migration {current or 'none'}, the code needs {head}: "
                "run `monitor db upgrade`"
            )

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    cfg.attributes["database_url"] = normalise_url(url)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema of ``url`` up to ``revision`` (the only way tables are created)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)
