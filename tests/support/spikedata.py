"""Stored incidents for spike tests: a quiet history in two Karachi towns and one four-day wave."""

from __future__ import annotations

import datetime as dt

import numpy as np

from monitor.storage.db import Database
from monitor.storage.models import Incident

BURST = dt.date(2026, 6, 10)  # first day of the wave
WAVE = [8, 12, 18, 27]  # Orangi Town incidents on the wave's days (usually ~1.2 a day)
TOWN = "town:pk/karachi/orangi-town"


def noon_pkt(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 7, 0, tzinfo=dt.UTC)  # 12:00 in Karachi


def fill(db: Database, days: int = 240, after: int = 20) -> None:
    """A quiet history for two Karachi towns, a four-day wave in one, then quiet days again."""
    rng = np.random.default_rng(42)
    first = BURST - dt.timedelta(days=days)
    rows = []
    for i in range(days + after):
        day = first + dt.timedelta(days=i)
        k = (day - BURST).days
        orangi = WAVE[k] if 0 <= k < len(WAVE) else int(rng.poisson(1.2))
        for key, n in (("pk/karachi/orangi-town", orangi), ("pk/karachi/lyari", int(rng.poisson(0.8)))):
            for _ in range(n):
                rows.append(
                    Incident(
                        title="Man shot dead",
                        occurred_on=day,
                        place_key=key,
                        place_precision="town",
                        city="Karachi",
                        status="active",
                        first_reported_at=noon_pkt(day),
                        last_updated_at=noon_pkt(day),
                    )
                )
    with db.transaction() as s:
        s.add_all(rows)
