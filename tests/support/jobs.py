"""Job functions for the scheduler tests; kept in a light module so job processes start fast.

Each one records what it did in ``notes.log`` under ``settings.data_dir`` (one line per event, ending
with the job process's pid), so a test can see which runs started, finished or were cut short.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from monitor import jobs as jobsmod
from monitor.config import Settings
from monitor.storage.db import Database


def note(settings: Settings, text: str) -> None:
    with (settings.data_dir / "notes.log").open("a", encoding="utf-8") as f:
        f.write(f"{text} {os.getpid()}\n")


def notes(settings: Settings) -> list[str]:
    path = settings.data_dir / "notes.log"
    return path.read_text(encoding="utf-8").split("\n")[:-1] if path.exists() else []


def short_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    deadline = jobsmod.job_deadline()
    note(settings, f"start {deadline.isoformat() if deadline else None}")
    time.sleep(0.8)
    note(settings, "end")


def hanging_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    note(settings, "start")
    time.sleep(600)
    note(settings, "end")


def failing_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    raise ValueError("boom")


def hang_once_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    """Hangs on its first run only (until stopped); later runs return at once."""
    first = not notes(settings)
    note(settings, "start")
    if first:
        time.sleep(600)
    note(settings, "end")
