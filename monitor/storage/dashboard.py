"""Read-only queries for the web app's overview pages (dashboard, feeds, alerts). Never commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.storage.models import Alert, AlertDelivery, Article, Feed, Incident, Silence, SpikeEpisode


def incidents_per_day(session: Session, start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    rows = session.execute(
        select(Incident.occurred_on, func.count())
        .where(Incident.status == "active", Incident.occurred_on >= start, Incident.occurred_on <= end)
        .group_by(Incident.occurred_on)
        .order_by(Incident.occurred_on)
    ).all()
    return [(day, int(n)) for day, n in rows]


def spike_spans(session: Session, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, str]]:
    rows = session.execute(
        select(SpikeEpisode).where(
            SpikeEpisode.started_on <= end,
            (SpikeEpisode.ended_on.is_(None)) | (SpikeEpisode.ended_on >= start),
        )
    ).scalars()
    spans = []
    for ep in rows:
        label = f"{ep.series_label or ep.series_key}: from {ep.started_on}, peak {ep.peak_count}"
        spans.append((ep.started_on, ep.ended_on or end, label))
    return spans


@dataclass(frozen=True)
class Overview:
    feeds: int
    feeds_failing: int
    articles: int
    flagged: int
    queued: int
    incidents: int
    open_spikes: int
    pending_alerts: int
    dead_alerts: int


def overview(session: Session) -> Overview:
    """One aggregate query per table (conditional counts), not one query per number."""
    articles, flagged, queued = session.execute(
        select(
            func.count(),
            func.count().filter(Article.flagged.is_(True)),
            func.count().filter(Article.classified_at.is_(None)),
        ).select_from(Article)
    ).one()
    feeds, failing = session.execute(
        select(func.count(), func.count().filter(Feed.consecutive_failures > 0)).select_from(Feed)
    ).one()
    pending, dead = session.execute(
        select(
            func.count().filter(AlertDelivery.status.in_(("pending", "sending"))),
            func.count().filter(AlertDelivery.status == "dead"),
        ).select_from(AlertDelivery)
    ).one()
    incidents = session.scalar(select(func.count()).select_from(Incident).where(Incident.status == "active"))
    open_spikes = session.scalar(
        select(func.count()).select_from(SpikeEpisode).where(SpikeEpisode.status == "open")
    )
    return Overview(
        feeds=int(feeds),
        feeds_failing=int(failing),
        articles=int(articles),
        flagged=int(flagged),
        queued=int(queued),
        incidents=int(incidents or 0),
        open_spikes=int(open_spikes or 0),
        pending_alerts=int(pending),
        dead_alerts=int(dead),
    )


def feeds_health(session: Session) -> list[Feed]:
    feeds = list(
        session.scalars(select(Feed).order_by(Feed.consecutive_failures.desc(), Feed.title, Feed.url))
    )
    for feed in feeds:
        session.expunge(feed)
    return feeds


def recent_alerts(session: Session, limit: int = 100) -> list[tuple[Alert, list[AlertDelivery]]]:
    alerts = list(
        session.scalars(select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit))
    )
    ids = [a.id for a in alerts]
    deliveries: dict[int, list[AlertDelivery]] = {}
    if ids:
        for d in session.scalars(select(AlertDelivery).where(AlertDelivery.alert_id.in_(ids))):
            deliveries.setdefault(d.alert_id, []).append(d)
    return [(a, deliveries.get(a.id, [])) for a in alerts]


def silences(session: Session) -> list[Silence]:
    return list(session.scalars(select(Silence).order_by(Silence.until.desc())))


def add_silence(
    session: Session, field: str, value: str, until: dt.datetime, reason: str, by: str, now: dt.datetime
) -> int:
    if field not in ("place", "victim_group", "keyword"):
        raise ValueError("field must be place, victim_group or keyword")
    if not value.strip():
        raise ValueError("a silence needs a value")
    if until <= now:
        raise ValueError("a silence must end in the future")
    silence = Silence(
        field=field,
        value=value.strip()[:256],
        until=until,
        reason=reason[:1000],
        created_by=by,
        created_at=now,
    )
    session.add(silence)
    session.flush()
    return silence.id


def remove_silence(session: Session, silence_id: int) -> bool:
    silence = session.get(Silence, silence_id)
    if silence is None:
        return False
    session.delete(silence)
    return True
