"""The command map of `monitor` (commands are imported lazily) agrees with what the modules define."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from monitor.cli import COMMAND_MODULES, discovered_commands, main


def test_every_defined_command_is_mapped_to_its_module() -> None:
    assert discovered_commands() == COMMAND_MODULES


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    for name in COMMAND_MODULES:
        assert f"  {name} " in result.output


def test_a_command_imports_only_its_own_area() -> None:
    code = (
        "import sys, click\n"
        "from monitor.cli import main\n"
        "assert main.get_command(click.Context(main), 'poll') is not None\n"
        "print('loaded:', *(m for m in ('flask', 'scipy', 'monitor.cli.web', 'monitor.spikes.detector')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "loaded:", done.stdout
