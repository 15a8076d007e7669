"""The stages after a poll, run in order on a real database: queued articles are classified, flagged
ones become incidents, and running everything again changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from monitor.config import Settings
from monitor.stages import after_poll, classify_pending
from monitor.storage.db import Database
from monitor.storage.models import Article, Incident
from tests.support import seed


def test_after_poll_classifies_then_groups_into_incidents(settings: Settings, db: Database) -> None:
    with db.transaction() as s:
        dawn, geo = seed.feed(s, title="Dawn"), seed.feed(s, title="Geo")
        report = (
            "A worker of a political party was shot dead by two gunmen on a motorcycle in Orangi Town "
            "on Monday night, police said."
        )
        queued = {"score": None, "flagged": None, "published_at": seed.NOW}
        seed.article(s, dawn, "Party worker shot dead in Orangi Town", summary=report,
                     url="https://dawn.example/1", **queued)  # fmt: skip
        seed.article(s, geo, "Gunmen kill party worker in Karachi's Orangi Town", summary=report,
                     url="https://geo.example/2", **queued)  # fmt: skip
        seed.article(s, dawn, "Karachi stock exchange closes higher", summary="Shares rose on Tuesday.",
                     url="https://dawn.example/3", **queued)  # fmt: skip
    after_poll(settings, db, seed.NOW + dt.timedelta(hours=1))
    with db.reader() as s:
        articles = {a.url: a for a in s.scalars(select(Article))}
        assert all(a.classified_at is not None for a in articles.values())
        assert articles["https://dawn.example/1"].flagged and articles["https://geo.example/2"].flagged
        assert not articles["https://dawn.example/3"].flagged
        incidents = list(s.scalars(select(Incident)))
    assert len(incidents) == 1, "two outlets, one incident"
    assert incidents[0].outlet_count == 2
    assert incidents[0].place_key and "orangi" in incidents[0].place_key
    after_poll(settings, db, seed.NOW + dt.timedelta(hours=2))
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 1
    assert classify_pending(settings, db).classified == 0
