"""The weekly digest's figures for one ISO week, read from the database (storage: takes a Session,
never commits). Rendering is ``digest_render``; enqueueing is ``outbox.enqueue_digest``.

The week runs Monday 00:00 to Monday 00:00 in ``settings.digest.timezone``: incidents by their date,
reviews by when they were made. The result is a JSON-ready dict: it is stored as the alert's payload,
so a re-send says exactly what the first send said.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.alerts import content
from monitor.config import Settings
from monitor.errors import InputError
from monitor.storage.models import Feed, Incident, Review, SpikeEpisode

TOP = 10


def parse_week(week: str) -> dt.date:
    """The Monday of ISO week ``YYYY-Www``."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", week.strip())
    if not match:
        raise InputError(f"week {week!r}: expected an ISO week such as 2026-W47")
    try:
        return dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError as exc:
        raise InputError(f"week {week!r}: {exc}") from exc


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def previous_week(now: dt.datetime, timezone: str) -> str:
    """The last complete ISO week before ``now`` in ``timezone``."""
    return iso_week(now.astimezone(ZoneInfo(timezone)).date() - dt.timedelta(days=7))


def week_bounds(week: str, timezone: str) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """(Monday, start, end) with start and end in UTC."""
    monday = parse_week(week)
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(monday, dt.time(0), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), zone).astimezone(dt.UTC)
    return monday, start, end


def collect_week(session: Session, settings: Settings, week: str, now: dt.datetime) -> dict[str, Any]:
    monday, start, end = week_bounds(week, settings.digest.timezone)
    sunday = monday + dt.timedelta(days=6)
    incidents = session.scalars(
        select(Incident)
        .where(Incident.occurred_on >= monday, Incident.occurred_on <= sunday)
        .where(Incident.status == "active")
        .order_by(Incident.occurred_on, Incident.id)
    ).all()

    per_day = []
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        todays = [i for i in incidents if i.occurred_on == day]
        per_day.append(
            {
                "date": day.isoformat(),
                "weekday": day.strftime("%a"),
                "count": len(todays),
                "deaths": sum(i.deaths or 0 for i in todays),
            }
        )
    places = Counter(i.place_name or i.city or "place unknown" for i in incidents)
    groups = Counter(i.victim_group or "not stated" for i in incidents)
    largest = sorted(
        incidents, key=lambda i: (i.deaths or 0, i.outlet_count, i.article_count, i.id), reverse=True
    )[:TOP]

    episodes = session.scalars(
        select(SpikeEpisode)
        .where(SpikeEpisode.started_on <= sunday)
        .where((SpikeEpisode.ended_on.is_(None)) | (SpikeEpisode.ended_on >= monday))
        .order_by(SpikeEpisode.started_on, SpikeEpisode.id)
    ).all()
    reviews = dict(
        session.execute(
            select(Review.verdict, func.count())
            .where(Review.created_at >= start, Review.created_at < end)
            .group_by(Review.verdict)
        ).all()
    )
    failing = session.scalars(
        select(Feed)
        .where(Feed.consecutive_failures > 0)
        .order_by(Feed.consecutive_failures.desc(), Feed.id)
        .limit(25)
    ).all()
    return {
        "week": week,
        "timezone": settings.digest.timezone,
        "first_day": monday.isoformat(),
        "last_day": sunday.isoformat(),
        "generated_at": now.isoformat(timespec="seconds"),
        "totals": {
            "incidents": len(incidents),
            "deaths": sum(i.deaths or 0 for i in incidents),
            "injured": sum(i.injured or 0 for i in incidents),
        },
        "per_day": per_day,
        "top_places": [[name, n] for name, n in places.most_common(TOP)],
        "victim_groups": [[name, n] for name, n in groups.most_common(TOP)],
        "largest": content.incidents_payload(session, list(largest)),
        "spikes": [
            {
                "series_key": e.series_key,
                "series_label": e.series_label or e.series_key,
                "started_on": e.started_on.isoformat(),
                "ended_on": e.ended_on.isoformat() if e.ended_on else None,
                "level": e.level,
                "peak_count": e.peak_count,
                "peak_expected": e.peak_expected,
                "status": e.status,
            }
            for e in episodes
        ],
        "reviews": {v: int(reviews.get(v, 0)) for v in ("confirmed", "rejected", "unsure")},
        "failing_feeds": [
            {
                "title": f.title,
                "url": f.url,
                "failures": f.consecutive_failures,
                "error": f.last_error_message or f.last_error_kind or "",
                "last_success_at": f.last_success_at.isoformat() if f.last_success_at else None,
            }
            for f in failing
        ],
    }


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def week_due(now: dt.datetime, weekday: str, at: str, timezone: str) -> str | None:
    """The ISO week whose digest is due at ``now``: the previous week, once this week's scheduled
    moment (``weekday`` at ``at`` in ``timezone``) has passed; None before it.

    Running this every few minutes is safe: the digest's key makes each week's send happen once, and a
    scheduler that was down at the scheduled moment still sends it when it comes back that week.
    """
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    monday = local.date() - dt.timedelta(days=local.weekday())
    hour, minute = (int(part) for part in at.split(":"))
    moment = dt.datetime.combine(
        monday + dt.timedelta(days=WEEKDAYS.index(weekday)), dt.time(hour, minute), zone
    )
    if local < moment:
        return None
    return iso_week(monday - dt.timedelta(days=7))
