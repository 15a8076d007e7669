"""Shared fixtures: real databases (SQLite and PostgreSQL), settings, a local HTTP server.

``db_url`` runs a test once per backend; PostgreSQL runs skip with a clear reason when the server is not
reachable, and fail instead when ``MONITOR_REQUIRE_POSTGRES=1`` (CI sets it once the server is up).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Settings, load_settings
from monitor.storage.db import Database, upgrade
from tests.support import databases
from tests.support.httpserver import LocalHTTPServer


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's MONITOR_* settings."""
    for name in list(os.environ):
        if name.startswith("MONITOR_") and not name.startswith(("MONITOR_TEST_", "MONITOR_REQUIRE_")):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    databases.skip_or_fail_without_postgres()
    name = databases.create_postgres_database()
    try:
        upgrade(databases.url_for_database(name))
        yield name
    finally:
        databases.drop_postgres_database(name)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return databases.copy_sqlite(sqlite_template, tmp_path / "monitor.db")


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    template = request.getfixturevalue("postgres_template")
    name = databases.create_postgres_database(template)
    try:
        yield databases.url_for_database(name)
    finally:
        databases.drop_postgres_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database on each backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    for engine in {database.engine, database.read_engine}:
        checked_out = engine.pool.checkedout()  # type: ignore[attr-defined]
        assert checked_out == 0, f"{checked_out} connections left checked out"
    database.dispose()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Build Settings as the entry point would, from an env mapping and optional TOML text."""

    def build(toml: str = "", env: dict[str, str] | None = None, **_: Any) -> Settings:
        path = tmp_path / "monitor.toml"
        path.write_text(toml, encoding="utf-8")
        full_env = {"MONITOR_DATA_DIR": str(tmp_path / "data"), **(env or {})}
        return load_settings(full_env, path)

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings], db_url: str) -> Settings:
    return make_settings(env={"MONITOR_DATABASE_URL": db_url, "MONITOR_ALLOW_PRIVATE_NETWORKS": "true"})


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    server = LocalHTTPServer().start()
    yield server
    server.stop()
