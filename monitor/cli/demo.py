"""`monitor demo`: the whole service on a bundled, written stream of news, in about a minute."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from monitor.cli.context import AppContext, pass_app


@click.command("demo")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to leave the results (default: <data_dir>/demo; emptied first).",
)
@click.option("--days", type=click.IntRange(60, 365), default=70, show_default=True)
@pass_app
def demo_command(app: AppContext, folder: Path | None, days: int) -> None:
    """Serve ten weeks of written news (with a wave of targeted killings) from 127.0.0.1, run the real
    pipeline on it fast-forwarded, and leave the database, the alerts as they were delivered (mail and
    Slack) and the weekly digest in a folder you can open."""
    from monitor.demo.run import run_demo

    target = folder or Path(app.settings.data_dir) / "demo"
    interactive = sys.stderr.isatty()

    def progress(done: int, total: int, day: dt.date) -> None:
        if interactive:
            click.echo(f"\rsimulating {day} ({done}/{total})", nl=done == total, err=True)

    click.echo(f"demo: writing to {target}", err=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    result = run_demo(target, days=days, env=env, progress=progress)
    counts = result.counts
    click.echo(f"stream: {result.items} items from 5 outlets over {result.days} days")
    click.echo(
        f"stored {counts['articles']} articles, {counts['flagged']} flagged as targeted killings, "
        f"{counts['incidents']} incidents"
    )
    click.echo("spike episodes:" if result.episodes else "spike episodes: none")
    for line in result.episodes:
        click.echo(f"  {line}")
    click.echo(
        f"alerts delivered: {counts['alerts_sent']} ({result.mails} mails, {result.slack_posts} Slack posts)"
    )
    click.echo("")
    click.echo("Where to look:")
    click.echo(f"  mail as delivered:   {result.folder / 'mail'}/*.eml")
    click.echo(f"  Slack as delivered:  {result.folder / 'slack'}/*.json")
    if result.digest_html is not None:
        click.echo(f"  weekly digest:       {result.digest_html} (and .txt), week {result.digest_week}")
    url = result.database_url
    click.echo(f"  the database:        MONITOR_DATABASE_URL={url} monitor incidents list")
    click.echo(f"  review it in a browser: MONITOR_DATABASE_URL={url} monitor users add you")
    click.echo(f"                          MONITOR_DATABASE_URL={url} monitor web")


COMMANDS = (demo_command,)
