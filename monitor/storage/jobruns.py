"""The job-run log: one row per run of a scheduled job. Functions take a Session and never commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.storage.models import JobRun

MAX_MESSAGE = 2000


@dataclass(frozen=True)
class JobRunInfo:
    id: int
    job: str
    holder: str
    started_at: dt.datetime
    deadline_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    message: str | None


def start_run(session: Session, job: str, holder: str, now: dt.datetime, deadline: dt.datetime) -> int:
    row = JobRun(job=job, holder=holder, started_at=now, deadline_at=deadline, status="running")
    session.add(row)
    session.flush()
    return row.id


def finish_run(
    session: Session, run_id: int, status: str, now: dt.datetime, message: str | None = None
) -> None:
    row = session.get(JobRun, run_id)
    if row is None:
        return
    row.status = status
    row.finished_at = now
    row.message = message[:MAX_MESSAGE] if message else None


def abandon_others(session: Session, holder: str, now: dt.datetime) -> int:
    """Close the runs other schedulers left "running": called by the new lease holder, so their process
    is gone (crashed, killed, or fenced off when it lost the lease). Returns how many were closed."""
    rows = session.scalars(select(JobRun).where(JobRun.status == "running", JobRun.holder != holder))
    count = 0
    for row in rows:
        row.status = "abandoned"
        row.finished_at = now
        row.message = "the scheduler that ran it stopped without recording the end (crash or kill)"
        count += 1
    return count


def recent_runs(session: Session, job: str | None = None, limit: int = 1000) -> list[JobRunInfo]:
    """Runs in start order (oldest first among the newest ``limit``)."""
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRun.job == job)
    rows = list(session.scalars(query))
    rows.reverse()
    return [
        JobRunInfo(r.id, r.job, r.holder, r.started_at, r.deadline_at, r.finished_at, r.status, r.message)
        for r in rows
    ]
