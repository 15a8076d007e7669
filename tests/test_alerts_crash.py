"""The process killed between sending and marking sent: the message is re-sent once after the claim's
lease, the re-send is marked as a possible duplicate and counted, and nothing is sent a third time."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from monitor.alerts import outbox
from monitor.alerts.delivery import DUPLICATE_NOTE, deliver_due
from monitor.config import Settings
from monitor.storage.db import Database
from monitor.storage.models import AlertDelivery
from tests.support.alertdata import NOW, Change, seed_wave
from tests.support.httpserver import LocalHTTPServer, Reply

HOOK = "/services/T/B/crash"
PROJECT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import datetime as dt, os, signal, sys
    from monitor.config import load_settings
    from monitor.storage.db import Database
    from monitor.alerts.delivery import deliver_due

    settings = load_settings()
    db = Database(settings.database_url)
    now = dt.datetime.fromisoformat(sys.argv[1])
    # Killed right after the webhook accepted the message and before it is marked sent.
    deliver_due(db, settings, now, after_send=lambda _id: os.kill(os.getpid(), signal.SIGKILL))
    print("not killed")
    """
)


def test_kill_between_send_and_mark_gives_at_most_one_counted_duplicate(
    sqlite_url: str, make_settings: Callable[..., Settings], http_server: LocalHTTPServer, tmp_path: Path
) -> None:
    http_server.route(HOOK, Reply(200, b"ok"))
    env = {
        "MONITOR_DATABASE_URL": sqlite_url,
        "MONITOR_SLACK__ENABLED": "true",
        "MONITOR_SLACK__MIN_INTERVAL_SECONDS": "0",
        "MONITOR_SLACK_WEBHOOK_URL": http_server.url(HOOK),
        "MONITOR_CONFIG": str(tmp_path / "empty.toml"),
    }
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    settings = make_settings(env=env)
    db = Database(sqlite_url)
    try:
        with db.transaction() as s:
            episode = seed_wave(s)
            outbox.enqueue_spike_alert(
                s, Change(episode.id, episode.series_key, "start", 1, 5, 1.2), settings, NOW
            )

        child_env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")} | env
        child = subprocess.run(
            [sys.executable, "-c", CHILD, NOW.isoformat()],
            env=child_env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr
        assert "not killed" not in child.stdout
        assert len(http_server.hits(HOOK)) == 1
        with db.reader() as s:
            [row] = s.scalars(select(AlertDelivery)).all()
            assert (row.status, row.attempts) == ("sending", 1)

        # A restart within the lease leaves the claim alone (the sender might still be working).
        assert deliver_due(db, settings, NOW + dt.timedelta(seconds=60)).results == []
        # After the lease the claim is taken over: sent again, counted, and marked.
        after = NOW + dt.timedelta(seconds=settings.alerts.claim_lease_seconds + 1)
        summary = deliver_due(db, settings, after)
        assert (summary.sent, summary.reclaimed) == (1, 1)
        assert len(http_server.hits(HOOK)) == 2
        with db.reader() as s:
            [row] = s.scalars(select(AlertDelivery)).all()
            assert (row.status, row.last_error) == ("sent", DUPLICATE_NOTE)
        assert deliver_due(db, settings, after + dt.timedelta(hours=5)).results == []
        assert len(http_server.hits(HOOK)) == 2
    finally:
        db.dispose()
