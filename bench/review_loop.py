"""The learning loop, measured: 200 written-and-reviewed verdicts on a seeded SQLite database, then
`monitor model evaluate-reviews`, `monitor model retrain` and `evaluate-reviews` again; prints the
held-out false-positive rate before and after.

    python bench/review_loop.py
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.storage import reviews  # noqa: E402
from monitor.storage.db import Database, upgrade  # noqa: E402
from tests.support import seed  # noqa: E402
from tests.support.review_scenario import scenario  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/loop.db"
        upgrade(url)
        db = Database(url)
        now = dt.datetime.now(dt.UTC)
        with db.transaction() as s:
            feed = seed.feed(s)
            for title, text, label in scenario():
                article = seed.article(s, feed, title, summary=text)
                reviews.record_review(s, article.id, None, "confirmed" if label else "rejected", "", now)
        db.dispose()
        env = {**os.environ, "MONITOR_DATABASE_URL": url, "MONITOR_DATA_DIR": f"{tmp}/data"}
        monitor = [sys.executable, "-m", "monitor", "--log-level", "WARNING"]
        for args in (["model", "evaluate-reviews"], ["model", "retrain"], ["model", "evaluate-reviews"]):
            print("$ monitor " + " ".join(args))
            subprocess.run([*monitor, *args], env=env, check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
