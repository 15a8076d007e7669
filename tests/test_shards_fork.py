"""Forked poll workers (monitor.shards): what a process without other threads gets.

Fork is chosen only when the pipeline's process runs no other thread, and a pytest process always does
(the local HTTP server, for one), so these tests run the pool in a fresh Python process: the console
command, or a short script.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from monitor.shards import fork_or_spawn
from monitor.storage import feeds as feed_store
from monitor.storage.db import Database
from tests.support.httpserver import LocalHTTPServer, Reply
from tests.test_shards import console_env, console_poll, item, rss


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_process_running_threads_spawns() -> None:
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert fork_or_spawn() == "spawn"
    finally:
        stop.set()
        thread.join()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to find the workers")
@pytest.mark.timeout(120)
def test_forked_workers_stop_when_the_pipeline_is_killed(
    sqlite_url: str, tmp_path: Path, http_server: LocalHTTPServer
) -> None:
    db = Database(sqlite_url)
    with db.transaction() as session:
        for n in range(8):
            url = http_server.route(f"/slow{n}", Reply(200, rss(item(n)), delay=8))
            feed_store.add_feed(session, url, now=dt.datetime.now(dt.UTC))
    db.dispose()
    proc = subprocess.Popen(
        console_poll(),
        env=console_env(sqlite_url, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        http_server.wait_for("/slow0", timeout=30)
        workers = children(proc.pid)
        assert len(workers) == 2, workers
        parent_cmd = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        for pid in workers:  # forked: the same command line as the parent (a spawned one runs -c ...)
            assert Path(f"/proc/{pid}/cmdline").read_bytes() == parent_cmd
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        # Each worker sees its lifeline close (its siblings closed their inherited copies) and exits,
        # long before the 8 s replies it is waiting for arrive.
        wait_until(lambda: not any(alive(pid) for pid in workers), timeout=5, what="the workers to exit")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


KILLED_WHILE_PARSING = """
import asyncio, datetime as dt, json, os, signal, sys, threading, time
from monitor.config import load_settings
from monitor.records import DueFeed
from monitor.round_plan import plan_round
from monitor.shards import ShardPool

base, config = sys.argv[1], sys.argv[2]
settings = load_settings({"MONITOR_ALLOW_PRIVATE_NETWORKS": "true"}, config)
feeds = [DueFeed(n, base + path, None, None, None, None, 0, "", "") for n, path in
         ((1, "/big"), (2, "/slow"), (3, "/fast"), (4, "/other"))]
pool = ShardPool(settings, plan_round(feeds, 2, 2), dt.datetime.now(dt.UTC), None, concurrency=8)
pool.start()  # no thread yet in this process: the workers are forked
killed = []

def killer():
    deadline = time.monotonic() + 60
    while not killed and time.monotonic() < deadline:
        for pid, parsing in pool.state():
            if parsing == 1 and pid is not None:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.005)

results = {}
async def handle(done):
    results[done.feed_id] = (done.failure.kind if done.failure else None, done.parsed is not None)

threading.Thread(target=killer, daemon=True).start()
asyncio.run(pool.run(handle))
print(json.dumps({"method": pool.start_method, "killed": bool(killed), "results": results}))
"""


@pytest.mark.timeout(120)
def test_a_forked_worker_killed_while_parsing_blames_that_feed_and_the_rest_is_polled_again(
    tmp_path: Path, http_server: LocalHTTPServer
) -> None:
    big = rss("".join(item(n) for n in range(20_000)))  # about 8 MB: parsing it takes a while
    http_server.route("/big", Reply(200, big))
    http_server.route("/slow", Reply(200, rss(item(1)), delay=1.5))
    http_server.route("/fast", Reply(200, rss(item(2))))
    http_server.route("/other", Reply(200, rss(item(3))))
    config = tmp_path / "monitor.toml"
    config.write_text("", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(KILLED_WHILE_PARSING),
            http_server.url("").rstrip("/"),
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=110,
        env={**os.environ, "MONITOR_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["method"] == "fork" and report["killed"]
    results = report["results"]
    assert set(results) == {"1", "2", "3", "4"}
    assert results["1"] == ["parse_crash", False]
    for other in ("2", "3", "4"):  # the dead worker's unfinished feeds went to a new (spawned) worker
        assert results[other] == [None, True], (other, results[other])
