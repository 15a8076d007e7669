"""Spike detection over stored incidents (SQLite and PostgreSQL): episodes opened, raised, closed, once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from monitor.config import Settings
from monitor.storage.db import Database
from monitor.storage.models import SpikeEpisode
from monitor.storage.spikes import backtest, detect_spikes, evaluate_series, local_today
from tests.support.spikedata import BURST, TOWN, fill, noon_pkt


def episodes(db: Database) -> list[tuple[str, dt.date, dt.date | None, int, str]]:
    with db.reader() as s:
        rows = s.scalars(select(SpikeEpisode).order_by(SpikeEpisode.series_key, SpikeEpisode.started_on))
        return [(r.series_key, r.started_on, r.ended_on, r.level, r.status) for r in rows]


def run(db: Database, settings: Settings, day: dt.date) -> list[tuple[str, str, int]]:
    with db.transaction() as s:
        return sorted((c.series_key, c.kind, c.level) for c in detect_spikes(s, settings, noon_pkt(day)))


def test_wave_opens_grows_and_ends_one_episode_per_series_idempotently(
    db: Database, settings: Settings
) -> None:
    fill(db)
    before = run(db, settings, BURST - dt.timedelta(days=1))
    assert before == []
    assert episodes(db) == []

    started = run(db, settings, BURST)
    assert (TOWN, "start", 1) in started
    assert {k for k, kind, _ in started} <= {"all", "city:pk/karachi", TOWN}
    assert all(kind == "start" for _, kind, _ in started)
    stored = episodes(db)
    assert (TOWN, BURST, None, 1, "open") in stored
    # same data, same day: nothing changes and nothing is reported
    assert run(db, settings, BURST) == []
    assert episodes(db) == stored

    grown = run(db, settings, BURST + dt.timedelta(days=3))
    assert any(k == TOWN and kind == "growth" and level >= 2 for k, kind, level in grown)
    assert all(kind == "growth" for _, kind, _ in grown)
    assert run(db, settings, BURST + dt.timedelta(days=3)) == []

    ended = run(db, settings, BURST + dt.timedelta(days=15))
    assert (TOWN, "end") in {(k, kind) for k, kind, _ in ended}
    final = episodes(db)
    town = [e for e in final if e[0] == TOWN]
    assert len(town) == 1  # one wave, one episode
    assert town[0][4] == "closed" and town[0][2] is not None and town[0][3] >= 2
    assert all(e[4] == "closed" for e in final)
    assert run(db, settings, BURST + dt.timedelta(days=15)) == []
    assert episodes(db) == final


def test_a_first_run_after_the_wave_records_it_without_announcing(db: Database, settings: Settings) -> None:
    fill(db)
    assert run(db, settings, BURST + dt.timedelta(days=18)) == []
    town = [e for e in episodes(db) if e[0] == TOWN]
    assert len(town) == 1 and town[0][1] == BURST and town[0][4] == "closed"


def test_backtest_lists_what_would_have_fired_and_writes_nothing(db: Database, settings: Settings) -> None:
    fill(db)
    with db.reader() as s:
        events = backtest(s, settings, BURST - dt.timedelta(days=30), BURST + dt.timedelta(days=15))
    town = [(e.day, e.kind) for e in events if e.series_key == TOWN]
    assert town[0] == (BURST, "start")
    assert town[-1][1] == "end"
    assert [k for _, k in town].count("start") == 1
    assert episodes(db) == []


def test_evaluate_series_is_causal() -> None:
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(200)]
    rng = np.random.default_rng(3)
    counts = [int(c) for c in rng.poisson(2.0, size=200)]
    full = evaluate_series({"all": list(zip(days, counts, strict=True))}, days[150], _params())
    changed = counts[:170] + [50] * 30
    pert = evaluate_series({"all": list(zip(days, changed, strict=True))}, days[150], _params())
    assert full["all"][:20] == pert["all"][:20]
    assert pert["all"][25].alarm


def _params():  # type: ignore[no-untyped-def]
    from monitor.spikes.detector import DetectorParams

    return DetectorParams(false_alarm_rate=0.005, history=730)


@pytest.mark.parametrize(
    ("utc", "day"), [("2026-06-09T18:59", "2026-06-09"), ("2026-06-09T19:00", "2026-06-10")]
)
def test_today_is_the_date_in_pakistan(utc: str, day: str) -> None:
    now = dt.datetime.fromisoformat(utc).replace(tzinfo=dt.UTC)
    assert local_today(now) == dt.date.fromisoformat(day)
