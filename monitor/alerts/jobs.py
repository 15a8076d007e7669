"""What the scheduler runs for alerts: thin job functions ``func(settings, db, now)``.

- ``deliver_job``: one delivery pass (every 15-30 seconds).
- ``digest_job``: enqueue and deliver the weekly digest once it is due (at the configured weekday, time
  and time zone; running it more often is harmless, the digest's key makes it once per week).
- ``spike_alert_job``: spike detection and the alerts it decides, in ONE transaction, so an alert exists
  exactly when its spike decision was committed.

Each commits per unit of work (a delivery, the digest, the spike decision), so a job stopped at its time
limit loses nothing; an interrupted send is re-sent after the claim lease (see ``delivery``).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging

from monitor.alerts import outbox
from monitor.alerts.delivery import deliver_due
from monitor.alerts.digest import week_due
from monitor.config import Settings
from monitor.storage.db import Database

log = logging.getLogger(__name__)


def deliver_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    summary = deliver_due(db, settings, now)
    if summary.results:
        log.info("alert delivery pass", extra=summary.as_dict())


def digest_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    d = settings.digest
    if not d.enabled or not settings.email.enabled or not (d.recipients or settings.email.recipients):
        return  # nobody to send it to: leave the week open, so configuring email later still sends it
    week = week_due(now, d.weekday, d.time, d.timezone)
    if week is None:
        return
    with db.transaction() as s:
        alert = outbox.enqueue_digest(s, settings, week, now)
        alert_id = alert.id if alert is not None else None
    if alert_id is not None:
        log.info("weekly digest enqueued", extra={"week": week})
        deliver_due(db, settings, now, alert_id=alert_id)


def spike_alert_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    """Detect spikes and write their alerts in the same transaction as the spike decision."""
    try:
        detect_spikes = importlib.import_module("monitor.storage.spikes").detect_spikes
    except (ImportError, AttributeError):
        log.warning(
            "spike alerts are unavailable: monitor.storage.spikes.detect_spikes is not in this version"
        )
        return
    written = 0
    with db.transaction() as s:
        for change in detect_spikes(s, settings, now):
            written += outbox.enqueue_spike_alert(s, change, settings, now) is not None
    if written:
        log.info("spike alerts enqueued", extra={"alerts": written})
        deliver_due(db, settings, now)
