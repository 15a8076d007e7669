"""The `monitor` command: builds the settings once and hands them to each subcommand.

Subcommands live in sibling modules, one per area (feeds, polling, model, incidents, spikes, alerts,
web, demo), each ending with ``COMMANDS = (...)``. This module only discovers and assembles them,
and turns ``MonitorError`` into a clear message and exit status 2 (1 is left for "ran, found
problems", as in `config check`). Do not list commands here: add them to your module's COMMANDS.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from monitor.cli.context import AppContext
from monitor.errors import MonitorError
from monitor.logs import setup_logging


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Config file (default: $MONITOR_CONFIG or config/monitor.toml).",
)
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING or ERROR.")
@click.option("--json-logs/--text-logs", default=None, help="Log format (default: JSON unless a terminal).")
@click.version_option(package_name="karachi-monitor")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, log_level: str, json_logs: bool | None) -> None:
    """Monitor news feeds for reports of targeted killings, and alert on spikes."""
    setup_logging(log_level, json_lines=json_logs)
    app = AppContext(config_path=config_path)
    ctx.obj = app
    ctx.call_on_close(app.close)


def _register() -> None:
    """Add the commands of every module in this package: each lists its own in ``COMMANDS``.

    Discovery, rather than a hand-kept list here, so that adding a command area never means editing
    (and merging) this file: put ``COMMANDS = (my_group, my_command)`` at the end of the new module.
    """
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register()
