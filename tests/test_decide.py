"""Pure decisions: entry identity, new/changed/unchanged, and when to poll next."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from monitor import decide
from monitor.config import PollingSettings
from monitor.decide import Known, KnownArticle
from monitor.parse import ParsedEntry

NOW = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)
POLLING = PollingSettings(backoff_base_minutes=5, backoff_max_hours=24, max_retry_after_hours=24)


def entry(title: str = "t", *, url: str | None = None, guid: str = "", summary: str = "s") -> ParsedEntry:
    return ParsedEntry(guid, url or "", url, title, summary, "", NOW - dt.timedelta(hours=1), None)


def known_from(*pairs: tuple[ParsedEntry, int]) -> Known:
    known = Known()
    for e, article_id in pairs:
        article = KnownArticle(article_id, e.canonical_url, e.content_hash)
        if e.canonical_url:
            known.by_url[e.canonical_url] = article
        for key in decide.entry_keys(e):
            known.by_key[key] = article
        known.linked.add(article_id)
    return known


def test_everything_new_on_an_empty_database() -> None:
    plan = decide.plan_entries(
        [entry("a", url="https://x.org/a"), entry("b", guid="g-b"), entry("c")], Known()
    )
    assert [a.kind for a in plan.new] == ["new"] * 3
    assert plan.new[0].key.startswith("hash:")  # a link but no GUID: the key is the title hash
    assert plan.new[1].key == "guid:g-b"
    assert plan.new[2].key.startswith("hash:")


def test_unchanged_and_changed_by_url() -> None:
    old = entry("Title", url="https://x.org/a", guid="1")
    known = known_from((old, 7))
    plan = decide.plan_entries([old], known)
    assert [a.article_id for a in plan.unchanged] == [7] and not plan.new and not plan.changed
    edited = entry("Title (updated)", url="https://x.org/a", guid="1", summary="longer")
    plan = decide.plan_entries([edited], known)
    assert [a.article_id for a in plan.changed] == [7]


def test_guid_changing_every_poll_with_same_link_is_the_same_article() -> None:
    known = known_from((entry("T", url="https://x.org/a", guid="random-1"), 3))
    plan = decide.plan_entries([entry("T", url="https://x.org/a", guid="random-2")], known)
    assert [a.article_id for a in plan.unchanged] == [3]


def test_linkless_item_with_changing_guid_matches_by_title_and_date() -> None:
    first = entry("Linkless", guid="uuid-1")
    known = known_from((first, 4))
    plan = decide.plan_entries([entry("Linkless", guid="uuid-2")], known)
    assert [a.article_id for a in plan.unchanged] == [4]


def test_link_changed_but_guid_stable_updates_the_url() -> None:
    known = known_from((entry("T", url="https://x.org/old", guid="g"), 5))
    plan = decide.plan_entries([entry("T", url="https://x.org/new", guid="g")], known)
    assert plan.changed[0].article_id == 5
    assert plan.changed[0].new_canonical_url == "https://x.org/new"


def test_same_story_from_another_feed_links_without_duplicating() -> None:
    other = entry("Story", url="https://x.org/s")
    known = Known(by_url={"https://x.org/s": KnownArticle(9, "https://x.org/s", other.content_hash)})
    plan = decide.plan_entries([entry("Story", url="https://x.org/s", guid="mine")], known)
    assert not plan.new
    assert plan.unchanged[0].article_id == 9 and plan.unchanged[0].link_feed is True


def test_duplicates_inside_one_document_count_once() -> None:
    entries = [
        entry("first", guid="same"),
        entry("second", guid="same"),
        entry("A", url="https://x.org/a", guid="g1"),
        entry("A again", url="https://x.org/a", guid="g2"),
    ]
    plan = decide.plan_entries(entries, Known())
    assert [a.entry.title for a in plan.new] == ["first", "A"]
    assert plan.duplicates == 2


def test_lookup_keys_cover_urls_guids_and_title_hashes() -> None:
    urls, keys = decide.lookup_keys([entry("a", url="https://x.org/a", guid="g")])
    assert urls == {"https://x.org/a"}
    assert "guid:g" in keys and any(k.startswith("hash:") for k in keys)


# --- scheduling ----------------------------------------------------------------------------------------


def test_success_uses_the_interval_with_small_jitter() -> None:
    schedule = decide.schedule_success(NOW, 15, 0.5)
    assert schedule.next_poll_at == NOW + dt.timedelta(minutes=15)
    assert schedule.consecutive_failures == 0
    assert decide.schedule_success(NOW, 15, 0.0).next_poll_at >= NOW + dt.timedelta(minutes=14)


def test_backoff_doubles_and_is_capped_but_never_gives_up() -> None:
    delays = [decide.schedule_failure(NOW, n, POLLING, 0.5).next_poll_at - NOW for n in range(0, 12)]
    assert delays[0] == dt.timedelta(minutes=5)
    assert delays[1] == dt.timedelta(minutes=10)
    assert delays[2] == dt.timedelta(minutes=20)
    assert all(d <= dt.timedelta(hours=24) for d in delays)
    assert delays[-1] == dt.timedelta(hours=24)
    assert decide.schedule_failure(NOW, 10_000, POLLING, 0.9).consecutive_failures == 10_001


def test_retry_after_is_respected_and_clamped() -> None:
    schedule = decide.schedule_failure(NOW, 0, POLLING, 0.5, retry_after_seconds=3 * 3600)
    assert schedule.next_poll_at == NOW + dt.timedelta(hours=3)
    absurd = decide.schedule_failure(NOW, 0, POLLING, 0.5, retry_after_seconds=90 * 86400)
    assert absurd.next_poll_at == NOW + dt.timedelta(hours=24)


@given(st.integers(min_value=1, max_value=10_000), st.floats(min_value=0, max_value=0.999))
def test_backoff_is_bounded_for_any_failure_count(failures: int, jitter: float) -> None:
    seconds = decide.backoff_seconds(failures, POLLING, jitter)
    assert 0 < seconds <= 24 * 3600
