"""Migrations are the only way the schema is made: they upgrade, downgrade and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from monitor.storage.db import ALEMBIC_DIR, Database, downgrade, upgrade
from monitor.storage.models import Base


def test_single_head() -> None:
    heads = ScriptDirectory(str(ALEMBIC_DIR)).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}; re-point down_revision"


def test_upgrade_creates_every_model_table(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    downgrade(db_url, "base")
    engine = create_engine(db_url)
    try:
        left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()
    assert left == set()
    upgrade(db_url)
    db = Database(db_url)
    try:
        db.check_schema()
    finally:
        db.dispose()


def test_check_schema_reports_an_unmigrated_database(tmp_path) -> None:
    import pytest

    from monitor.errors import SchemaOutOfDateError

    db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(SchemaOutOfDateError, match="monitor db upgrade"):
            db.check_schema()
    finally:
        db.dispose()
