"""Spike detection over the stored incidents: daily series -> detector -> episodes in ``spike_episodes``.

Days are calendar days in Pakistan time (PKT, UTC+5, no daylight saving): incidents are dated by
``occurred_on`` (the local date the killing happened), and "today" is ``now`` converted to PKT. Today's
count is still growing while it is evaluated; that can only delay an alarm, never raise a false one.

- :func:`evaluate_series`: run the detector over a date range of each series (pure given the counts).
- :func:`detect_spikes`: the job function. Re-derives the episodes of the last ``LOOKBACK_DAYS`` from the
  counts, reconciles them with the stored rows (insert / raise level / close) and returns what changed.
  Idempotent: a second run on the same data changes nothing and returns nothing. It never commits; the
  caller (``monitor.alerts.jobs.spike_alert_job``) enqueues the alerts in the same transaction.
- :func:`list_episodes`: stored episodes, newest first.

It does not write alerts, and it never deletes an episode (a wave once announced stays on record).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Settings
from monitor.spikes.detector import DetectorParams, detect
from monitor.spikes.episodes import Day, Episode, EpisodeRules, replay
from monitor.storage.incidents import daily_incident_counts
from monitor.storage.models import SpikeEpisode

PKT = dt.timezone(dt.timedelta(hours=5), "PKT")
#: Days re-evaluated on every run; waves that started earlier and are still open are followed anyway.
LOOKBACK_DAYS = 42


@dataclass(frozen=True)
class EpisodeChange:
    """One thing that happened to an episode in this run (what the alerts are made from)."""

    episode_id: int
    series_key: str
    kind: Literal["start", "growth", "end"]
    level: int
    count: int
    expected: float
    day: dt.date


@dataclass(frozen=True)
class StoredEpisode:
    id: int
    series_key: str
    series_label: str
    started_on: dt.date
    last_alarm_on: dt.date
    ended_on: dt.date | None
    level: int
    peak_count: int
    peak_expected: float
    total_count: int
    status: str


def local_today(now: dt.datetime) -> dt.date:
    return now.astimezone(PKT).date()


def params_from(settings: Settings) -> DetectorParams:
    return DetectorParams(
        false_alarm_rate=settings.spikes.false_alarm_rate, history=settings.spikes.history_days
    )


def series_label(key: str) -> str:
    """ "town:pk/karachi/orangi-town" -> "Orangi Town"; "all" -> "All places"."""
    if key == "all":
        return "All places"
    return key.split(":", 1)[-1].rsplit("/", 1)[-1].replace("-", " ").title()


def load_counts(
    session: Session, settings: Settings, start: dt.date, end: dt.date
) -> dict[str, list[tuple[dt.date, int]]]:
    """Daily incident counts per series: overall, and per place level when ``spikes.per_place``."""
    out = daily_incident_counts(session, start, end, "all")
    if settings.spikes.per_place:
        for level in settings.spikes.place_levels:
            out.update(daily_incident_counts(session, start, end, level))
    return out


def evaluate_series(
    counts: dict[str, list[tuple[dt.date, int]]],
    first: dt.date,
    params: DetectorParams,
    observed_from: dt.date | None = None,
) -> dict[str, list[Day]]:
    """Detector output for every day from ``first`` to the last day of the counts, per series.

    All series must cover the same days (as :func:`load_counts` returns them). The alarm of a day uses
    that day's and earlier counts only. Days before ``observed_from`` (when monitoring began) are not
    observed: their zeros are not a quiet baseline, so a new installation does not alarm on its first
    incidents.
    """
    if not counts:
        return {}
    keys = sorted(counts)
    days = [d for d, _ in counts[keys[0]]]
    if not days or first > days[-1]:
        return {k: [] for k in keys}
    # the detector's grid starts on a Monday (its weekday effects are indexed from there)
    pad = days[0].weekday()
    grid_start = days[0] - dt.timedelta(days=pad)
    n = pad + len(days)
    y = np.zeros((len(keys), n))
    observed = np.zeros((len(keys), n), dtype=bool)
    for k, key in enumerate(keys):
        y[k, pad:] = [c for _, c in counts[key]]
        observed[k, pad:] = True
    if observed_from is not None:
        observed[:, : pad + max((observed_from - days[0]).days, 0)] = False
    lo = max((first - grid_start).days, 0)
    eval_idx = np.arange(lo, n, dtype=np.int64)
    expected = np.zeros((len(keys), len(eval_idx)))
    alarm = np.zeros((len(keys), len(eval_idx)), dtype=bool)
    # a series that never had min_count incidents on one day cannot alarm: skip the fit (the common
    # case for most places, and for a new installation)
    active = (y[:, lo:] >= params.min_count).any(1)
    if active.any():
        det = detect(y[active], eval_idx, params, freq=365, observed=observed[active])
        expected[active] = np.nan_to_num(det.expected)
        alarm[active] = det.alarm
    out: dict[str, list[Day]] = {}
    for k, key in enumerate(keys):
        out[key] = [
            Day(
                day=grid_start + dt.timedelta(days=int(i)),
                count=int(y[k, i]),
                expected=float(expected[k, e]),
                alarm=bool(alarm[k, e]),
            )
            for e, i in enumerate(eval_idx)
        ]
    return out


def _to_stored(row: SpikeEpisode) -> StoredEpisode:
    return StoredEpisode(
        id=row.id,
        series_key=row.series_key,
        series_label=row.series_label,
        started_on=row.started_on,
        last_alarm_on=row.last_alarm_on,
        ended_on=row.ended_on,
        level=row.level,
        peak_count=row.peak_count,
        peak_expected=row.peak_expected,
        total_count=row.total_count,
        status=row.status,
    )


def _details(ep: Episode) -> dict[str, object]:
    return {
        "transitions": [
            {
                "kind": t.kind,
                "day": t.day.isoformat(),
                "level": t.level,
                "count": t.count,
                "expected": round(t.expected, 3),
            }
            for t in ep.transitions
        ]
    }


def _apply(row: SpikeEpisode, ep: Episode, now: dt.datetime) -> None:
    """Bring a stored (open) episode up to the replayed one; touch updated_at only if something moved."""
    new = {
        "last_alarm_on": max(row.last_alarm_on, ep.last_alarm_on),
        "peak_count": max(row.peak_count, ep.peak_count),
        "peak_expected": ep.peak_expected if ep.peak_count >= row.peak_count else row.peak_expected,
        "total_count": max(row.total_count, ep.total_count),
        "level": max(row.level, ep.level),
        "details": _details(ep),
    }
    if ep.ended_on is not None:
        new["ended_on"], new["status"] = ep.ended_on, "closed"
    changed = False
    for name, value in new.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.updated_at = now


def monitoring_began(session: Session) -> dt.date | None:
    """The day the first feed was added: zero counts before it are not observations."""
    from monitor.storage.models import Feed

    added = session.scalar(select(func.min(Feed.added_at)))
    return local_today(added) if added is not None else None


def detect_spikes(session: Session, settings: Settings, now: dt.datetime) -> list[EpisodeChange]:
    """Run detection up to today (PKT) and bring ``spike_episodes`` up to date; return the changes."""
    params = params_from(settings)
    rules = EpisodeRules()
    today = local_today(now)
    open_rows = session.scalars(select(SpikeEpisode).where(SpikeEpisode.status == "open")).all()
    first = today - dt.timedelta(days=LOOKBACK_DAYS)
    if open_rows:
        first = min(first, *(r.started_on for r in open_rows))
    # enough history before the first evaluated day for a full fit window
    start = first - dt.timedelta(days=params.history + params.guard + 7)
    counts = load_counts(session, settings, start, today)
    evaluated = evaluate_series(counts, first, params, monitoring_began(session))
    changes: list[EpisodeChange] = []
    for key, days in evaluated.items():
        changes += _reconcile(session, key, replay(days, rules), days, now, rules)
    # open episodes of series that no longer appear at all (e.g. their incidents were dismissed)
    for row in open_rows:
        if row.series_key not in evaluated and (today - row.last_alarm_on).days >= rules.quiet_days:
            row.status, row.ended_on, row.updated_at = "closed", today, now
            changes.append(EpisodeChange(row.id, row.series_key, "end", row.level, 0, 0.0, today))
    session.flush()
    return changes


_FAR = dt.date.max


def _overlaps(row: SpikeEpisode, ep: Episode) -> bool:
    return ep.started_on <= (row.ended_on or _FAR) and row.started_on <= (ep.ended_on or _FAR)


def _reconcile(
    session: Session,
    key: str,
    episodes: list[Episode],
    days: list[Day],
    now: dt.datetime,
    rules: EpisodeRules,
) -> list[EpisodeChange]:
    """Match replayed episodes to stored rows of one series (same wave = overlapping dates) and update."""
    rows = list(
        session.scalars(
            select(SpikeEpisode).where(SpikeEpisode.series_key == key).order_by(SpikeEpisode.started_on)
        ).all()
    )
    changes: list[EpisodeChange] = []
    seen: set[int] = set()
    for ep in episodes:
        row = next((r for r in rows if _overlaps(r, ep)), None)
        if row is None:
            row = SpikeEpisode(
                series_key=key,
                series_label=series_label(key),
                started_on=ep.started_on,
                last_alarm_on=ep.last_alarm_on,
                ended_on=ep.ended_on,
                level=ep.level,
                peak_count=ep.peak_count,
                peak_expected=ep.peak_expected,
                total_count=ep.total_count,
                status="open" if ep.is_open else "closed",
                details=_details(ep),
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            rows.append(row)
            seen.add(row.id)
            if ep.is_open:  # a wave that came and went between two runs is recorded, not announced
                first = ep.transitions[0]
                changes.append(
                    EpisodeChange(row.id, key, "start", ep.level, first.count, first.expected, first.day)
                )
            continue
        seen.add(row.id)
        if row.status == "closed":
            continue  # a wave that is over stays as it was recorded
        grew = ep.level > row.level
        _apply(row, ep, now)
        if grew:
            g = next(t for t in reversed(ep.transitions) if t.kind in ("growth", "start"))
            changes.append(EpisodeChange(row.id, key, "growth", row.level, g.count, g.expected, g.day))
        if row.status == "closed":
            last = ep.transitions[-1]
            changes.append(EpisodeChange(row.id, key, "end", row.level, last.count, last.expected, last.day))
    # an open episode the replay no longer sees (late corrections removed its alarms): close it once quiet
    for row in rows:
        if row.status != "open" or row.id in seen or not days:
            continue
        if (days[-1].day - row.last_alarm_on).days >= rules.quiet_days:
            row.status, row.ended_on, row.updated_at = "closed", days[-1].day, now
            changes.append(
                EpisodeChange(row.id, key, "end", row.level, days[-1].count, days[-1].expected, days[-1].day)
            )
    return changes


def list_episodes(session: Session, limit: int = 50, series_key: str | None = None) -> list[StoredEpisode]:
    q = select(SpikeEpisode).order_by(SpikeEpisode.started_on.desc(), SpikeEpisode.id.desc()).limit(limit)
    if series_key is not None:
        q = q.where(SpikeEpisode.series_key == series_key)
    return [_to_stored(r) for r in session.scalars(q).all()]


@dataclass(frozen=True)
class BacktestEvent:
    day: dt.date
    series_key: str
    kind: str
    level: int
    count: int
    expected: float


def backtest(session: Session, settings: Settings, since: dt.date, until: dt.date) -> list[BacktestEvent]:
    """What detection would have reported each day from ``since`` to ``until``, had it run daily.

    Causal: each day's alarm uses the counts up to that day only (the detector never looks ahead), so
    replaying the whole range at once gives the same alarms as running day by day. Writes nothing.
    """
    params = params_from(settings)
    start = since - dt.timedelta(days=params.history + params.guard + 7)
    counts = load_counts(session, settings, start, until)
    evaluated = evaluate_series(counts, since, params, monitoring_began(session))
    events = [
        BacktestEvent(t.day, key, t.kind, t.level, t.count, t.expected)
        for key, days in evaluated.items()
        for ep in replay(days, EpisodeRules())
        for t in ep.transitions
    ]
    return sorted(events, key=lambda e: (e.day, e.series_key, e.kind != "end"))
