"""Polling speed against lemon24/reader on the same generated feeds, same run, same server tick.

    python3 /work/shared/feedserver/feedserver.py --root CORPUS --port 0 --max-seconds 1800 &
    .venv/bin/python bench/poll_speed.py --server http://127.0.0.1:PORT/ [--feeds 1000] [--no-classify]

For N feeds ``/gen/i/feed.xml`` (20 items each): a warm-up pass fills the server's generator cache; then
our ``monitor poll --once`` runs on a fresh SQLite database in a subprocess (first pass: every feed new;
second pass ``--all``: every feed answers 304), then reader's ``update_feeds(workers=16, scheduled=False)``
twice in its own venv (created under /tmp on first use: ``pip install reader sgmllib3k``).

Timing: each side's own in-process time of the poll round (ours: the summary's duration, which
includes starting the parse workers; reader: around ``update_feeds``); our subprocess wall time,
interpreter start-up included, is printed as well. Memory: the peak of our process tree's summed PSS
(sampled from /proc; forked workers share most of their parent's pages, which a sum of RSS would count
once per process; that sum is printed too), reader's RSS from getrusage (one process). Our per-host limit is raised to 16 to match reader's 16
workers: the N feeds stand for N different sites, all served here by one loopback server.
Goals (N=1,000): both passes >= 2x reader's feeds/s, peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from hostile_world import run_measured  # noqa: E402

READER = textwrap.dedent(
    """
    import json, resource, sys, time
    from reader import make_reader
    db, urls = sys.argv[1], json.load(open(sys.argv[2]))
    reader = make_reader(db)
    for url in urls:
        reader.add_feed(url)
    def count():
        return reader.get_entry_counts().total
    t0 = time.perf_counter(); reader.update_feeds(workers=16, scheduled=False); first = time.perf_counter() - t0
    entries = count()
    t0 = time.perf_counter(); reader.update_feeds(workers=16, scheduled=False); second = time.perf_counter() - t0
    print(json.dumps({"first": first, "second": second, "entries": entries, "entries_after": count(),
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
    """
)


def ensure_reader_venv(path: Path) -> Path:
    python = path / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "reader", "sgmllib3k"], check=True)
    return python


def warm(urls: list[str]) -> None:
    def get(url: str) -> int:
        with urllib.request.urlopen(url, timeout=60) as reply:  # the local feed server only
            return len(reply.read())

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(get, urls))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", required=True)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--no-classify", action="store_true", help="poll without the classifier")
    parser.add_argument("--skip-reader", action="store_true")
    parser.add_argument("--reader-venv", default="/tmp/reader-bench-venv")
    args = parser.parse_args()
    base = args.server.rstrip("/") + "/"
    urls = [f"{base}gen/{i}/feed.xml" for i in range(args.feeds)]
    warm(urls)

    work = Path(tempfile.mkdtemp(prefix="poll-speed-"))
    (work / "monitor.toml").write_text("", encoding="utf-8")
    db_path = work / "ours.db"
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": f"sqlite:///{db_path}",
        "MONITOR_CONFIG": str(work / "monitor.toml"),
        "MONITOR_DATA_DIR": str(work),
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_POLLING__PER_HOST_CONCURRENCY": "16",
    }
    if args.no_classify:
        env["MONITOR_CLASSIFIER__MODEL_PATH"] = str(work / "no-model")
    monitor = [sys.executable, "-m", "monitor", "--json-logs", "--log-level", "WARNING"]
    subprocess.run([*monitor, "db", "upgrade"], env=env, check=True, capture_output=True)

    import datetime as dt

    from monitor.storage import feeds as feed_store
    from monitor.storage.db import Database

    db = Database(f"sqlite:///{db_path}")
    with db.transaction() as s:
        for url in urls:
            feed_store.add_feed(s, url, now=dt.datetime.now(dt.UTC))
    db.dispose()

    ours = []
    for extra in ([], ["--all"]):
        done, wall, peak_rss_kb, peak_kb = run_measured(
            [*monitor, "poll", "--once", "--json", *extra], env, timeout=900
        )
        if done.returncode != 0:
            print(done.stderr[-3000:])
            return 1
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        ours.append((summary, wall, peak_kb, peak_rss_kb))

    reader_result = None
    if not args.skip_reader:
        python = ensure_reader_venv(Path(args.reader_venv))
        (work / "urls.json").write_text(json.dumps(urls), encoding="utf-8")
        done = subprocess.run(
            [str(python), "-c", READER, str(work / "reader.db"), str(work / "urls.json")],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if done.returncode != 0:
            print(done.stderr[-3000:])
            return 1
        reader_result = json.loads(done.stdout.strip().splitlines()[-1])

    n = args.feeds
    (s1, w1, p1, q1), (s2, w2, p2, q2) = ours
    print(
        f"\n{n} feeds x 20 items, classification {'off' if args.no_classify else 'on' if s1['classified'] else 'unavailable'}"
    )
    print(f"{'':28} {'pass 1 (new)':>16} {'pass 2 (304)':>16} {'peak mem':>10}")
    print(
        f"{'ours (in-process round)':28} {s1['duration_seconds']:7.2f} s {n / s1['duration_seconds']:5.0f}/s"
        f" {s2['duration_seconds']:7.2f} s {n / s2['duration_seconds']:5.0f}/s {max(p1, p2) / 1024:7.0f} MB PSS"
    )
    print(f"{'':62} {max(q1, q2) / 1024:7.0f} MB RSS sum")
    print(f"{'ours (subprocess wall)':28} {w1:7.2f} s {n / w1:5.0f}/s {w2:7.2f} s {n / w2:5.0f}/s")
    print(
        f"{'  outcomes':28} ok {s1['ok']}, 304 {s1['not_modified']}, failed {s1['failed']}, "
        f"{s1['new_articles']} articles | pass 2: 304 {s2['not_modified']}, ok {s2['ok']}, failed {s2['failed']}"
    )
    if reader_result:
        r1, r2 = reader_result["first"], reader_result["second"]
        print(
            f"{'reader update_feeds(16)':28} {r1:7.2f} s {n / r1:5.0f}/s {r2:7.2f} s {n / r2:5.0f}/s"
            f" {reader_result['maxrss_kb'] / 1024:7.0f} MB RSS"
        )
        print(f"{'  entries':28} {reader_result['entries']} (after pass 2: {reader_result['entries_after']})")
        x1, x2 = r1 / s1["duration_seconds"], r2 / s2["duration_seconds"]
        print(f"{'speed-up vs reader':28} {x1:12.2f}x {x2:15.2f}x   (goal >= 2x each, < 300 MB PSS)")
        ok = x1 >= 2 and x2 >= 2 and max(p1, p2) < 300 * 1024
        print("RESULT", "PASS" if ok else "FAIL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
