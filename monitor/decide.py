"""Pure decisions of a poll: which entries are new, changed or unchanged, and when to poll next.

Entry identity, first match wins:

1. the canonical URL of the item's link (the same story in several feeds is one article);
2. this feed's GUID key (``guid:<normalised guid>``), for items whose link changed or is missing;
3. this feed's title key (hash of title + date), for link-less items whose GUID is missing or changes
   on every poll.

A matched article whose content hash (title + text) differs is *changed*: it is updated and must be
classified again. Entries that resolve to the same identity inside one document (duplicate GUIDs,
the same link twice) count once, the first occurrence wins.

Scheduling: success -> the feed's interval (a few percent of jitter spreads the load); failure ->
exponential backoff ``base * 2^(n-1)`` with jitter, capped at ``backoff_max_hours`` and never given up;
a server's Retry-After is never undercut.

Nothing here does I/O or reads the clock: ``now`` and ``jitter`` (a number in [0, 1)) are arguments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from monitor.config import PollingSettings
from monitor.parse import ParsedEntry


@dataclass(frozen=True)
class KnownArticle:
    """What storage knows about an existing article, enough to match and compare."""

    id: int
    canonical_url: str | None
    content_hash: str


@dataclass
class Known:
    """Existing articles relevant to one feed's batch of entries (loaded by storage)."""

    by_url: dict[str, KnownArticle] = field(default_factory=dict)  #: canonical URL -> article
    by_key: dict[str, KnownArticle] = field(default_factory=dict)  #: this feed's entry keys -> article
    linked: set[int] = field(default_factory=set)  #: article ids this feed already carries


Kind = Literal["new", "changed", "unchanged"]


@dataclass(frozen=True)
class EntryAction:
    kind: Kind
    entry: ParsedEntry
    key: str  #: the entry key stored in article_feeds for this feed
    article_id: int | None  #: None for a new article
    #: For a matched article whose link changed: its new canonical URL (None: leave it alone).
    new_canonical_url: str | None = None
    link_feed: bool = False  #: True when this feed does not carry the article yet


@dataclass
class Plan:
    new: list[EntryAction] = field(default_factory=list)
    changed: list[EntryAction] = field(default_factory=list)
    unchanged: list[EntryAction] = field(default_factory=list)
    duplicates: int = 0


def title_key(entry: ParsedEntry) -> str:
    when = entry.published_at.isoformat() if entry.published_at else ""
    return "hash:" + hashlib.sha256(f"{entry.title}\x1f{when}".encode()).hexdigest()[:40]


def entry_keys(entry: ParsedEntry) -> list[str]:
    """The per-feed keys an entry may be known under, preferred first."""
    keys = []
    if entry.guid:
        keys.append("guid:" + entry.guid[:2000])
    keys.append(title_key(entry))
    return keys


def lookup_keys(entries: Iterable[ParsedEntry]) -> tuple[set[str], set[str]]:
    """(canonical URLs, entry keys) storage must look up for a batch."""
    urls: set[str] = set()
    keys: set[str] = set()
    for e in entries:
        if e.canonical_url:
            urls.add(e.canonical_url)
        keys.update(entry_keys(e))
    return urls, keys


def plan_entries(entries: Sequence[ParsedEntry], known: Known) -> Plan:
    plan = Plan()
    seen: set[tuple[str, object]] = set()
    for entry in entries:
        keys = entry_keys(entry)
        match = known.by_url.get(entry.canonical_url) if entry.canonical_url else None
        new_url = None
        if match is None:
            match = next((known.by_key[k] for k in keys if k in known.by_key), None)
            if match is not None and entry.canonical_url and match.canonical_url != entry.canonical_url:
                new_url = entry.canonical_url
        identity: tuple[str, object]
        if match is not None:
            identity = ("article", match.id)
        elif entry.canonical_url:
            identity = ("url", entry.canonical_url)
        else:
            identity = ("key", keys[0])
        if identity in seen:
            plan.duplicates += 1
            continue
        seen.add(identity)
        if entry.canonical_url:
            seen.add(("url", entry.canonical_url))
        key = keys[0]
        if match is None:
            plan.new.append(EntryAction("new", entry, key, None, link_feed=True))
            continue
        link = match.id not in known.linked
        if match.content_hash != entry.content_hash or new_url:
            plan.changed.append(EntryAction("changed", entry, key, match.id, new_url, link))
        else:
            plan.unchanged.append(EntryAction("unchanged", entry, key, match.id, None, link))
    return plan


# --- scheduling ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    next_poll_at: dt.datetime
    consecutive_failures: int


def backoff_seconds(failures: int, polling: PollingSettings, jitter: float) -> float:
    """Delay after the ``failures``-th consecutive failure: base * 2^(n-1), jittered +-25 %, capped."""
    n = max(failures, 1)
    base = polling.backoff_base_minutes * 60 * 2 ** min(n - 1, 40)
    cap = polling.backoff_max_hours * 3600
    return min(base * (0.75 + 0.5 * jitter), cap)


def schedule_success(now: dt.datetime, interval_minutes: float, jitter: float) -> Schedule:
    delay = interval_minutes * 60 * (0.95 + 0.1 * jitter)
    return Schedule(now + dt.timedelta(seconds=delay), 0)


def schedule_failure(
    now: dt.datetime,
    failures_before: int,
    polling: PollingSettings,
    jitter: float,
    retry_after_seconds: float | None = None,
) -> Schedule:
    failures = failures_before + 1
    delay = backoff_seconds(failures, polling, jitter)
    if retry_after_seconds is not None:
        delay = max(delay, min(retry_after_seconds, polling.max_retry_after_hours * 3600))
    return Schedule(now + dt.timedelta(seconds=delay), failures)
