"""Spike episodes: turn one series' day-by-day alarms into waves with a start, escalations and an end.

One episode per wave: it STARTS on the first alarm, GROWS (level + 1) when the wave clearly escalates, and
ENDS after ``quiet_days`` days in a row without an alarm; alarms separated by fewer quiet days belong to
the same episode. Escalation is measured against the level reached so far, so a growing wave produces a
few escalation alerts, not one per day:

* the day's count reaches ``growth_factor`` x the peak count at the last level (and at least
  ``growth_min_step`` more), or
* the excess over the baseline accumulated since the start reaches ``growth_sum_factor`` x its value at
  the last level (and at least ``growth_min_step`` more) while the day alarms.

Pure: no I/O, no clock; the caller passes the days in order.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal["start", "growth", "end"]


@dataclass(frozen=True)
class EpisodeRules:
    quiet_days: int = 7
    growth_factor: float = 1.5
    growth_min_step: float = 2.0
    #: The accumulated excess must triple (a sustained wave escalates now and then, not daily).
    growth_sum_factor: float = 3.0


@dataclass(frozen=True)
class Day:
    """One evaluated day of one series."""

    day: dt.date
    count: int
    expected: float
    alarm: bool


@dataclass(frozen=True)
class Transition:
    kind: Kind
    day: dt.date
    level: int
    count: int
    expected: float


@dataclass
class Episode:
    """The state of one wave (open until ``ended_on`` is set)."""

    started_on: dt.date
    last_alarm_on: dt.date
    level: int = 1
    peak_count: int = 0
    peak_expected: float = 0.0
    total_count: int = 0
    excess: float = 0.0  # sum of (count - expected) since the start
    level_count: int = 0  # peak count when the current level was reached
    level_excess: float = 0.0  # accumulated excess when the current level was reached
    quiet: int = 0  # days in a row without an alarm
    ended_on: dt.date | None = None
    transitions: list[Transition] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.ended_on is None


def _grows(ep: Episode, d: Day, rules: EpisodeRules) -> bool:
    by_day = d.count >= max(
        math.ceil(rules.growth_factor * ep.level_count), ep.level_count + rules.growth_min_step
    )
    by_sum = d.alarm and ep.excess >= max(
        rules.growth_sum_factor * ep.level_excess, ep.level_excess + rules.growth_min_step
    )
    return by_day or by_sum


def step(
    ep: Episode | None, d: Day, rules: EpisodeRules = EpisodeRules()
) -> tuple[Episode | None, Transition | None]:
    """Advance one day. Returns the (possibly new) open episode, or None when none is open, and the
    transition of that day if any. An episode that ends is returned once with ``ended_on`` set."""
    if ep is None or not ep.is_open:
        if not d.alarm:
            return None, None
        ep = Episode(
            started_on=d.day,
            last_alarm_on=d.day,
            peak_count=d.count,
            peak_expected=d.expected,
            total_count=d.count,
            excess=d.count - d.expected,
            level_count=d.count,
            level_excess=max(d.count - d.expected, 0.0),
        )
        tr = Transition("start", d.day, 1, d.count, d.expected)
        ep.transitions.append(tr)
        return ep, tr
    ep = replace(ep, transitions=list(ep.transitions))
    ep.total_count += d.count
    ep.excess += d.count - d.expected
    if d.count > ep.peak_count:
        ep.peak_count, ep.peak_expected = d.count, d.expected
    if d.alarm:
        ep.last_alarm_on = d.day
        ep.quiet = 0
    else:
        ep.quiet += 1
        if ep.quiet >= rules.quiet_days:
            ep.ended_on = d.day
            tr = Transition("end", d.day, ep.level, d.count, d.expected)
            ep.transitions.append(tr)
            return ep, tr
        return ep, None
    if _grows(ep, d, rules):
        ep.level += 1
        ep.level_count = max(ep.level_count, d.count)
        ep.level_excess = max(ep.excess, 0.0)
        tr = Transition("growth", d.day, ep.level, d.count, d.expected)
        ep.transitions.append(tr)
        return ep, tr
    return ep, None


def replay(days: Iterable[Day], rules: EpisodeRules = EpisodeRules()) -> list[Episode]:
    """All episodes of a series over the given days (in date order); the last one may still be open."""
    out: list[Episode] = []
    ep: Episode | None = None
    for d in days:
        ep, tr = step(ep, d, rules)
        if tr is not None and tr.kind == "start":
            out.append(ep)  # type: ignore[arg-type]
        elif ep is not None and out:
            out[-1] = ep
    return out
