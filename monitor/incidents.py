"""Grouping reports into incidents: which articles tell of the same killing, and the incident's facts.

Pure: articles (with their extracted facts) and incident states in, decisions and updated states out; no
database, no clock. :mod:`monitor.storage.incidents` feeds it candidates and stores what it decides.

An article joins an incident when all of these hold:
- neither is a tally (a tally never becomes or joins an incident);
- same country, and compatible places: equal, or one inside the other (a town inside its city, a
  neighbourhood inside its town, anything inside its province or country); two different towns or two
  different cities never match;
- incident dates within ``window_hours`` of each other;
- a score of at least ``similarity``: the cosine similarity of the title and lede (content words, with
  the words every report of a killing shares weighed down), plus bonuses for the same precise place and
  the same day and victim group, minus penalties for a different victim group or an incompatible toll.
The best-scoring candidate wins; ties go to the earliest incident, so results depend only on input order.

Facts: the most precise place, the highest credible toll (a toll only rises; a jump to more than ten
times the current one, and above 20, is treated as a tally slipped through and ignored), and the first
victim group and method reported. Fields an analyst corrected (``locked_fields``) are never changed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from monitor.extract import Facts
from monitor.extract.gazetteer import Gazetteer, load

PRECISION_RANK = {"town": 0, "city": 1, "province": 2, "country": 3, None: 4}
FACT_FIELDS = ("occurred_on", "place", "deaths", "injured", "victim_group", "method", "title")
MAX_TEXTS = 6  # an incident is compared with its first few reports: enough, and bounded

_STOP_WORDS = """
    a an the of in on at to for from by with and or but as is was were are be been has have had it its
    this that these those he she they his her their him them who which after before when while during near
    said says police officials official according told reported report reports news local area city town
    karachi pakistan unidentified unknown armed men man people person victim victims"""
_STOP = frozenset(_STOP_WORDS.split())
#: Words in nearly every report of a killing: they say little about which killing.
_COMMON_WORDS = """
    killed kill kills killing shot dead gunned down gunmen martyred murdered attack attacked firing fire
    opened injured wounded hospital body motorcycle riding assailants fled escaped targeted death dies died
    monday tuesday wednesday thursday friday saturday sunday night morning evening yesterday"""
_COMMON = frozenset(_COMMON_WORDS.split())


@dataclass(frozen=True)
class Report:
    """One article as grouping sees it."""

    article_id: int
    outlet: str  # host of the article's link (independent outlets are distinct hosts)
    title: str
    lede: str
    published_at: dt.datetime
    facts: Facts


@dataclass
class IncidentState:
    """An incident as grouping sees it; ``id`` is None until stored."""

    id: int | None
    title: str
    occurred_on: dt.date
    place_key: str | None = None
    place_name: str | None = None
    place_precision: str | None = None
    city: str | None = None
    province: str | None = None
    country: str | None = None
    deaths: int | None = None
    injured: int | None = None
    victim_group: str | None = None
    method: str | None = None
    outlets: set[str] = field(default_factory=set)
    #: Every victim group any report named (primary or not): reports disagree on which one comes first.
    groups: set[str] = field(default_factory=set)
    article_ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    locked: frozenset[str] = frozenset()
    #: True once a report wrote the day itself ("on Tuesday", "yesterday", "5 March"); False while the
    #: date is only the publication day.
    date_precise: bool = False
    first_reported_at: dt.datetime | None = None
    last_updated_at: dt.datetime | None = None
    #: Tolls reported by each article, in order: (article id, deaths, injured).
    toll_history: list[tuple[int, int | None, int | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Match:
    index: int | None  # position in the candidate list; None: a new incident
    score: float
    reason: str


def tokens(text: str) -> Counter[str]:
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP and len(w) > 1]
    return Counter(words)


def similarity(a: str, b: str) -> float:
    """Cosine similarity of two texts' content words; report-of-a-killing words weigh a quarter."""
    ta, tb = tokens(a), tokens(b)

    def weight(word: str) -> float:
        return 0.25 if word in _COMMON else 1.0

    dot = sum(ta[w] * tb[w] * weight(w) ** 2 for w in ta.keys() & tb.keys())
    na = math.sqrt(sum((c * weight(w)) ** 2 for w, c in ta.items()))
    nb = math.sqrt(sum((c * weight(w)) ** 2 for w, c in tb.items()))
    return dot / (na * nb) if na and nb else 0.0


def _ancestors(gaz: Gazetteer, key: str) -> frozenset[str]:
    """Every place that contains ``key``: parents, its city, province and country (cached per key)."""
    cache = _ANCESTORS.setdefault(id(gaz), {})
    if key in cache:
        return cache[key]
    province_keys = _PROVINCE_KEYS.get(id(gaz))
    if province_keys is None:
        province_keys = {p.name: k for k, p in gaz.by_key.items() if p.precision == "province"}
        _PROVINCE_KEYS[id(gaz)] = province_keys
    out: set[str] = set()
    place = gaz.by_key.get(key)
    seen = 0
    while place is not None and seen < 10:
        seen += 1
        if place.parent_key:
            out.add(place.parent_key)
        if place.city_key and place.city_key != place.key:
            out.add(place.city_key)
        out.add(place.country.lower())
        if place.province and place.province in province_keys:
            out.add(province_keys[place.province])
        place = gaz.by_key.get(place.parent_key) if place.parent_key else None
    out.discard(key)
    cache[key] = frozenset(out)
    return cache[key]


# Per gazetteer (there is one per process): answers that never change, computed once.
_ANCESTORS: dict[int, dict[str, frozenset[str]]] = {}
_PROVINCE_KEYS: dict[int, dict[str, str]] = {}


def places_compatible(a: str | None, b: str | None, gaz: Gazetteer | None = None) -> bool:
    """Same place, or one inside the other. An unknown place is compatible with anything."""
    if a is None or b is None or a == b:
        return True
    gaz = gaz or load()
    return a in _ancestors(gaz, b) or b in _ancestors(gaz, a)


def _country_code(facts_country_key: str | None) -> str | None:
    return facts_country_key.split("/")[0] if facts_country_key else None


def score(report: Report, incident: IncidentState, *, window_hours: float, gaz: Gazetteer) -> Match | None:
    """How well ``report`` fits ``incident``; None when it cannot be the same incident."""
    f = report.facts
    if f.is_tally:
        return None
    if f.place_key and incident.place_key and _country_code(f.place_key) != _country_code(incident.place_key):
        return None
    if not places_compatible(f.place_key, incident.place_key, gaz):
        return None
    day = f.incident_date or report.published_at.date()
    gap_hours = abs((day - incident.occurred_on).days) * 24
    if gap_hours > window_hours:
        return None
    text = f"{report.title}. {report.lede}"
    sim = max((similarity(text, t) for t in incident.texts), default=0.0)
    bonus = 0.0
    reasons = [f"text {sim:.2f}"]
    if f.place_key and f.place_key == incident.place_key:
        same_precise = f.place_precision in {"town", "city"}
        bonus += 0.15 if f.place_precision == "town" else 0.08 if same_precise else 0.0
        reasons.append("same place")
    if day == incident.occurred_on:
        bonus += 0.05
    elif date_precise(f) and incident.date_precise:
        # Both reports name the day and the days differ: more likely two killings than one.
        bonus -= 0.2 * abs((day - incident.occurred_on).days)
        reasons.append("different day")
    if day > incident.occurred_on and (_ANOTHER.search(report.title) or _AFTER.search(report.lede)):
        # "Another teacher killed", "two days after a teacher was killed": the story itself says it is a
        # new killing, and the earlier incident is the one it refers to.
        bonus -= 0.6
        reasons.append("says it is another killing")
    if f.victim_group and incident.victim_group:
        mine = report_groups(f)
        if f.victim_group == incident.victim_group or _family(f.victim_group) == _family(
            incident.victim_group
        ):
            bonus += 0.15
            reasons.append("same victim group")
        elif mine & incident.groups:
            bonus += 0.05
            reasons.append("victim groups overlap")
        else:
            bonus -= 0.3
            reasons.append("different victim group")
    if not tolls_compatible(f.deaths, incident.deaths):
        bonus -= 0.2
        reasons.append("toll differs")
    return Match(None, sim + bonus, ", ".join(reasons))


# In a headline ("Another teacher killed in Malir") or a lede ("two days after a teacher was killed").
_ANOTHER = re.compile(r"(?i)\b(?:another|second|third|fourth|fresh|yet another)\b")
_AFTER = re.compile(r"(?i)\b(?:days?|weeks?) (?:after|since) (?:a|an|another)\b")
PRECISE_DATE_SOURCES = frozenset({"explicit", "relative", "weekday"})


def date_precise(facts: Facts) -> bool:
    return (facts.details or {}).get("date_source") in PRECISE_DATE_SOURCES


def report_groups(facts: Facts) -> set[str]:
    found = {g["value"] for g in (facts.details or {}).get("groups", []) if isinstance(g, dict)}
    return found | ({facts.victim_group} if facts.victim_group else set())


def _family(group: str) -> str:
    """MQM, MQM-P, MQM-H and MQM-L are reported interchangeably; so are JUI and JUI-F."""
    return group.split("-")[0]


def tolls_compatible(a: int | None, b: int | None) -> bool:
    """Tolls rise as the injured die, but one killing is not a massacre."""
    if a is None or b is None:
        return True
    low, high = sorted((a, b))
    return high - low <= 2 or high <= 3 * max(low, 1)


def best_match(
    report: Report,
    candidates: list[IncidentState],
    *,
    window_hours: float,
    threshold: float,
    gaz: Gazetteer | None = None,
) -> Match:
    """The candidate ``report`` belongs to (highest score >= threshold, earliest on ties), or a new one."""
    gaz = gaz or load()
    best: Match | None = None
    for index, incident in enumerate(candidates):
        found = score(report, incident, window_hours=window_hours, gaz=gaz)
        if found is None or found.score < threshold:
            continue
        if best is None or found.score > best.score + 1e-9:
            best = Match(index, found.score, found.reason)
    return best or Match(None, 0.0, "no candidate")


def credible_rise(current: int | None, new: int | None) -> bool:
    if new is None:
        return False
    if current is None:
        return True
    if new <= current:
        return False
    return not (new > 10 * max(current, 1) and new > 20)


def new_incident(report: Report) -> IncidentState:
    f = report.facts
    incident = IncidentState(
        id=None,
        title=report.title[:1000],
        occurred_on=f.incident_date or report.published_at.date(),
        first_reported_at=report.published_at,
        date_precise=date_precise(f),
    )
    apply(incident, report)
    return incident


def apply(incident: IncidentState, report: Report) -> list[str]:
    """Fold ``report`` into ``incident``; returns the fact fields that changed. Locked fields stay."""
    f = report.facts
    changed: list[str] = []

    def put(name: str, value: object) -> None:
        if getattr(incident, name) != value:
            setattr(incident, name, value)
            changed.append(name)

    if report.article_id not in incident.article_ids:
        incident.article_ids.append(report.article_id)
        incident.toll_history.append((report.article_id, f.deaths, f.injured))
    if report.outlet:
        incident.outlets.add(report.outlet)
    incident.groups |= report_groups(f)
    if len(incident.texts) < MAX_TEXTS:
        incident.texts.append(f"{report.title}. {report.lede}")
    if incident.first_reported_at is None or report.published_at < incident.first_reported_at:
        incident.first_reported_at = report.published_at
    incident.last_updated_at = max(filter(None, [incident.last_updated_at, report.published_at]))

    if date_precise(f) and not incident.date_precise and f.incident_date is not None:
        # The first report gave only its publication day; a later one names the day of the killing.
        if "occurred_on" not in incident.locked:
            put("occurred_on", f.incident_date)
        incident.date_precise = True

    place_locked = bool(incident.locked & {"place", "place_key", "place_name", "city", "province", "country"})
    if (
        not place_locked
        and f.place_key
        and (
            incident.place_key is None
            or PRECISION_RANK[f.place_precision] < PRECISION_RANK[incident.place_precision]
        )
    ):
        for name in ("place_key", "place_name", "place_precision", "city", "province", "country"):
            put(name, getattr(f, name))
    if "deaths" not in incident.locked and credible_rise(incident.deaths, f.deaths):
        put("deaths", f.deaths)
    if "injured" not in incident.locked and credible_rise(incident.injured, f.injured):
        put("injured", f.injured)
    for name in ("victim_group", "method"):
        if name not in incident.locked and getattr(incident, name) is None and getattr(f, name):
            put(name, getattr(f, name))
    return changed


@dataclass
class Grouping:
    incidents: list[IncidentState]
    #: article id -> index into ``incidents`` (tallies and skipped articles are absent).
    assignment: dict[int, int]
    tallies: list[int]


def group(reports: list[Report], *, window_hours: float = 72.0, threshold: float = 0.35) -> Grouping:
    """Group reports in the order given (the same order always gives the same incidents)."""
    gaz = load()
    incidents: list[IncidentState] = []
    assignment: dict[int, int] = {}
    tallies: list[int] = []
    for report in reports:
        if report.facts.is_tally:
            tallies.append(report.article_id)
            continue
        match = best_match(report, incidents, window_hours=window_hours, threshold=threshold, gaz=gaz)
        if match.index is None:
            incidents.append(new_incident(report))
            assignment[report.article_id] = len(incidents) - 1
        else:
            apply(incidents[match.index], report)
            assignment[report.article_id] = match.index
    return Grouping(incidents, assignment, tallies)
