"""Pure rules of the outbox: alert keys, Message-IDs, silence matching and retry back-off.

No I/O and no clock reads: every function takes what it needs (``now`` included) as arguments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SILENCE_FIELDS = ("place", "victim_group", "keyword")


def spike_key(series_key: str, started_on: dt.date, level: int) -> str:
    """The stable identity of one spike alert: the same decision always yields the same key."""
    return f"spike:{series_key}:{started_on.isoformat()}:{level}"


def digest_key(week: str) -> str:
    return f"digest:{week}"


def message_id(key: str, sender: str) -> str:
    """``<hash-of-key@host>``: stable, so a duplicate sent after a crash carries the same Message-ID."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    host = sender.rpartition("@")[2].strip(" <>") or "karachi-monitor.invalid"
    host = re.sub(r"[^A-Za-z0-9.-]", "", host) or "karachi-monitor.invalid"
    return f"<{digest}@{host}>"


def fingerprint(content: Mapping[str, Any]) -> str:
    """A short hash of what an alert says, to tell a changed episode from an unchanged one."""
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# --- silences ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SilenceRule:
    id: int
    field: str  # place, victim_group, keyword
    value: str
    until: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class AlertFacts:
    """What silences are matched against, taken from an alert's payload."""

    places: tuple[str, ...]  # the series key and label and the places named by the series
    victim_groups: tuple[str, ...]  # one per incident (empty string when unknown)
    texts: tuple[str, ...]  # the series label and every incident title


def _norm(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.strip().lower())


def facts_from_payload(payload: Mapping[str, Any]) -> AlertFacts:
    series_key = str(payload.get("series_key") or "")
    label = str(payload.get("series_label") or "")
    places = [series_key, label]
    # "town:pk/karachi/lyari" names pk, karachi and lyari; "city:pk/karachi" names pk and karachi.
    tail = series_key.partition(":")[2]
    places += [part for part in tail.split("/") if part]
    incidents = payload.get("incidents") or []
    groups = tuple(str(i.get("victim_group") or "") for i in incidents)
    texts = (label, *(str(i.get("title") or "") for i in incidents))
    return AlertFacts(tuple(p for p in places if p), groups, texts)


def silence_matches(rule: SilenceRule, facts: AlertFacts) -> bool:
    """Does ``rule`` mute an alert with these facts?

    A silence mutes an alert only when the muted thing accounts for the whole alert: the series is that
    place, every incident is of that victim group, or the keyword is in the series label or in every
    incident title. A wave that merely includes one muted incident among others still alerts, because a
    silence must never hide more than its author meant to.
    """
    value = _norm(rule.value)
    if not value:
        return False
    if rule.field == "place":
        return any(_norm(p) == value for p in facts.places)
    if rule.field == "victim_group":
        return bool(facts.victim_groups) and all(_norm(g) == value for g in facts.victim_groups)
    if rule.field == "keyword":
        label, *titles = facts.texts
        if value in _norm(label):
            return True
        return bool(titles) and all(value in _norm(t) for t in titles)
    return False


def first_matching_silence(
    rules: Iterable[SilenceRule], facts: AlertFacts, now: dt.datetime
) -> SilenceRule | None:
    for rule in rules:
        if rule.until > now and silence_matches(rule, facts):
            return rule
    return None


# --- retries -------------------------------------------------------------------------------------------


def backoff_seconds(
    attempts: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before the next attempt, after ``attempts`` failed ones (1 = first failure).

    Exponential with "equal jitter" (half fixed, half random), so a burst of failed deliveries does not
    come back at the same instant; capped at ``cap``. A server's Retry-After is a floor: we never come
    back sooner than asked, but an absurd value is clamped to ``cap`` so one answer cannot park the
    outbox for a month.
    """
    rng = rng or random.Random()
    exp = min(cap, base * (2 ** max(0, attempts - 1)))
    delay = exp / 2 + rng.uniform(0, exp / 2)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, cap))
    return delay


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Retry-After as seconds (``120``) or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def other_channels(failed: str, channels: Sequence[str]) -> list[str]:
    return [c for c in channels if c != failed]
