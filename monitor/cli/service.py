"""`monitor run`: the long-running service (scheduler under a lease, see ``monitor.scheduler``).

Exit status: 0 after a clean stop (SIGTERM or SIGINT), 2 on a configuration or database problem (for
example a schema that needs `monitor db upgrade`), 3 with ``--no-wait`` when another scheduler is active.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import click

from monitor.cli.context import AppContext, pass_app


@click.command("run")
@click.option(
    "--no-wait",
    is_flag=True,
    help="Exit with status 3 if another `monitor run` is active on this database, instead of waiting "
    "as its standby.",
)
@pass_app
def run_command(app: AppContext, no_wait: bool) -> None:
    """Run the service: poll due feeds and run the other scheduled jobs until stopped.

    Only one `monitor run` is active per database; a second one waits as a standby and takes over when
    the first stops or dies. SIGTERM or Ctrl-C stops cleanly: the running job finishes or reaches its
    time limit, the lease is released, exit status 0.
    """
    from monitor.jobs import scheduled_jobs
    from monitor.scheduler import SchedulerBusyError, Service

    settings = app.settings
    db = app.database(check_schema=True)  # raises "run `monitor db upgrade`" on an old schema
    service = Service(settings, db, scheduled_jobs(settings), no_wait=no_wait)

    def on_signal(signum: int, _frame: Any) -> None:
        service.request_stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        status = service.run()
    except SchedulerBusyError as exc:
        click.echo(f"error: {exc}; not starting (--no-wait)", err=True)
        sys.exit(3)
    sys.exit(status)


COMMANDS = (run_command,)
