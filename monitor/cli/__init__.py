"""The `monitor` command: builds the settings once and hands them to each subcommand.

Subcommands live in sibling modules, one per area (feeds, polling, model, incidents, spikes, alerts,
web, demo), each ending with ``COMMANDS = (...)``. This module maps each command name to its module
(:data:`COMMAND_MODULES`) and imports a module only when one of its commands runs: importing every
area (Flask, SciPy, the extractors, ...) cost about a second and 90 MB before `monitor poll` did
anything. It also turns ``MonitorError`` into a clear message and exit status 2 (1 is left for "ran,
found problems", as in `config check`). A new command goes into its module's COMMANDS and into the
map below; ``tests/test_cli.py`` checks that the two agree.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from monitor.errors import MonitorError
from monitor.logs import setup_logging

#: Command name -> the module whose COMMANDS defines it.
COMMAND_MODULES = {
    "alerts": "alerts",
    "classify": "model",
    "config": "admin",
    "db": "admin",
    "demo": "demo",
    "digest": "alerts",
    "feeds": "feeds",
    "incidents": "incidents",
    "model": "model",
    "poll": "polling",
    "review": "web",
    "run": "service",
    "silences": "alerts",
    "spikes": "spikes",
    "stats": "polling",
    "users": "web",
    "web": "web",
}


def discovered_commands() -> dict[str, str]:
    """Every command that the modules of this package define, by name -> module (imports them all)."""
    import importlib
    import pkgutil

    found: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            found[str(command.name)] = info.name
    return found


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            module = importlib.import_module(f"{__name__}.{COMMAND_MODULES[cmd_name]}")
            for command in getattr(module, "COMMANDS", ()):
                self.add_command(command)
        return self.commands.get(cmd_name)

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
    # Imported here, not at the top: worker processes started with spawn import this module (it is
    # the console script's main) and need neither the settings' validation nor the database layer.
    from monitor.cli.context import AppContext

    setup_logging(log_level, json_lines=json_logs)
    app = AppContext(config_path=config_path)
    ctx.obj = app
    ctx.call_on_close(app.close)
