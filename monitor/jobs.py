"""The jobs `monitor run` schedules, listed in one place: adding a job is one line in :func:`scheduled_jobs`.

A job is ``Job(name, trigger, func, time_limit)``. ``func(settings, db, now)`` is a module-level function
(it is started in a child process, so it must be importable by name; no lambdas or closures). It runs
under the scheduler lease, never twice at once, and is stopped when it passes ``time_limit``: SIGTERM
first (``SystemExit`` inside the job, so open transactions roll back), SIGKILL after a grace period. A job
that can stop cleanly on its own should check :func:`time_left` between units of work (feeds, articles,
deliveries) and return early. Each unit of work must commit on its own, so a stopped job loses nothing.

Triggers are in UTC (:func:`every`, :func:`cron`); a job with a local-time schedule (the weekly digest)
passes its own ``timezone`` to :func:`cron`.

This module only lists jobs and holds the thin job functions; the work lives in the pipeline, alert and
digest modules, and the running in ``monitor.scheduler``. Job modules are imported in the job process
(keep imports of heavy modules inside the job function so `monitor run` itself starts fast).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config import Settings
from monitor.errors import ModelError
from monitor.storage.db import Database

log = logging.getLogger(__name__)

JobFunc = Callable[[Settings, Database, dt.datetime], None]


@dataclass(frozen=True)
class Job:
    name: str
    trigger: BaseTrigger
    func: JobFunc
    time_limit: dt.timedelta
    #: Run once as soon as the scheduler becomes active, then on the trigger.
    run_at_start: bool = False


def every(*, minutes: float = 0, seconds: float = 0) -> IntervalTrigger:
    return IntervalTrigger(seconds=minutes * 60 + seconds, timezone=dt.UTC)


def cron(timezone: str = "UTC", **fields: Any) -> CronTrigger:
    return CronTrigger(timezone=timezone, **fields)


# --- the deadline of the job running in this process (set by the scheduler in the job's child process) --

_deadline: dt.datetime | None = None


def set_deadline(deadline: dt.datetime | None) -> None:
    global _deadline
    _deadline = deadline


def job_deadline() -> dt.datetime | None:
    """When the running job will be stopped; None outside a scheduled job (e.g. `monitor poll --once`)."""
    return _deadline


def time_left(now: dt.datetime) -> float | None:
    """Seconds before the running job's deadline (may be negative); None when there is no deadline."""
    return None if _deadline is None else (_deadline - now).total_seconds()


# --- job functions: thin calls into the modules that do the work ---------------------------------------


def poll_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    """Poll the feeds that are due (each feed's next poll time is decided by the pipeline)."""
    from monitor.pipeline import Poller

    classifier = None
    try:
        classifier = importlib.import_module("monitor.classify").load_classifier(settings)
    except (ImportError, ModelError) as exc:
        log.warning("classifier unavailable, new articles stay queued: %s", exc)
    summary = Poller(settings, db, classifier=classifier).run_once()
    from monitor.stages import after_poll

    after_poll(settings, db, dt.datetime.now(dt.UTC))
    log.info(
        "poll round: %d feeds, %d new articles, %d failed",
        summary.feeds,
        summary.new_articles,
        summary.failed,
        extra={
            "feeds": summary.feeds,
            "ok": summary.ok,
            "not_modified": summary.not_modified,
            "failed": summary.failed,
            "new_articles": summary.new_articles,
            "updated_articles": summary.updated_articles,
            "seconds": round(summary.duration_seconds, 3),
        },
    )


def deliver_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    from monitor.alerts.jobs import deliver_job as deliver

    deliver(settings, db, now)


def digest_job(settings: Settings, db: Database, now: dt.datetime) -> None:
    from monitor.alerts.jobs import digest_job as digest

    digest(settings, db, now)


# --- the list -------------------------------------------------------------------------------------------


def scheduled_jobs(settings: Settings) -> list[Job]:
    """Every job of `monitor run`. Add yours here, one line."""
    sched = settings.scheduler
    return [
        Job(
            "poll",
            every(minutes=settings.polling.interval_minutes),
            poll_job,
            dt.timedelta(minutes=sched.poll_time_limit_minutes),
            run_at_start=True,
        ),
        Job("deliver", every(seconds=20), deliver_job, dt.timedelta(minutes=5), run_at_start=True),
        Job("digest", every(minutes=10), digest_job, dt.timedelta(minutes=10)),
    ]
