"""The delivery loop: empties the outbox, one delivery at a time.

For each due delivery (``pending`` and ``next_attempt_at <= now``, or ``sending`` with a claim older than
``alerts.claim_lease_seconds``, which means its sender crashed)::

    transaction 1: re-check silences; claim it (status sending, claimed_at, attempts + 1), compare-and-set
    no transaction: render from the stored payload and send (SMTP or the Slack webhook)
    transaction 2: sent | pending with back-off (temporary) | dead + a report on the other channels

At-least-once: if the process dies between the send and transaction 2, the claim goes stale and the
message is sent again after the lease; that re-send is marked "possible duplicate" and counted. Nothing
marked sent is ever sent again. A channel that is disabled or lacks its settings is skipped, so its
deliveries wait in the outbox until it is configured. One claim at a time keeps the crash window to a
single message.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from monitor.alerts import outbox, render, rules
from monitor.alerts.email import SmtpSender, build_message
from monitor.alerts.slack import SlackSender, webhook_problem
from monitor.config import Settings
from monitor.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from monitor.storage.db import Database
from monitor.storage.models import Alert, AlertDelivery

log = logging.getLogger(__name__)

DUPLICATE_NOTE = "re-sent after an interrupted attempt (possible duplicate)"


@dataclass(frozen=True)
class Result:
    delivery_id: int
    alert_id: int
    channel: str
    recipient: str
    outcome: str  # sent, retry, dead, silenced
    answer: str


@dataclass
class Summary:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    silenced: int = 0
    #: Stale claims taken over from a crashed sender: each may be a duplicate of a message already sent.
    reclaimed: int = 0
    #: Channels skipped this pass because they are disabled or not configured.
    waiting_channels: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "dead": self.dead,
            "silenced": self.silenced,
            "reclaimed": self.reclaimed,
            "waiting_channels": self.waiting_channels,
        }


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    alert_id: int
    channel: str
    recipient: str
    attempts: int
    reclaimed: bool
    kind: str
    key: str
    subject: str
    payload: dict[str, Any]


def ready_channels(settings: Settings) -> tuple[list[str], list[str]]:
    """(channels we can send on now, channels whose deliveries must wait)."""
    ready: list[str] = []
    waiting: list[str] = []
    (ready if settings.email.enabled and settings.email.host else waiting).append("email")
    slack_url = settings.slack.webhook_url.get_secret_value() if settings.slack.webhook_url else None
    (ready if settings.slack.enabled and webhook_problem(slack_url) is None else waiting).append("slack")
    return ready, waiting


def _claim_next(
    session: Session,
    settings: Settings,
    now: dt.datetime,
    channels: list[str],
    skip: set[int],
    alert_id: int | None,
) -> tuple[_Claim | None, Result | None, bool]:
    """Claim one due delivery. Returns (claim, silenced-result, found-anything)."""
    stale = now - dt.timedelta(seconds=settings.alerts.claim_lease_seconds)
    query = (
        select(AlertDelivery)
        .where(
            or_(
                and_(AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= now),
                and_(AlertDelivery.status == "sending", AlertDelivery.claimed_at < stale),
            )
        )
        .where(AlertDelivery.channel.in_(channels))
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(1)
    )
    if skip:
        query = query.where(AlertDelivery.id.not_in(skip))
    if alert_id is not None:
        query = query.where(AlertDelivery.alert_id == alert_id)
    row = session.scalars(query).first()
    if row is None:
        return None, None, False
    skip.add(row.id)
    alert = session.get(Alert, row.alert_id)
    assert alert is not None  # foreign key
    if alert.kind in ("spike_start", "spike_growth"):
        rule = rules.first_matching_silence(
            outbox.active_silences(session, now), rules.facts_from_payload(alert.payload), now
        )
        if rule is not None:
            row.status = "silenced"
            row.last_error = outbox.silence_note(rule)
            result = Result(row.id, alert.id, row.channel, row.recipient, "silenced", row.last_error)
            return None, result, True
    # Compare-and-set on (status, attempts): of two senders that picked the same row, one wins.
    won = session.execute(
        update(AlertDelivery)
        .where(
            AlertDelivery.id == row.id,
            AlertDelivery.status == row.status,
            AlertDelivery.attempts == row.attempts,
        )
        .values(status="sending", claimed_at=now, attempts=row.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None, None, True
    claim = _Claim(
        delivery_id=row.id,
        alert_id=alert.id,
        channel=row.channel,
        recipient=row.recipient,
        attempts=row.attempts + 1,
        reclaimed=row.status == "sending",
        kind=alert.kind,
        key=alert.key,
        subject=alert.subject,
        payload=dict(alert.payload or {}),
    )
    return claim, None, True


class Senders:
    """The channels' senders for one pass (Slack pacing lives across the pass)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.email = SmtpSender(settings.email)
        self.slack = SlackSender(settings.slack)

    def send(self, claim: _Claim, now: dt.datetime) -> str:
        rendered = render.render_alert(
            claim.kind, claim.subject, claim.payload, self.settings.alerts.base_url
        )
        if claim.channel == "email":
            msg = build_message(
                rendered,
                key=claim.key,
                sender=self.settings.email.sender,
                recipient=claim.recipient,
                now=now,
                thread_key=claim.payload.get("thread_key"),
            )
            return self.email.send(msg, claim.recipient)
        if claim.channel == "slack":
            return self.slack.send(rendered.slack, now)
        raise PermanentDeliveryError(claim.channel, "unknown channel")


def _finish(
    db: Database,
    settings: Settings,
    claim: _Claim,
    now: dt.datetime,
    error: DeliveryError | None,
    answer: str,
    rng: random.Random,
) -> str:
    """Transaction 2: record the outcome; returns it (sent, retry, dead)."""
    guard = (
        AlertDelivery.id == claim.delivery_id,
        AlertDelivery.status == "sending",
        AlertDelivery.attempts == claim.attempts,
    )
    with db.transaction() as s:
        if error is None:
            s.execute(
                update(AlertDelivery)
                .where(*guard)
                .values(status="sent", sent_at=now, last_error=DUPLICATE_NOTE if claim.reclaimed else None)
                .execution_options(synchronize_session=False)
            )
            return "sent"
        permanent = isinstance(error, PermanentDeliveryError) or claim.kind == "test"
        if permanent or claim.attempts >= settings.alerts.max_attempts:
            why = "" if permanent else f" (gave up after {claim.attempts} attempts)"
            s.execute(
                update(AlertDelivery)
                .where(*guard)
                .values(status="dead", last_error=f"{error}{why}")
                .execution_options(synchronize_session=False)
            )
            delivery = s.get(AlertDelivery, claim.delivery_id)
            alert = s.get(Alert, claim.alert_id)
            if delivery is not None and alert is not None and delivery.status == "dead":
                outbox.enqueue_dead_letter(s, settings, delivery, alert, now)
            return "dead"
        retry_after = error.retry_after_seconds if isinstance(error, TemporaryDeliveryError) else None
        delay = rules.backoff_seconds(
            claim.attempts,
            base=settings.alerts.retry_base_seconds,
            cap=settings.alerts.retry_max_seconds,
            retry_after=retry_after,
            rng=rng,
        )
        s.execute(
            update(AlertDelivery)
            .where(*guard)
            .values(
                status="pending",
                next_attempt_at=now + dt.timedelta(seconds=delay),
                last_error=f"{error} (attempt {claim.attempts}; next in {delay:.0f} s)",
            )
            .execution_options(synchronize_session=False)
        )
        return "retry"


def deliver_due(
    db: Database,
    settings: Settings,
    now: dt.datetime,
    *,
    alert_id: int | None = None,
    limit: int = 200,
    after_send: Callable[[int], None] | None = None,
    rng: random.Random | None = None,
) -> Summary:
    """One pass over the due deliveries (at most ``limit``); see the module docstring.

    ``after_send`` is called with the delivery id after a successful send and before it is marked sent:
    the crash window, which the tests and the benchmark use to kill the process exactly there.
    """
    rng = rng or random.Random()
    summary = Summary()
    channels, summary.waiting_channels = ready_channels(settings)
    senders = Senders(settings)
    skip: set[int] = set()
    for _ in range(limit):
        if not channels:
            break
        with db.transaction() as s:
            claim, silenced, found = _claim_next(s, settings, now, channels, skip, alert_id)
        if not found:
            break
        if silenced is not None:
            summary.silenced += 1
            summary.results.append(silenced)
            continue
        if claim is None:
            continue
        summary.reclaimed += claim.reclaimed
        error: DeliveryError | None = None
        answer = ""
        try:
            answer = senders.send(claim, now)
        except DeliveryError as exc:
            error, answer = exc, str(exc)
        if error is None and after_send is not None:
            after_send(claim.delivery_id)
        outcome = _finish(db, settings, claim, now, error, answer, rng)
        extra = {"delivery": claim.delivery_id, "channel": claim.channel, "alert_key": claim.key}
        if outcome == "sent":
            summary.sent += 1
            log.info("alert delivered: %s", answer, extra=extra)
        elif outcome == "retry":
            summary.retried += 1
            log.warning("alert delivery failed, will retry: %s", answer, extra=extra)
            # The channel is struggling: leave its other deliveries for the next pass, uncharged.
            channels = [c for c in channels if c != claim.channel]
        else:
            summary.dead += 1
            log.error("alert delivery dead-lettered: %s", answer, extra=extra)
        summary.results.append(
            Result(claim.delivery_id, claim.alert_id, claim.channel, claim.recipient, outcome, answer)
        )
    return summary
