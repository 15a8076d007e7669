"""Alert delivery, measured against real local servers (aiosmtpd with STARTTLS, a local HTTP webhook).

    python bench/alert_e2e.py [--trials 40] [--alerts 10] [--interval 15] [--skip-latency]

Prints:
1. duplicates when the sender is killed (SIGKILL) at a random moment of a delivery run, then restarted
   after the claim lease: duplicate rate per delivery and per kill, how many of them the restart counted
   ("re-sent after an interrupted attempt"), and missing messages (must be 0);
2. a restart after everything was delivered: messages re-sent (must be 0);
3. SMTP down for a while: the alert arrives once the server is back (seconds after it is back), once;
4. latency from the committed spike decision to the message at the servers: immediately (the spike job
   delivers right after its transaction) and through the periodic delivery job (every --interval s).

5. end to end: a local feed server serves a burst of targeted-killing reports over a seeded quiet
   history; one poll (real fetch, parse, classifier), incidents, spike detection and alerts in the spike
   job's transaction, delivery: alerts per channel per episode (goal: exactly one), seconds from the end of
   the poll to the messages at the servers (goal: within 60 s), what a second round and a restart send
   (goal: nothing), and the same with SMTP down during the spike (the email arrives once it is back).
   Needs ``monitor.storage.spikes.detect_spikes``; says so and skips when it is missing.

Parts 1-4 use alerts written by ``outbox.enqueue_spike_alert`` from seeded episodes, to isolate delivery.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import json
import logging
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.alerts import outbox
from monitor.alerts.delivery import deliver_due
from monitor.config import Settings, load_settings
from monitor.storage.db import Database, upgrade
from monitor.storage.models import Article, Feed, Incident, SpikeEpisode
from tests.support.httpserver import LocalHTTPServer, Reply
from tests.support.smtp import LocalSMTPServer

HOOK = "/services/T/B/bench"
PROJECT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from monitor.config import load_settings
    from monitor.storage.db import Database
    from monitor.alerts.delivery import deliver_due

    settings = load_settings()
    db = Database(settings.database_url)
    mode, interval = sys.argv[1], float(sys.argv[2])
    print("start", flush=True)  # imports done: the delivery run begins now
    while True:
        summary = deliver_due(db, settings, dt.datetime.now(dt.UTC))
        if mode == "once" and not summary.results:
            break
        if mode == "loop":
            time.sleep(interval)
    """
)


class Change:
    def __init__(self, episode_id: int, series_key: str) -> None:
        self.episode_id, self.series_key = episode_id, series_key
        self.kind, self.level, self.count, self.expected = "start", 1, 6, 1.1


def seed_and_enqueue(db: Database, settings: Settings, n: int, now: dt.datetime, tag: str = "") -> list[str]:
    """n episodes in n towns, one incident each, and their spike alerts; returns the alert keys."""
    keys = []
    with db.transaction() as s:
        feed = Feed(url=f"https://bench.example/feed{tag}", title="Bench outlet", added_at=now)
        s.add(feed)
        s.flush()
        for i in range(n):
            town = f"town{tag}{i}"
            incident = Incident(
                title=f"Shooting in {town}",
                occurred_on=now.date(),
                place_key=f"pk/karachi/{town}",
                place_name=town,
                city="Karachi",
                deaths=1,
                first_reported_at=now,
                last_updated_at=now,
            )
            s.add(incident)
            s.flush()
            s.add(
                Article(
                    url=f"https://bench.example/{town}",
                    title=incident.title,
                    first_seen_at=now,
                    last_changed_at=now,
                    incident_id=incident.id,
                    flagged=True,
                )
            )
            episode = SpikeEpisode(
                series_key=f"town:pk/karachi/{town}",
                series_label=town,
                started_on=now.date(),
                last_alarm_on=now.date(),
                created_at=now,
                updated_at=now,
                details={"incident_ids": [incident.id]},
            )
            s.add(episode)
            s.flush()
            alert = outbox.enqueue_spike_alert(s, Change(episode.id, episode.series_key), settings, now)
            assert alert is not None
            keys.append(alert.key)
    return keys


class Servers:
    def __init__(self, workdir: Path) -> None:
        self.smtp = LocalSMTPServer(tls="starttls").start()
        self.http = LocalHTTPServer().start()
        self.http.route(HOOK, Reply(200, b"ok"))
        self.ca = self.smtp.write_ca(workdir)
        self.config = workdir / "empty.toml"
        self.config.write_text("", encoding="utf-8")

    def env(self, db_url: str, **extra: str) -> dict[str, str]:
        return {
            **self.smtp.env(self.ca),
            "MONITOR_DATABASE_URL": db_url,
            "MONITOR_SLACK__ENABLED": "true",
            "MONITOR_SLACK__MIN_INTERVAL_SECONDS": "0",
            "MONITOR_SLACK_WEBHOOK_URL": self.http.url(HOOK),
            "MONITOR_CONFIG": str(self.config),
            **extra,
        }

    def received(self) -> Counter[str]:
        """How many times each alert arrived, per channel (keyed by channel and subject)."""
        seen: Counter[str] = Counter()
        for m in list(self.smtp.messages):
            msg = email.message_from_bytes(m.raw, policy=email.policy.default)
            seen["email " + str(msg["Subject"]).removeprefix("[Karachi monitor] ")] += 1
        for r in self.http.hits(HOOK):
            text = json.loads(r.body)["text"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            seen["slack " + text.removeprefix("[Karachi monitor] ")] += 1
        return seen

    def reset(self) -> None:
        with self.smtp.lock:
            self.smtp.messages.clear()
        with self.http._lock:
            self.http.requests.clear()

    def stop(self) -> None:
        self.smtp.stop()
        self.http.stop()


def child(env: dict[str, str], mode: str, interval: float = 0.0) -> subprocess.Popen[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")} | env
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode, str(interval)], env=full, cwd=PROJECT, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # wait for "start"
    return proc


def fresh_db(template: Path, workdir: Path, name: str) -> str:
    path = workdir / f"{name}.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def kill_trials(args: argparse.Namespace, servers: Servers, template: Path, workdir: Path) -> None:
    rng = random.Random(args.seed)
    expected_each = 2  # one email (one recipient) and one Slack message per alert
    # Calibrate: how long an uninterrupted run takes.
    url = fresh_db(template, workdir, "calibrate")
    settings = load_settings(servers.env(url))
    db = Database(url)
    seed_and_enqueue(db, settings, args.alerts, dt.datetime.now(dt.UTC))
    db.dispose()
    proc = child(servers.env(url), "once")
    start = time.monotonic()
    proc.wait()
    run_seconds = time.monotonic() - start
    servers.reset()

    deliveries = duplicates = missing = counted = kills_mid_run = 0
    for trial in range(args.trials):
        url = fresh_db(template, workdir, f"trial{trial}")
        settings = load_settings(servers.env(url))
        db = Database(url)
        seed_and_enqueue(db, settings, args.alerts, dt.datetime.now(dt.UTC))
        proc = child(servers.env(url), "once")
        time.sleep(rng.uniform(0, run_seconds))
        if proc.poll() is None:
            kills_mid_run += 1
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        # The restart, after the claim lease has passed.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.alerts.claim_lease_seconds + 1)
        while True:
            summary = deliver_due(db, settings, later)
            counted += summary.reclaimed
            if not summary.results:
                break
        db.dispose()
        seen = servers.received()
        deliveries += args.alerts * expected_each
        duplicates += sum(n - 1 for n in seen.values() if n > 1)
        missing += args.alerts * expected_each - len(seen)
        servers.reset()
    print("1. sender killed at a random moment of a delivery run, then restarted after the lease")
    print(f"   uninterrupted run: {run_seconds:.2f} s for {args.alerts * expected_each} deliveries")
    print(f"   trials: {args.trials}, kills that landed mid-run: {kills_mid_run}")
    print(f"   deliveries: {deliveries}, duplicates: {duplicates}, missing: {missing}")
    print(
        f"   duplicate rate: {duplicates / deliveries:.4%} of deliveries, "
        f"{duplicates / max(1, kills_mid_run):.3f} per kill"
    )
    print(
        f"   re-sent claims marked 'possible duplicate' by the restart: {counted} "
        "(an upper bound: a kill before the server accepted the message also leaves a claim)"
    )


def restart_resends_nothing(servers: Servers, template: Path, workdir: Path, n: int) -> None:
    url = fresh_db(template, workdir, "restart")
    settings = load_settings(servers.env(url))
    db = Database(url)
    seed_and_enqueue(db, settings, n, dt.datetime.now(dt.UTC))
    db.dispose()
    child(servers.env(url), "once").wait()
    before = sum(servers.received().values())
    child(servers.env(url), "once").wait()  # a restart: a new process
    after = sum(servers.received().values())
    print("2. restart after delivery")
    print(f"   delivered: {before}, re-sent by the restarted process: {after - before}")
    servers.reset()


def smtp_down(servers: Servers, template: Path, workdir: Path, down_seconds: float) -> None:
    url = fresh_db(template, workdir, "smtpdown")
    env = servers.env(url, MONITOR_ALERTS__RETRY_BASE_SECONDS="2", MONITOR_ALERTS__RETRY_MAX_SECONDS="10")
    settings = load_settings(env)
    servers.smtp.stop()
    db = Database(url)
    seed_and_enqueue(db, settings, 1, dt.datetime.now(dt.UTC))
    db.dispose()
    proc = child(env, "loop", 1.0)
    time.sleep(down_seconds)
    servers.smtp.start()
    back = time.monotonic()
    while not servers.smtp.messages and time.monotonic() - back < 60:
        time.sleep(0.05)
    arrived = time.monotonic() - back
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    print(f"3. SMTP down for {down_seconds:.0f} s (retry base 2 s, cap 10 s, delivery pass every 1 s)")
    print(
        f"   email arrived {arrived:.1f} s after the server came back; copies: {len(servers.smtp.messages)}"
    )
    servers.reset()


def latency(args: argparse.Namespace, servers: Servers, template: Path, workdir: Path) -> None:
    # (a) The spike job delivers right after committing its decision.
    immediate = []
    url = fresh_db(template, workdir, "latency")
    settings = load_settings(servers.env(url))
    db = Database(url)
    for i in range(5):
        start = time.monotonic()
        seed_and_enqueue(db, settings, 1, dt.datetime.now(dt.UTC), tag=f"i{i}")
        deliver_due(db, settings, dt.datetime.now(dt.UTC))
        immediate.append(time.monotonic() - start)
    db.dispose()
    servers.reset()
    print("4. latency, committed spike decision -> both messages accepted by the servers")
    print(
        f"   spike job delivering at once: median {statistics.median(immediate) * 1000:.0f} ms, "
        f"max {max(immediate) * 1000:.0f} ms (5 alerts)"
    )
    if args.skip_latency:
        return
    # (b) Through the periodic delivery job.
    url = fresh_db(template, workdir, "latency2")
    env = servers.env(url)
    settings = load_settings(env)
    proc = child(env, "loop", args.interval)
    db = Database(url)
    waits = []
    rng = random.Random(args.seed)
    for i in range(args.latency_samples):
        time.sleep(rng.uniform(0, args.interval))
        want = len(servers.http.hits(HOOK)) + 1
        start = time.monotonic()
        seed_and_enqueue(db, settings, 1, dt.datetime.now(dt.UTC), tag=f"p{i}")
        while len(servers.http.hits(HOOK)) < want and time.monotonic() - start < 120:
            time.sleep(0.01)
        waits.append(time.monotonic() - start)
    proc.send_signal(signal.SIGTERM)
    proc.wait()
    db.dispose()
    print(
        f"   through the delivery job every {args.interval:.0f} s: median {statistics.median(waits):.1f} s, "
        f"max {max(waits):.1f} s ({len(waits)} alerts; goal: within 60 s)"
    )


def main() -> None:
    from alert_e2e_pipeline import end_to_end

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--alerts", type=int, default=10, help="alerts per kill trial")
    parser.add_argument("--interval", type=float, default=15.0, help="delivery job interval (seconds)")
    parser.add_argument("--latency-samples", type=int, default=6)
    parser.add_argument("--down", type=float, default=15.0, help="seconds SMTP stays down")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-latency", action="store_true", help="skip the slow periodic-job latency part")
    parser.add_argument("--only-e2e", action="store_true", help="run only part 5 (end to end)")
    args = parser.parse_args()
    logging.getLogger("monitor").setLevel(logging.ERROR)  # expected retries are not news here
    workdir = Path(tempfile.mkdtemp(prefix="alert-bench-"))
    template = workdir / "template.db"
    upgrade(f"sqlite:///{template}")
    servers = Servers(workdir)
    try:
        if args.only_e2e:
            end_to_end(servers, template, workdir)
            return
        kill_trials(args, servers, template, workdir)
        restart_resends_nothing(servers, template, workdir, args.alerts)
        smtp_down(servers, template, workdir, args.down)
        latency(args, servers, template, workdir)
        end_to_end(servers, template, workdir)
    finally:
        servers.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
