"""What happens to stored articles after a poll, in order, each stage committing per batch:

    classify queued articles (and those scored by an older model)
      -> extract facts from flagged articles and group them into incidents
      -> count incidents per day and place, detect spikes, write their alerts (one transaction)
      -> deliver the alerts that are due

`monitor run` calls :func:`after_poll` at the end of every poll round (in the poll job, so two rounds
never overlap), and a spike is alerted within seconds of the poll that made it visible. Every stage is
idempotent: running it twice does nothing the second time, and what one round leaves (articles queued
while no model was installed, a stage stopped at its time limit) the next round picks up.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from monitor.classify import classify_text
from monitor.config import Settings
from monitor.errors import ModelError
from monitor.storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClassifySummary:
    model_version: str
    classified: int
    flagged: int


def classify_pending(
    settings: Settings, db: Database, *, include_all: bool = False, batch_size: int = 500
) -> ClassifySummary:
    """Score queued articles and those scored by another model version; one transaction per batch.

    Raises ModelError when no usable model is installed (the articles then stay queued).
    """
    from monitor.classify import load_classifier
    from monitor.storage.verdicts import needing_verdict, save_verdict

    classifier = load_classifier(settings)
    after_id, done, flagged = 0, 0, 0
    while True:
        with db.transaction() as session:
            batch = needing_verdict(
                session,
                version=classifier.version,
                include_all=include_all,
                after_id=after_id,
                limit=batch_size,
            )
            if not batch:
                break
            now = dt.datetime.now(dt.UTC)
            verdicts = classifier.classify([classify_text(a.title, a.summary) for a in batch])
            for article, verdict in zip(batch, verdicts, strict=True):
                save_verdict(
                    session,
                    article.id,
                    score=verdict.score,
                    flagged=verdict.flagged,
                    reasons=verdict.reasons,
                    model_version=verdict.model_version,
                    now=now,
                )
                flagged += verdict.flagged
            after_id = batch[-1].id
            done += len(batch)
    return ClassifySummary(classifier.version, done, flagged)


def after_poll(settings: Settings, db: Database, now: dt.datetime) -> None:
    """Run every stage after polling; one failing stage is logged and does not stop the others."""
    try:
        summary = classify_pending(settings, db)
        if summary.classified:
            log.info(
                "classified queued articles",
                extra={
                    "classified": summary.classified,
                    "flagged": summary.flagged,
                    "model": summary.model_version,
                },
            )
    except ModelError as exc:
        log.warning("classifier unavailable, articles stay queued: %s", exc)
    from monitor.alerts.jobs import spike_alert_job
    from monitor.storage.incidents import update_incidents

    try:
        update_incidents(db, settings, now)
    except Exception:
        # A bug or an outage in one stage must not keep the next stages (or the next poll) from running.
        log.exception("stage incidents failed; it will run again at the next round")
    try:
        spike_alert_job(settings, db, now)
    except Exception:
        log.exception("stage spikes failed; it will run again at the next round")
