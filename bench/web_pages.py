"""How fast the review app's pages render with a large database (goal: under 200 ms each).

Seeds N articles (default 100,000; 30% flagged, some reviewed), 20,000 incidents and 300 feeds into a
fresh SQLite file and, when reachable, a fresh PostgreSQL database, then times each page through the
app (server-side render, what a user waits for minus the network) and prints median and p95.

    python bench/web_pages.py [--articles 100000] [--postgres postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.config import load_settings
from monitor.storage import reviews
from monitor.storage.db import Database, upgrade
from monitor.storage.models import Article, ArticleFeed, Feed, Incident, Review
from monitor.web import create_app
from monitor.web.security import hash_password

WORDS = [
    "gunmen",
    "shot",
    "dead",
    "worker",
    "Orangi",
    "police",
    "constable",
    "Lyari",
    "Korangi",
    "lawyer",
    "killed",
    "motorcycle",
    "unidentified",
    "political",
    "party",
    "trader",
    "market",
    "election",
    "cricket",
    "flood",
    "budget",
    "court",
    "hearing",
]
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def seed(db: Database, n_articles: int, rng: random.Random) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            insert(Feed),
            [{"url": f"https://outlet{i}.example/feed", "title": f"Outlet {i}", "added_at": NOW, "source": "cli",
              "enabled": True, "consecutive_failures": i % 7 == 0, "site_url": "", "next_poll_at": NOW}
             for i in range(300)],
        )  # fmt: skip
        conn.execute(
            insert(Incident),
            [{"title": f"Incident {i}", "occurred_on": (NOW - dt.timedelta(days=i % 700)).date(),
              "place_name": rng.choice(["Orangi Town", "Lyari", "Korangi", "Quetta"]), "status": "active",
              "deaths": rng.randint(1, 4), "outlet_count": 2, "article_count": 2,
              "first_reported_at": NOW, "last_updated_at": NOW}
             for i in range(20000)],
        )  # fmt: skip
        batch = []
        links = []
        for i in range(1, n_articles + 1):
            flagged = rng.random() < 0.3
            when = NOW - dt.timedelta(minutes=7 * i)
            batch.append(
                {"id": i, "canonical_url": f"https://outlet.example/{i}", "url": f"https://outlet.example/{i}",
                 "title": " ".join(rng.choices(WORDS, k=8)), "summary": " ".join(rng.choices(WORDS, k=40)),
                 "author": "", "content_hash": str(i), "published_at": when, "first_seen_at": when,
                 "last_changed_at": when, "score": rng.random(), "flagged": flagged, "model_version": "bench",
                 "reasons": ["shot dead +1.2"], "classified_at": when,
                 "incident_id": rng.randint(1, 20000) if flagged else None}
            )  # fmt: skip
            links.append({"article_id": i, "feed_id": rng.randint(1, 300), "entry_key": str(i),
                          "first_seen_at": when, "last_seen_at": when})  # fmt: skip
            if len(batch) == 5000:
                conn.execute(insert(Article), batch)
                conn.execute(insert(ArticleFeed), links)
                batch, links = [], []
        if batch:
            conn.execute(insert(Article), batch)
            conn.execute(insert(ArticleFeed), links)
        conn.execute(
            insert(Review),
            [{"article_id": i, "verdict": rng.choice(reviews.VERDICTS), "note": "", "created_at": NOW}
             for i in range(1, n_articles + 1, 10)],
        )  # fmt: skip
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    with db.transaction() as s:
        reviews.add_user(s, "bench", hash_password("bench password 1"), NOW)


PAGES = [
    "/",
    "/review",
    "/review?order=uncertain",
    "/review?verdict=confirmed",
    "/review?q=lawyer",
    "/review?page=20",
    "/incidents",
    "/incidents/123",
    "/articles/777",
    "/feeds",
    "/alerts",
    "/api/incidents?limit=500",
]


def measure(db: Database, settings_env: dict[str, str], repeats: int) -> list[tuple[str, float, float]]:
    settings = load_settings(settings_env)
    app = create_app(settings, db)
    client = app.test_client()
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": "bench", "password": "bench password 1", "csrf_token": token})
    results = []
    for path in PAGES:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        times.sort()
        results.append((path, statistics.median(times), times[int(len(times) * 0.95) - 1]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("sqlite", f"sqlite:///{tmp}/bench.db", None)]
        name = f"bench_web_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            targets.append(("postgresql", admin.url.set(database=name).render_as_string(False), admin))
        except Exception as exc:
            print(f"postgresql: skipped ({exc.__class__.__name__}: {exc})")
        for label, url, admin_engine in targets:
            try:
                upgrade(url)
                db = Database(url)
                start = time.perf_counter()
                seed(db, args.articles, random.Random(7))
                print(f"\n{label}: seeded {args.articles:,} articles in {time.perf_counter() - start:.1f} s")
                env = {"MONITOR_DATABASE_URL": url, "MONITOR_DATA_DIR": tmp}
                print(f"{'page':32} {'median ms':>10} {'p95 ms':>8}")
                worst = 0.0
                for path, median, p95 in measure(db, env, args.repeats):
                    worst = max(worst, p95)
                    print(f"{path:32} {median:10.1f} {p95:8.1f}")
                print(f"{label}: slowest p95 {worst:.1f} ms (goal < 200 ms)")
                db.dispose()
            finally:
                if admin_engine is not None:
                    with admin_engine.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    admin_engine.dispose()


if __name__ == "__main__":
    main()
