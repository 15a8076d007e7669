"""`monitor run`: one active scheduler per database, jobs under a lease, a time limit and clean shutdown.

    loop until SIGTERM/SIGINT:
        try to take the lease ──no──> standby: log who holds it, check again every heartbeat
          │ yes                         (or, with --no-wait, refuse: SchedulerBusyError, exit status 3)
        sync config feeds; start APScheduler (in-memory job store, UTC) with the registered jobs;
        heartbeat thread renews the lease every few seconds
        each job run: renew the lease and record the run (one transaction) -> run func in a child process
                      -> wait for it, its time limit, or the loss of the lease -> record how it ended
        on stop:  no new runs; the running one finishes or hits its deadline; release the lease; exit 0
        on lease loss: kill the running job at once (SIGKILL), stop the scheduler, back to standby

Why a child process per job run: APScheduler 3 cannot stop a thread, so a hung job would keep its
``max_instances=1`` slot for good. A process can be stopped at its deadline, or at once when the lease is
lost, so the same job never runs in two places. Job functions commit per unit of work, so stopping one
loses nothing. APScheduler runs each job with ``max_instances=1`` (never twice here), ``coalesce=True``
(missed runs collapse into one) and ``misfire_grace_time=None`` (a late run still runs, never silently
dropped). The job store is in memory: a shared job store would run jobs several times.

This module does not know what jobs do (``monitor.jobs`` lists them) and installs no signal handlers
(the CLI does, and calls :meth:`Service.request_stop`).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import logging
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from monitor import jobs as jobsmod
from monitor import lease as leasemod
from monitor.config import Settings
from monitor.errors import SchedulerError
from monitor.lease import Lease, LeaseInfo
from monitor.logs import JsonFormatter, setup_logging
from monitor.storage import feeds as feedstore
from monitor.storage import jobruns
from monitor.storage.db import Database

log = logging.getLogger(__name__)

# Job processes come from a fork server: a clean single-threaded process that imported the job modules
# once, so a job starts in milliseconds; a plain fork of this process (threads, open connections) is unsafe.
_CONTEXT = multiprocessing.get_context("forkserver")
_PRELOAD = [
    "monitor.jobs",
    "monitor.scheduler",
    "monitor.storage.models",
    "monitor.pipeline",
    "monitor.classify",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SchedulerBusyError(SchedulerError):
    """Another `monitor run` holds the lease and we were asked not to wait."""

    def __init__(self, info: LeaseInfo | None) -> None:
        who = f"{info.holder} (last heartbeat {info.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)" if info else "?"
        super().__init__(f"another scheduler is active on this database: {who}")
        self.info = info


# --- the job's child process ----------------------------------------------------------------------------


def _die_with_parent() -> None:
    """If `monitor run` dies, its job must die too, or a standby could start the same job beside it.

    The job's parent is the fork server, which exits as soon as `monitor run` is gone; the kernel then
    kills the job (Linux PR_SET_PDEATHSIG). Elsewhere only the lease expiry protects.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise SystemExit(143)


def _child_main(
    func: jobsmod.JobFunc,
    settings: Settings,
    now: dt.datetime,
    deadline: dt.datetime,
    log_level: int,
    json_logs: bool,
    report: Connection,
) -> None:
    _die_with_parent()
    # Ctrl-C reaches the whole process group: the parent decides, and lets this run finish.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    setup_logging(logging.getLevelName(log_level), json_lines=json_logs)
    jobsmod.set_deadline(deadline)
    db = Database(settings.database_url, busy_timeout=settings.database.sqlite_busy_timeout)
    code = 0
    try:
        func(settings, db, now)
    except SystemExit as exc:
        report.send("stopped by the scheduler" if exc.code == 143 else f"exited with {exc.code}")
        code = 1
    except BaseException as exc:
        logging.getLogger("monitor.jobs").exception("job failed")
        report.send(f"{type(exc).__name__}: {exc}")
        code = 1
    finally:
        db.dispose()
        report.close()
    sys.exit(code)


# --- the service ----------------------------------------------------------------------------------------


class Service:
    """The active-or-standby loop of one `monitor run` process."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        jobs: Sequence[jobsmod.Job],
        *,
        no_wait: bool = False,
        lease: Lease | None = None,
    ) -> None:
        sched = settings.scheduler
        self.settings = settings
        self.db = db
        self.jobs = list(jobs)
        self.no_wait = no_wait
        self.ttl = dt.timedelta(seconds=sched.lease_seconds)
        self.heartbeat = min(sched.heartbeat_seconds, sched.lease_seconds / 3)
        self.kill_grace = sched.kill_grace_seconds
        self.lease = lease or Lease(db, ttl=self.ttl)
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._wake = threading.Event()
        self._valid_until = 0.0  # monotonic time our lease surely lasts until

    @property
    def holder(self) -> str:
        return self.lease.holder

    def request_stop(self, reason: str = "stop requested") -> None:
        if not self._stop.is_set():
            log.info("stopping (%s): no new job runs; a running one may finish or reach its deadline", reason)
        self._stop.set()
        self._wake.set()

    def _lose(self, reason: str) -> None:
        if not self._lost.is_set():
            log.error("scheduler lease lost (%s): stopping every job now", reason)
        self._lost.set()
        self._wake.set()

    # -- the outer loop: standby until we hold the lease ---------------------------------------------------

    def run(self) -> int:
        """Run until asked to stop; returns the exit status (0). Raises SchedulerBusyError with no_wait."""
        announced: str | None = None
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                acquired = self.lease.try_acquire(utcnow())
            except Exception as exc:  # database down: keep trying, it may come back
                log.warning("cannot check the scheduler lease: %s", exc)
                acquired = False
            if acquired:
                self._valid_until = started + self.ttl.total_seconds()
                self._active()
                announced = None
                continue
            info = self._current()
            if self.no_wait:
                raise SchedulerBusyError(info)
            if announced is None:
                self._start_fork_server()
            if info is not None and info.holder != announced:
                log.info(
                    "standby: the scheduler lease is held by %s (last heartbeat %s, expires %s); "
                    "waiting to take over",
                    info.holder,
                    info.heartbeat_at.isoformat(timespec="seconds"),
                    info.expires_at.isoformat(timespec="seconds"),
                    extra={"lease_holder": info.holder},
                )
                announced = info.holder
            self._stop.wait(self.heartbeat)
        log.info("stopped")
        return 0

    def _start_fork_server(self) -> None:
        """Start the job processes' fork server now, so that a standby's takeover is quick too."""
        # Has effect only before the fork server first starts (once per process).
        _CONTEXT.set_forkserver_preload(sorted({*_PRELOAD, *(job.func.__module__ for job in self.jobs)}))
        try:
            forkserver.ensure_running()
        except (OSError, ValueError) as exc:  # it is started on first use otherwise
            log.warning("could not start the job process server early: %s", exc)

    def _current(self) -> LeaseInfo | None:
        try:
            return self.lease.current()
        except Exception:
            return None

    # -- active: we hold the lease -------------------------------------------------------------------------

    def _active(self) -> None:
        self._lost.clear()
        self._wake.clear()
        log.info("scheduler lease acquired: this process (%s) is the active scheduler", self.holder)
        self._start_fork_server()
        self._close_abandoned_runs()
        self._sync_config_feeds()
        beat_stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(beat_stop,), name="heartbeat", daemon=True)
        beat.start()
        scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            executors={"default": ThreadPoolExecutor(max_workers=max(4, len(self.jobs)))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        for job in self.jobs:
            extra: dict[str, Any] = {"next_run_time": utcnow()} if job.run_at_start else {}
            scheduler.add_job(self._run_job, job.trigger, args=[job], id=job.name, name=job.name, **extra)
            log.info("job %s scheduled: %s, time limit %s", job.name, job.trigger, job.time_limit)
        scheduler.start()
        try:
            while not (self._stop.is_set() or self._lost.is_set()):
                self._wake.wait(1.0)
        finally:
            # Running jobs finish (or hit their deadline, or were killed if the lease was lost).
            scheduler.shutdown(wait=True)
            beat_stop.set()
            beat.join()
        if self._lost.is_set():
            log.warning("back to standby")
            return
        try:
            released = self.lease.release()
            log.info("scheduler lease released" if released else "scheduler lease was no longer ours")
        except Exception as exc:
            log.warning("could not release the scheduler lease (it expires by itself): %s", exc)

    def _close_abandoned_runs(self) -> None:
        try:
            with self.db.transaction() as s:
                closed = jobruns.abandon_others(s, self.holder, utcnow())
        except Exception as exc:
            log.warning("could not close the runs of a previous scheduler: %s", exc)
            return
        if closed:
            log.warning("%d job runs of a previous scheduler never finished; marked abandoned", closed)

    def _sync_config_feeds(self) -> None:
        for problem in self.settings.problems:
            log.warning("config: %s", problem)
        try:
            with self.db.transaction() as s:
                result = feedstore.sync_config_feeds(s, self.settings.feeds, utcnow())
        except Exception as exc:
            log.error("could not add the config file's feeds: %s", exc)
            return
        for problem in result.problems:
            log.warning(problem)
        if result.added:
            log.info("added %d feeds from the config file", len(result.added))

    def _heartbeat(self, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat):
            started = time.monotonic()
            try:
                ok: bool | None = self.lease.renew(utcnow())
            except Exception as exc:
                log.warning("cannot renew the scheduler lease: %s", exc)
                ok = None
            if ok:
                self._valid_until = started + self.ttl.total_seconds()
            elif ok is False:
                self._lose("another scheduler holds it")
                return
            # Give up one heartbeat before expiry, so our jobs are dead before a standby may start.
            if time.monotonic() > self._valid_until - self.heartbeat:
                self._lose("it could not be renewed before it expires")
                return

    # -- one job run -----------------------------------------------------------------------------------------

    def _run_job(self, job: jobsmod.Job) -> None:
        if self._stop.is_set() or self._lost.is_set():
            return
        started = utcnow()
        t0 = time.monotonic()
        deadline = started + job.time_limit
        try:
            with self.db.transaction() as s:
                if not leasemod.renew(s, self.lease.name, self.holder, started, self.ttl):
                    self._lose("another scheduler holds it")
                    return
                run_id = jobruns.start_run(s, job.name, self.holder, started, deadline)
        except Exception as exc:
            log.error("job %s not started: cannot renew the lease or record the run: %s", job.name, exc)
            return
        self._valid_until = t0 + self.ttl.total_seconds()
        log.info("job %s started (run %d, deadline %s)", job.name, run_id, f"{deadline:%H:%M:%S}")
        try:
            status, message = self._execute(job, started, deadline)
        except Exception as exc:  # the child could not even start (pickling, resources)
            log.exception("job %s could not be started", job.name)
            status, message = "error", f"could not start: {type(exc).__name__}: {exc}"
        elapsed = time.monotonic() - t0
        level = logging.INFO if status == "ok" else logging.ERROR
        log.log(
            level,
            "job %s %s after %.1f s%s",
            job.name,
            status,
            elapsed,
            f": {message}" if message else "",
            extra={"job": job.name, "status": status, "seconds": round(elapsed, 3)},
        )
        try:
            with self.db.transaction() as s:
                jobruns.finish_run(s, run_id, status, utcnow(), message)
        except Exception as exc:
            log.error("could not record the end of job %s run %d: %s", job.name, run_id, exc)

    def _execute(self, job: jobsmod.Job, now: dt.datetime, deadline: dt.datetime) -> tuple[str, str | None]:
        root = logging.getLogger()
        json_logs = any(isinstance(h.formatter, JsonFormatter) for h in root.handlers)
        receive, send = _CONTEXT.Pipe(duplex=False)
        proc = _CONTEXT.Process(
            target=_child_main,
            args=(job.func, self.settings, now, deadline, root.level, json_logs, send),
            name=f"monitor-job-{job.name}",
        )
        proc.start()
        send.close()
        limit_at = time.monotonic() + job.time_limit.total_seconds()
        try:
            while proc.exitcode is None:
                proc.join(0.1)
                if self._lost.is_set() and proc.exitcode is None:
                    proc.kill()
                    proc.join()
                    return "cancelled", "the scheduler lease was lost; killed so that it cannot run twice"
                if time.monotonic() >= limit_at and proc.exitcode is None:
                    log.error("job %s overran its time limit of %s: stopping it", job.name, job.time_limit)
                    self._stop_child(proc)
                    return "overrun", f"ran past its time limit of {job.time_limit} and was stopped"
            detail = receive.recv() if receive.poll() else None
        except (EOFError, OSError):
            detail = None
        finally:
            receive.close()
        code = proc.exitcode
        proc.close()
        if code == 0:
            return "ok", None
        return "error", str(detail or f"the job process ended with status {code}")

    def _stop_child(self, proc: multiprocessing.process.BaseProcess) -> None:
        proc.terminate()
        grace_until = time.monotonic() + self.kill_grace
        while proc.exitcode is None and time.monotonic() < grace_until and not self._lost.is_set():
            proc.join(0.1)
        if proc.exitcode is None:
            proc.kill()
            proc.join()
