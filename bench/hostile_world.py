"""Hostile world: one `monitor poll --once` over real feeds, feedparser's test documents and every fault.

    python3 /work/shared/feedserver/feedserver.py --root CORPUS --port 0 --max-seconds 900 &   # prints URL
    .venv/bin/python bench/hostile_world.py --server http://127.0.0.1:PORT/ [--sample 200]

Lists the server's files through its ``/_index.json``; adds as feeds the real feeds under ``real/`` (not
the time series), an evenly spread sample of feedparser's test documents and every ``/fault/`` route of
the catalogue; then runs ONE ``monitor poll --once`` in a subprocess on a fresh SQLite database, with
default settings except ``MONITOR_ALLOW_PRIVATE_NETWORKS=true`` (the server is on 127.0.0.1).

Prints: wall time, peak memory of the process tree sampled from /proc every 0.1 s (the sum of PSS,
which counts a page shared by forked workers and their parent once, judged against the goal; the sum
of RSS, which counts it once per process, for comparison) and the largest single process from getrusage, articles stored, an outcome table of the fault routes with
which must fail, and the XXE canary checks (database and the server's ``/_stats``). Goals: < 5 min,
< 500 MB, >= 8,000 articles, an error on every broken route, no canary anywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Fault routes that serve nothing usable: each must end with an error recorded on its feed.
BROKEN = (
    "fault/drip/",
    "fault/hang/",
    "fault/hang-after-headers/",
    "fault/hang-mid-body/",
    "fault/500",
    "fault/503",
    "fault/429",
    "fault/status/",
    "fault/404",
    "fault/410",
    "fault/redirect/25/",
    "fault/redirect-loop/",
    "fault/redirect-self",
    "fault/reset/",
    "fault/gzip-bomb",
    "fault/big",
    "fault/html",
    "fault/empty",
)


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as reply:  # the local feed server only
        return json.load(reply)


PER_PROCESS: dict[int, tuple[int, str]] = {}  # pid -> (peak VmRSS kB, command line)


def _pss_kb(pid: int) -> int:
    """Proportional set size: private pages plus this process's share of pages shared with others."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def tree_memory_kb(pid: int) -> tuple[int, int]:
    """(sum of VmRSS, sum of PSS) over ``pid`` and all its descendants (Linux /proc).

    The RSS sum counts a page shared by several processes once per process: forked workers share
    most of their parent's memory, so for them the PSS sum (each shared page split between the
    processes that map it) is the memory the tree really uses. Per-process RSS peaks are kept too.
    """
    rss_total, pss_total, stack, seen = 0, 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kb = int(line.split()[1])
                    rss_total += kb
                    if kb > PER_PROCESS.get(p, (0, ""))[0]:
                        cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
                        PER_PROCESS[p] = (kb, cmd)
            pss_total += _pss_kb(p)
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return rss_total, pss_total


def run_measured(
    cmd: list[str], env: dict[str, str], timeout: float
) -> tuple[subprocess.CompletedProcess[str], float, int, int]:
    """Run ``cmd``; return (completed process, wall seconds, peak tree RSS sum, peak tree PSS sum in kB)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss, pss = tree_memory_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    wall = time.monotonic() - started
    stop.set()
    sampler.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), wall, peak[0], peak[1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", required=True, help="feed server base URL (first line it printed)")
    parser.add_argument(
        "--corpus", default=None, help="corpus directory (informational; files come from the server)"
    )
    parser.add_argument("--sample", type=int, default=200, help="feedparser test documents to include")
    parser.add_argument("--workdir", default=None, help="where the fresh database goes (default: a temp dir)")
    args = parser.parse_args()
    base = args.server.rstrip("/") + "/"

    index = get_json(base + "_index.json")
    assert isinstance(index, dict)
    files: list[str] = index["files"]
    real = [
        f
        for f in files
        if f.startswith("real/")
        and not f.startswith("real/headlines-timeseries/")
        and f.rsplit(".", 1)[-1] in ("xml", "rss", "atom")
    ]
    tests = sorted(
        f
        for f in files
        if f.startswith("feedparser-tests/") and f.rsplit(".", 1)[-1] in ("xml", "rss", "atom", "rdf")
    )
    step = max(len(tests) // max(args.sample, 1), 1)
    sample = tests[::step][: args.sample]
    faults: list[str] = [u if u.startswith("http") else base + u for u in index["faults"]]
    urls = [base + f for f in real] + [base + f for f in sample] + faults
    canary = get_json(base + "_canary")
    assert isinstance(canary, dict)
    print(f"feeds: {len(real)} real, {len(sample)} feedparser test documents, {len(faults)} fault routes")

    work = Path(args.workdir or tempfile.mkdtemp(prefix="hostile-world-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "hostile.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    config = work / "monitor.toml"
    config.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": f"sqlite:///{db_path}",
        "MONITOR_CONFIG": str(config),
        "MONITOR_DATA_DIR": str(work),
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
    }
    monitor = [sys.executable, "-m", "monitor"]
    subprocess.run([*monitor, "db", "upgrade"], env=env, check=True, capture_output=True)

    import datetime as dt

    from monitor.storage import feeds as feed_store
    from monitor.storage.db import Database

    db = Database(f"sqlite:///{db_path}")
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        for url in urls:
            feed_store.add_feed(s, url, now=now, source="cli")
    db.dispose()

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done, wall, peak_rss_kb, peak_kb = run_measured(
        [*monitor, "--json-logs", "poll", "--once", "--json"], env, timeout=600
    )
    largest_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        print(done.stderr[-3000:])
        print(f"poll exited with {done.returncode}")
        return 1
    summary = json.loads(done.stdout.strip().splitlines()[-1])

    conn = sqlite3.connect(db_path)
    articles = conn.execute("select count(*) from articles").fetchone()[0]
    token = str(canary["token"])
    like = f"%{token}%"
    leaks = conn.execute(
        "select (select count(*) from articles where title like ? or summary like ? or url like ? or author like ?)"
        " + (select count(*) from feeds where title like ? or last_error_message like ?)"
        " + (select count(*) from poll_log where message like ?)",
        (like,) * 7,
    ).fetchone()[0]
    canary_text = ""
    with contextlib.suppress(OSError):
        canary_text = Path(str(canary["path"])).read_text(encoding="utf-8").strip()
    if canary_text and canary_text != token:
        like2 = f"%{canary_text[:40]}%"
        leaks += conn.execute(
            "select count(*) from articles where title like ? or summary like ?", (like2, like2)
        ).fetchone()[0]
    rows = conn.execute(
        "select f.url, f.last_status, f.last_error_kind, f.last_http_status, f.consecutive_failures,"
        " (select coalesce(sum(entries), 0) from poll_log p where p.feed_id = f.id) from feeds f order by f.id"
    ).fetchall()
    conn.close()
    stats = get_json(base + "_stats")
    assert isinstance(stats, dict)
    hits = stats.get("canary_hits") or {}

    print(f"\n{'fault route':58} {'status':13} {'error kind':20} entries  expected")
    missing = []
    for url, status, kind, http, _failures, entries in rows:
        if "/fault/" not in url:
            continue
        route = url[len(base) :]
        broken = route.startswith(BROKEN)
        failed = status in ("error", "retry_later")
        flag = "error" if broken else "ok"
        if broken and not failed:
            missing.append(route)
            flag += "  <-- NO ERROR RECORDED"
        print(
            f"{route[:58]:58} {status or '-':13} {(kind or '') + (f' {http}' if http else ''):20} {entries:7}  {flag}"
        )
    other_failed = [(u, k) for u, s, k, *_ in rows if "/fault/" not in u and s in ("error", "retry_later")]

    mb = 1024
    print("\n=== hostile world ===")
    print(
        f"feeds polled        {summary['feeds']} (ok {summary['ok']}, not modified {summary['not_modified']}, failed {summary['failed']})"
    )
    print(f"wall time           {wall:.1f} s   (goal < 300 s)")
    print(f"peak PSS, tree      {peak_kb / mb:.0f} MB   (sampled sum of all processes; goal < 500 MB)")
    print(
        f"peak RSS, tree      {peak_rss_kb / mb:.0f} MB   (the same, shared pages counted once per process)"
    )
    print(f"peak RSS, largest   {max(largest_kb, before) / mb:.0f} MB   (single process, getrusage)")
    for pid, (kb, cmd) in sorted(PER_PROCESS.items(), key=lambda kv: -kv[1][0])[:4]:
        print(f"  process {pid:>7}   {kb / mb:.0f} MB  {cmd}")
    print(f"articles stored     {articles}   (goal >= 8,000)")
    print(
        f"broken routes       {sum(1 for u, *_ in rows if '/fault/' in u and u[len(base) :].startswith(BROKEN))}, without an error: {len(missing)}"
    )
    print(
        f"other feeds failed  {len(other_failed)}: "
        + ", ".join(f"{u[len(base) :]} ({k})" for u, k in other_failed[:12])
    )
    print(
        f"canary in database  {leaks}   server canary hits {sum(int(v) for v in hits.values()) if hits else 0}"
    )
    ok = wall < 300 and peak_kb < 500 * mb and articles >= 8000 and not missing and leaks == 0 and not hits
    print("RESULT", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
