"""`monitor spikes detect-csv|backtest|list`: the spike detector from the command line.

``detect-csv`` is the detector contract of the spike benchmark (CSV in, CSV on stdout); ``backtest``
replays stored incident history day by day without writing anything; ``list`` shows stored episodes.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from monitor.cli.context import AppContext, pass_app
from monitor.errors import InputError
from monitor.spikes.csvio import run_csv
from monitor.spikes.detector import DetectorParams


@click.group("spikes")
def spikes_group() -> None:
    """Spike detection over daily incident counts."""


@spikes_group.command("detect-csv")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option(
    "--false-alarm-rate",
    type=click.FloatRange(min=0.0, max=0.5, min_open=True, max_open=True),
    default=None,
    help="Share of quiet days allowed to alarm (default: spikes.false_alarm_rate of the settings).",
)
@pass_app
def detect_csv(app: AppContext, file: Path, false_alarm_rate: float | None) -> None:
    """Run the detector on FILE (series_id,t,count,eval,freq) and print series_id,t,alarm,score."""
    rate = app.settings.spikes.false_alarm_rate if false_alarm_rate is None else false_alarm_rate
    params = DetectorParams(false_alarm_rate=rate)
    try:
        if str(file) == "-":
            run_csv(sys.stdin, sys.stdout, params)
        else:
            with file.open(newline="", encoding="utf-8") as src:
                run_csv(src, sys.stdout, params)
    except OSError as exc:
        raise InputError(str(exc), source=str(file)) from exc


def _clean(text: str) -> str:
    """Text from stored data, safe on a terminal (no control characters or escape sequences)."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


@spikes_group.command("backtest")
@click.option("--since", help="First day replayed (YYYY-MM-DD; default: 90 days before --until).")
@click.option("--until", help="Last day replayed (YYYY-MM-DD; default: today in Pakistan time).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def backtest_cmd(app: AppContext, since: str | None, until: str | None, as_json: bool) -> None:
    """Replay stored incidents day by day and list what would have fired when (writes nothing)."""
    from monitor.storage import spikes as store

    end = _date(until) or store.local_today(dt.datetime.now(dt.UTC))
    start = _date(since) or end - dt.timedelta(days=90)
    if start > end:
        raise click.BadParameter("--since is after --until")
    with app.database().reader() as s:
        events = store.backtest(s, app.settings, start, end)
    if as_json:
        out = [{**asdict(e), "day": e.day.isoformat(), "expected": round(e.expected, 3)} for e in events]
        click.echo(
            json.dumps({"since": start.isoformat(), "until": end.isoformat(), "events": out}, indent=1)
        )
        return
    click.echo(f"backtest {start} .. {end}: {len(events)} event(s)")
    for e in events:
        click.echo(
            f"{e.day}  {e.kind:<6}  level {e.level}  {_clean(e.series_key):<40}  "
            f"count {e.count}  expected {e.expected:.2f}"
        )


@spikes_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--series", "series_key", default=None, help="Only this series (e.g. city:pk/karachi).")
@pass_app
def list_cmd(app: AppContext, limit: int, series_key: str | None) -> None:
    """Stored spike episodes, newest first."""
    from monitor.storage import spikes as store

    with app.database().reader() as s:
        rows = store.list_episodes(s, limit=limit, series_key=series_key)
    if not rows:
        click.echo("no spike episodes")
        return
    for r in rows:
        ended = r.ended_on.isoformat() if r.ended_on else "-"
        click.echo(
            f"#{r.id}  {r.status:<6}  {_clean(r.series_key):<40}  {r.started_on} .. {ended}  "
            f"level {r.level}  peak {r.peak_count} (expected {r.peak_expected:.2f})  total {r.total_count}"
        )


COMMANDS = (spikes_group,)
