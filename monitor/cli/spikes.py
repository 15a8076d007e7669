"""`monitor spikes detect-csv|backtest|list`: the spike detector from the command line.

``detect-csv`` is the detector contract of the spike benchmark (CSV in, CSV on stdout); ``backtest``
replays stored incident history day by day without writing anything; ``list`` shows stored episodes.
"""

from __future__ import annotations

import sys
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


COMMANDS = (spikes_group,)
