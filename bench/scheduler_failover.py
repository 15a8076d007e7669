"""Failover figures of `monitor run`: how fast a standby takes over, and what a job run costs.

    python bench/scheduler_failover.py [--database-url URL] [--rounds N]

Starts two real `monitor run` processes on one database (a fresh SQLite file by default) with a short
poll interval and no feeds, and prints:
- job run overhead: "job started" to the job's "poll round" line with no feeds (fork server, classifier
  load, poller set-up),
- clean failover: SIGTERM to the active one -> the standby logs "lease acquired",
- crash failover: SIGKILL to the active one -> the standby logs "lease acquired" (bounded by the lease
  time, set here to 3 s with a 0.5 s heartbeat),
- whether any two job runs overlapped (they must not).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.storage import jobruns  # noqa: E402
from monitor.storage.db import Database, upgrade  # noqa: E402


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "--json-logs", "run"], env=env, cwd=ROOT, stdout=out, stderr=out
        )


def events(log: Path) -> list[tuple[float, str]]:
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        found.append((dt.datetime.fromisoformat(record["ts"]).timestamp(), record["msg"]))
    return found


def wait_for_text(log: Path, text: str, timeout: float = 120) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for ts, msg in events(log):
            if text in msg:
                return ts
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {text!r} in {log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="failover-"))
    url = args.database_url or f"sqlite:///{work / 'monitor.db'}"
    upgrade(url)
    (work / "empty.toml").write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(
        MONITOR_DATABASE_URL=url,
        MONITOR_CONFIG=str(work / "empty.toml"),
        MONITOR_DATA_DIR=str(work),
        MONITOR_POLLING__INTERVAL_MINUTES="0.02",
        MONITOR_SCHEDULER__LEASE_SECONDS="3",
        MONITOR_SCHEDULER__HEARTBEAT_SECONDS="0.5",
    )
    clean: list[float] = []
    crash: list[float] = []
    logs: list[Path] = []
    active = start(env, work / "p0.log")
    logs.append(work / "p0.log")
    wait_for_text(logs[-1], "lease acquired")
    for i in range(args.rounds * 2):
        log = work / f"p{i + 1}.log"
        standby = start(env, log)
        logs.append(log)
        wait_for_text(log, "standby")
        time.sleep(2)  # a few job runs
        how = signal.SIGTERM if i % 2 == 0 else signal.SIGKILL
        sent = time.time()
        active.send_signal(how)
        active.wait(120)
        took = wait_for_text(log, "lease acquired") - sent
        (clean if how == signal.SIGTERM else crash).append(took)
        active = standby
    active.send_signal(signal.SIGTERM)
    active.wait(120)

    starts = []
    for log in logs:
        evs = events(log)
        for n, (ts, msg) in enumerate(evs):
            if msg.startswith("job poll started"):
                later = [t for t, m in evs[n + 1 :] if m.startswith("poll round")]
                if later:
                    starts.append(later[0] - ts)
    db = Database(url)
    with db.reader() as s:
        runs = jobruns.recent_runs(s, "poll", limit=100_000)
    db.dispose()
    finished = sorted((r for r in runs if r.finished_at), key=lambda r: r.started_at)
    overlaps = sum(
        1 for a, b in itertools.pairwise(finished) if a.finished_at and b.started_at < a.finished_at
    )
    print(f"database: {url.split('@')[-1]}")
    print(
        f"job runs: {len(runs)} ({', '.join(sorted({r.status for r in runs}))}); overlapping pairs: {overlaps}"
    )
    if starts:
        median, worst = statistics.median(starts), max(starts)
        print(f"job started -> poll round logged (no feeds): median {median:.3f} s, max {worst:.3f} s")
    print(f"clean failover (SIGTERM): {', '.join(f'{t:.2f}' for t in clean)} s")
    print(f"crash failover (SIGKILL, lease 3 s): {', '.join(f'{t:.2f}' for t in crash)} s")


if __name__ == "__main__":
    main()
