"""Spike episodes from day-by-day alarms: one per wave, with start, a few escalations and an end."""

from __future__ import annotations

import datetime as dt

from monitor.spikes.episodes import Day, EpisodeRules, replay, step

D0 = dt.date(2026, 3, 2)


def days(counts: list[int], alarms: str, expected: float = 1.0) -> list[Day]:
    assert len(counts) == len(alarms)
    return [
        Day(D0 + dt.timedelta(days=i), c, expected, a == "x")
        for i, (c, a) in enumerate(zip(counts, alarms, strict=True))
    ]


def kinds(eps: list) -> list[tuple[str, int, int]]:
    return [(t.kind, (t.day - D0).days, t.level) for ep in eps for t in ep.transitions]


def test_quiet_days_make_no_episode() -> None:
    assert replay(days([1, 0, 2, 1], "....")) == []


def test_one_wave_with_gaps_is_one_episode_that_ends_after_quiet_days() -> None:
    counts = [1, 5, 4, 1, 5, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    alarms = ".xx.x.........."
    eps = replay(days(counts, alarms))
    assert len(eps) == 1
    ep = eps[0]
    assert (ep.started_on - D0).days == 1
    assert (ep.last_alarm_on - D0).days == 4
    assert ep.ended_on == D0 + dt.timedelta(days=4 + 7)
    assert kinds(eps) == [("start", 1, 1), ("end", 11, 1)]
    assert ep.peak_count == 5
    assert ep.total_count == sum(counts[1:12])


def test_two_waves_far_apart_are_two_episodes() -> None:
    alarms = ".x" + "." * 10 + "x" + "." * 8
    eps = replay(days([3] * len(alarms), alarms))
    assert [(e.started_on - D0).days for e in eps] == [1, 12]
    assert eps[0].ended_on is not None and eps[1].ended_on is not None


def test_growing_wave_escalates_a_few_times_not_every_day() -> None:
    counts = [0, 4, 5, 6, 7, 9, 12, 13, 15, 19, 24, 26, 28]
    alarms = ".xxxxxxxxxxxx"
    eps = replay(days(counts, alarms))
    assert len(eps) == 1
    growth = [t for t in eps[0].transitions if t.kind == "growth"]
    assert 2 <= len(growth) <= 5  # 12 alarm days, a handful of escalations
    assert [t.level for t in growth] == list(range(2, 2 + len(growth)))
    assert eps[0].level == 1 + len(growth)
    assert eps[0].is_open


def test_a_flat_wave_escalates_only_as_its_toll_piles_up() -> None:
    eps = replay(days([0] + [5] * 6, ".xxxxxx"))
    # excess 4/day: tripled by day 3, not tripled again by day 6
    assert kinds(eps) == [("start", 1, 1), ("growth", 3, 2)]


def test_step_reports_each_transition_once() -> None:
    rules = EpisodeRules(quiet_days=2)
    ep, tr = step(None, Day(D0, 4, 1.0, True), rules)
    assert tr is not None and tr.kind == "start" and ep is not None
    ep, tr = step(ep, Day(D0 + dt.timedelta(days=1), 1, 1.0, False), rules)
    assert tr is None
    ep, tr = step(ep, Day(D0 + dt.timedelta(days=2), 1, 1.0, False), rules)
    assert tr is not None and tr.kind == "end" and ep is not None and not ep.is_open
    ep, tr = step(ep, Day(D0 + dt.timedelta(days=3), 1, 1.0, False), rules)
    assert ep is None and tr is None
