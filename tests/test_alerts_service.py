"""`monitor run` delivers what is in the outbox: a real service process and a local webhook. (A restart
resending nothing is covered in test_alerts_delivery and test_alerts_crash, without a service's start-up.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.alerts import outbox
from monitor.config import load_settings
from monitor.storage.db import Database
from monitor.storage.models import AlertDelivery
from tests.support.alertdata import NOW, Change, seed_wave
from tests.support.httpserver import LocalHTTPServer, Reply

ROOT = Path(__file__).resolve().parents[1]
HOOK = "/services/T/B/service"


def _run(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "--json-logs", "run"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_service_delivers_the_outbox_once(
    sqlite_url: str, tmp_path: Path, http_server: LocalHTTPServer
) -> None:
    http_server.route(HOOK, Reply(200, b"ok"))
    config = tmp_path / "monitor.toml"
    config.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")} | {
        "MONITOR_DATABASE_URL": sqlite_url,
        "MONITOR_CONFIG": str(config),
        "MONITOR_DATA_DIR": str(tmp_path / "data"),
        "MONITOR_SCHEDULER__LEASE_SECONDS": "2",
        "MONITOR_SCHEDULER__HEARTBEAT_SECONDS": "0.3",
        "MONITOR_SLACK__ENABLED": "true",
        "MONITOR_SLACK_WEBHOOK_URL": http_server.url(HOOK),
    }
    settings = load_settings(env)
    db = Database(sqlite_url)
    try:
        with db.transaction() as s:
            episode = seed_wave(s)
            outbox.enqueue_spike_alert(
                s, Change(episode.id, episode.series_key, "start", 1, 5, 1.2), settings, NOW
            )
        first = _run(env, tmp_path / "first.log")
        try:
            http_server.wait_for(HOOK, 1, timeout=90)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with db.reader() as s:
                    if s.scalar(select(AlertDelivery.status)) == "sent":
                        break
                time.sleep(0.1)
        finally:
            _stop(first)
        assert first.returncode == 0, (tmp_path / "first.log").read_text()
        assert len(http_server.hits(HOOK)) == 1
        with db.reader() as s:
            assert s.scalars(select(AlertDelivery.status)).all() == ["sent"]
    finally:
        db.dispose()
