"""Real test databases: SQLite files and PostgreSQL databases, both built by `alembic upgrade head`.

Each backend gets one migrated template per test process; each test then gets a fresh copy (a file copy
for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL), so tests are isolated, commit for real and
still exercise the migrations.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from monitor.storage.db import upgrade

POSTGRES_URL = os.environ.get(
    "MONITOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_unavailable_reason() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} is not reachable: {exc}"


def skip_or_fail_without_postgres() -> None:
    reason = postgres_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("MONITOR_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"MONITOR_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(f"{reason} (set MONITOR_TEST_POSTGRES_URL to run the PostgreSQL tests)")


def url_for_database(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


@contextmanager
def admin_connection() -> Iterator[object]:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def create_postgres_database(template: str | None = None) -> str:
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    with admin_connection() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))  # type: ignore[attr-defined]
    return name


def drop_postgres_database(name: str) -> None:
    with admin_connection() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))  # type: ignore[attr-defined]


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def copy_sqlite(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"
