"""Storage for the alert commands: the outbox as rows a person reads, re-queueing dead deliveries, and
silences. Takes a Session, never commits; returns plain dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.rules import SILENCE_FIELDS
from monitor.errors import InputError
from monitor.storage.models import Alert, AlertDelivery, Silence

STATUSES = ("pending", "sending", "sent", "dead", "silenced")


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    alert_id: int
    alert_key: str
    kind: str
    subject: str
    channel: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str | None
    created_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, dt.datetime):
                data[key] = value.isoformat()
        return data


def list_deliveries(session: Session, status: str | None = None, limit: int = 100) -> list[DeliveryRow]:
    query = (
        select(AlertDelivery, Alert)
        .join(Alert, Alert.id == AlertDelivery.alert_id)
        .order_by(AlertDelivery.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(AlertDelivery.status == status)
    return [_delivery_row(d, a) for d, a in session.execute(query).all()]


def _delivery_row(d: AlertDelivery, a: Alert) -> DeliveryRow:
    return DeliveryRow(
        id=d.id,
        alert_id=a.id,
        alert_key=a.key,
        kind=a.kind,
        subject=a.subject,
        channel=d.channel,
        recipient=d.recipient,
        status=d.status,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        sent_at=d.sent_at,
        last_error=d.last_error,
        created_at=a.created_at,
    )


def requeue(session: Session, delivery_id: int, now: dt.datetime) -> DeliveryRow:
    """Put a dead (or silenced) delivery back in the queue, due now, with a fresh attempt count."""
    row = session.get(AlertDelivery, delivery_id)
    if row is None:
        raise InputError(f"no delivery with id {delivery_id}")
    if row.status not in ("dead", "silenced"):
        raise InputError(f"delivery {delivery_id} is {row.status}; only dead or silenced ones are re-queued")
    row.last_error = (
        f"re-queued by hand at {now.isoformat(timespec='seconds')}; before: {row.last_error or ''}"
    )
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_at = None
    session.flush()
    alert = session.get(Alert, row.alert_id)
    assert alert is not None  # foreign key
    return _delivery_row(row, alert)


def alert_id_for_key(session: Session, key: str) -> int | None:
    return session.scalar(select(Alert.id).where(Alert.key == key))


def abandon(session: Session, delivery_id: int, note: str) -> None:
    """Mark a delivery dead without sending (a test message whose channel is not configured)."""
    row = session.get(AlertDelivery, delivery_id)
    if row is not None and row.status == "pending":
        row.status = "dead"
        row.last_error = note


@dataclass(frozen=True)
class SilenceRow:
    id: int
    field: str
    value: str
    until: dt.datetime
    reason: str
    created_by: str
    created_at: dt.datetime

    def active(self, now: dt.datetime) -> bool:
        return self.until > now


def add_silence(
    session: Session,
    field: str,
    value: str,
    until: dt.datetime,
    now: dt.datetime,
    reason: str = "",
    created_by: str = "",
) -> SilenceRow:
    if field not in SILENCE_FIELDS:
        raise InputError(f"silence field {field!r}: expected one of {', '.join(SILENCE_FIELDS)}")
    value = value.strip()
    if not value:
        raise InputError("a silence needs a value")
    if until <= now:
        raise InputError(f"silence end {until.isoformat()} is not in the future")
    row = Silence(
        field=field, value=value[:256], until=until, reason=reason, created_by=created_by, created_at=now
    )
    session.add(row)
    session.flush()
    return _silence_row(row)


def _silence_row(row: Silence) -> SilenceRow:
    return SilenceRow(row.id, row.field, row.value, row.until, row.reason, row.created_by, row.created_at)


def list_silences(session: Session, now: dt.datetime, include_expired: bool = False) -> list[SilenceRow]:
    query = select(Silence).order_by(Silence.until)
    if not include_expired:
        query = query.where(Silence.until > now)
    return [_silence_row(r) for r in session.scalars(query)]


def remove_silence(session: Session, silence_id: int) -> bool:
    row = session.get(Silence, silence_id)
    if row is None:
        return False
    session.delete(row)
    return True
