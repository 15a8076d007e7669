"""`monitor config check` and `monitor db upgrade|downgrade|current`."""

from __future__ import annotations

import sys

import click

from monitor.cli.context import AppContext, pass_app
from monitor.errors import ConfigError
from monitor.storage import db as dbmod


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@click.option("--connect", is_flag=True, help="Also talk to the SMTP server and look at the Slack webhook.")
@pass_app
def config_check(app: AppContext, connect: bool = False) -> None:
    """Validate the config file and environment; say exactly what is wrong and where.

    Exit status 0 when everything is usable, 1 when something is wrong.
    """
    try:
        settings = app.settings
    except ConfigError as exc:
        click.echo(f"config: {exc}", err=True)
        sys.exit(1)
    problems = list(settings.problems)
    from monitor import checks

    problems += checks.check_settings(settings)
    source = settings.config_path or "built-in defaults"
    click.echo(f"config: {source}")
    click.echo(f"database: {dbmod.Database(settings.database_url).safe_url}")
    click.echo(f"feeds: {len(settings.feeds)} in the config file")
    if connect:  # the servers' own answers (SMTP: EHLO, STARTTLS, AUTH; nothing is sent)
        from monitor.cli.alerts import connect_report

        lines, found = connect_report(settings)
        for line in lines:
            click.echo(line)
        problems += found
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo("ok")


@click.group("db")
def db_group() -> None:
    """Create or migrate the database schema (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@pass_app
def db_upgrade(app: AppContext, revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    dbmod.upgrade(app.settings.database_url, revision)
    click.echo(f"database {dbmod.Database(app.settings.database_url).safe_url} is at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@pass_app
def db_downgrade(app: AppContext, revision: str) -> None:
    """Migrate the database down to REVISION (``base`` removes every table)."""
    dbmod.downgrade(app.settings.database_url, revision)
    click.echo(f"database downgraded to {revision}")


@db_group.command("current")
@pass_app
def db_current(app: AppContext) -> None:
    """Say whether the database schema is up to date."""
    app.database(check_schema=True)
    click.echo("database schema is up to date")


COMMANDS = (config_group, db_group)
