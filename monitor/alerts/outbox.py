"""The outbox: alert rows and their deliveries, written in the caller's transaction.

Storage only: every function takes a Session and never commits, so a spike alert is committed together
with the spike decision that caused it, or not at all. Delivery (the network) is ``delivery.py``.

Rules:
- one ``alerts`` row per key; the same key twice adds nothing (idempotent, also under a concurrent writer:
  the insert runs in a savepoint and a unique-key collision means "already there");
- one ``alert_deliveries`` row per channel and recipient (email: each recipient; Slack: one);
- an alert matching an active silence is still written, with its deliveries ``silenced`` (visible);
- a still-open episode whose content did not change is never re-alerted; a change at the same level
  (new incidents, a higher count) is alerted at most once per ``alerts.repeat_interval_hours``; a higher
  level always is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.alerts import content, digest, digest_render, render, rules
from monitor.config import Settings
from monitor.storage.models import Alert, AlertDelivery, Silence, SpikeEpisode

CHANNELS = ("email", "slack")


class SpikeChange(Protocol):
    """What the spike detector reports (``monitor.storage.spikes.EpisodeChange``)."""

    episode_id: int
    series_key: str
    kind: str  # start, growth, end
    level: int
    count: int
    expected: float


def targets(settings: Settings, channel: str | None = None) -> list[tuple[str, str]]:
    """(channel, recipient) pairs the settings ask for; Slack's recipient is the empty string."""
    found: list[tuple[str, str]] = []
    if settings.email.enabled and channel in (None, "email"):
        found += [("email", r) for r in dict.fromkeys(settings.email.recipients)]
    if settings.slack.enabled and channel in (None, "slack"):
        found.append(("slack", ""))
    return found


def active_silences(session: Session, now: dt.datetime) -> list[rules.SilenceRule]:
    rows = session.scalars(select(Silence).where(Silence.until > now).order_by(Silence.id)).all()
    return [rules.SilenceRule(r.id, r.field, r.value, r.until, r.reason) for r in rows]


def silence_note(rule: rules.SilenceRule) -> str:
    return f"silenced by silence #{rule.id} ({rule.field}={rule.value!r}) until {rule.until.isoformat()}"


def _insert_alert(
    session: Session,
    *,
    key: str,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    now: dt.datetime,
    deliveries: Iterable[tuple[str, str]],
    episode_id: int | None = None,
    silenced_by: rules.SilenceRule | None = None,
) -> Alert | None:
    """Insert the alert and its deliveries in a savepoint; None when the key is already taken."""
    if session.scalar(select(Alert.id).where(Alert.key == key)) is not None:
        return None
    try:
        with session.begin_nested():
            alert = Alert(
                key=key, kind=kind, episode_id=episode_id, subject=subject, payload=payload, created_at=now
            )
            session.add(alert)
            session.flush()
            for channel, recipient in deliveries:
                session.add(
                    AlertDelivery(
                        alert_id=alert.id,
                        channel=channel,
                        recipient=recipient,
                        status="silenced" if silenced_by else "pending",
                        attempts=0,
                        next_attempt_at=now,
                        last_error=silence_note(silenced_by) if silenced_by else None,
                    )
                )
            session.flush()
    except IntegrityError:
        return None  # a concurrent writer inserted the same key first
    return alert


def _last_episode_alert(session: Session, episode_id: int) -> Alert | None:
    return session.scalars(
        select(Alert)
        .where(Alert.episode_id == episode_id, Alert.kind.in_(("spike_start", "spike_growth")))
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .limit(1)
    ).first()


def enqueue_spike_alert(
    session: Session, change: SpikeChange, settings: Settings, now: dt.datetime
) -> Alert | None:
    """Write the alert for a spike 'start' or 'growth' (None for 'end', a repeat, or a known key)."""
    if change.kind not in ("start", "growth"):
        return None
    episode = session.get(SpikeEpisode, change.episode_id)
    if episode is None:
        return None
    incidents = content.episode_incidents(session, episode, now)
    level = int(change.level)
    fingerprint = rules.fingerprint(
        {"level": level, "count": int(change.count), "incidents": sorted(i.id for i in incidents)}
    )
    key = rules.spike_key(episode.series_key, episode.started_on, level)
    existing = session.scalars(select(Alert).where(Alert.key == key)).first()
    if existing is not None:
        last = _last_episode_alert(session, episode.id) or existing
        if (last.payload or {}).get("fingerprint") == fingerprint:
            return None  # nothing new to say
        if now - last.created_at < dt.timedelta(hours=settings.alerts.repeat_interval_hours):
            return None  # changed, but we spoke recently: wait for the repeat interval
        key = f"{key}:{fingerprint[:8]}"
    payload: dict[str, Any] = {
        "kind": "spike_start" if change.kind == "start" else "spike_growth",
        "episode_id": episode.id,
        "series_key": episode.series_key,
        "series_label": episode.series_label or episode.series_key,
        "started_on": episode.started_on.isoformat(),
        "level": level,
        "count": int(change.count),
        "expected": float(change.expected),
        "incident_total": len(incidents),
        "incidents": content.incidents_payload(session, incidents),
        "fingerprint": fingerprint,
        "thread_key": rules.spike_key(episode.series_key, episode.started_on, 1),
    }
    silence = rules.first_matching_silence(
        active_silences(session, now), rules.facts_from_payload(payload), now
    )
    return _insert_alert(
        session,
        key=key,
        kind=payload["kind"],
        subject=render.spike_subject(payload),
        payload=payload,
        now=now,
        deliveries=targets(settings),
        episode_id=episode.id,
        silenced_by=silence,
    )


def enqueue_digest(session: Session, settings: Settings, week: str, now: dt.datetime) -> Alert | None:
    """The digest of ISO ``week`` for each digest recipient; None when that week's digest exists."""
    key = rules.digest_key(week)
    if session.scalar(select(Alert.id).where(Alert.key == key)) is not None:
        return None
    payload = digest.collect_week(session, settings, week, now)
    recipients = settings.digest.recipients or settings.email.recipients
    return _insert_alert(
        session,
        key=key,
        kind="digest",
        subject=digest_render.digest_subject(payload),
        payload=payload,
        now=now,
        deliveries=[("email", r) for r in dict.fromkeys(recipients)],
    )


def enqueue_test(session: Session, settings: Settings, now: dt.datetime, channel: str | None = None) -> Alert:
    """A test message on the configured channels (or one of them), to be delivered right away."""
    key = f"test:{now.strftime('%Y%m%dT%H%M%S')}:{uuid.uuid4().hex[:8]}"
    payload = {
        "text": "This is a test message from the Karachi monitor: if you can read it, alerts on this "
        f"channel reach you. Sent at {now.isoformat(timespec='seconds')}.",
    }
    alert = _insert_alert(
        session,
        key=key,
        kind="test",
        subject=f"{render.PREFIX} Test message",
        payload=payload,
        now=now,
        deliveries=targets(settings, channel),
    )
    assert alert is not None  # the key is fresh
    return alert


def enqueue_dead_letter(
    session: Session, settings: Settings, delivery: AlertDelivery, alert: Alert, now: dt.datetime
) -> Alert | None:
    """Report a dead delivery on the OTHER channels (a broken Slack is told by email and vice versa).

    Dead letters of tests and of dead-letter reports are not reported again (no loops); the dead row
    itself stays visible in `monitor alerts list --status dead` either way.
    """
    if alert.kind in ("test", "dead_letter"):
        return None
    others = [(c, r) for c, r in targets(settings) if c != delivery.channel]
    if not others:
        return None
    payload = {
        "delivery_id": delivery.id,
        "failed_key": alert.key,
        "failed_subject": alert.subject,
        "channel": delivery.channel,
        "recipient": delivery.recipient,
        "attempts": delivery.attempts,
        "error": delivery.last_error or "",
    }
    target = delivery.recipient or "the Slack webhook"
    return _insert_alert(
        session,
        key=f"dead:{delivery.id}:{now.strftime('%Y%m%dT%H%M%S%f')}",
        kind="dead_letter",
        subject=f"{render.PREFIX} Undeliverable alert on {delivery.channel} ({target})",
        payload=payload,
        now=now,
        deliveries=others,
    )
