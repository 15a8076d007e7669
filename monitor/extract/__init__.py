"""Facts from one flagged article: toll, place, victim group, method, date, and whether it is a tally.

Pure: :func:`extract` takes the title, the plain text and the publication time and returns
:class:`Facts`; no I/O, no clock. The gazetteer is loaded once per process from files shipped with the
package. Submodules: ``places`` (where), ``numbers`` (how many), ``groups`` (who, how), ``dates`` (when,
tally), ``text`` (sentences and name keys), ``gazetteer`` (the lists).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from monitor.extract import dates, groups, numbers, places
from monitor.extract.gazetteer import Place, load
from monitor.extract.text import clean, sentences

#: How many leading sentences make "the lede" (where facts about the event itself are written).
LEDE_SENTENCES = 3
#: Facts sit at the top of a story; the cap also bounds the regex work on hostile input.
MAX_CHARS = 12_000


@dataclass(frozen=True)
class Facts:
    deaths: int | None = None
    injured: int | None = None
    place_key: str | None = None
    place_name: str | None = None
    place_precision: str | None = None  # town, city, province, country
    city: str | None = None
    province: str | None = None
    country: str | None = None
    victim_group: str | None = None
    method: str | None = None
    incident_date: dt.date | None = None
    is_tally: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["incident_date"] = self.incident_date.isoformat() if self.incident_date else None
        return out


def place_fields(place: Place | None) -> dict[str, str | None]:
    if place is None:
        return {
            "place_key": None,
            "place_name": None,
            "place_precision": None,
            "city": None,
            "province": None,
            "country": None,
        }
    return {
        "place_key": place.key,
        "place_name": place.name,
        "place_precision": place.precision,
        "city": place.city,
        "province": place.province,
        "country": place.country_name,
    }


def extract(text: str, title: str, published_at: dt.datetime, *, tz: str = "Asia/Karachi") -> Facts:
    """Extract the facts of the incident an article reports (``tz``: the outlet's time zone)."""
    text, title = clean(text)[:MAX_CHARS], clean(title)[:500]
    body = [s for s in sentences(text) if s.text.strip()]
    lede, rest = body[:LEDE_SENTENCES], body[LEDE_SENTENCES:]
    lede_text = " ".join(s.text for s in lede)

    tally_idx = {i for i, s in enumerate(body) if dates.is_tally_sentence(s.text)}
    # A tally story: its headline or first sentence counts over a period and names no single event.
    first = body[0].text if body else ""
    tally_title = dates.is_tally_sentence(title) and numbers.sentence_deaths(title) is not None
    tally_lede = 0 in tally_idx and numbers.sentence_deaths(first) is not None
    is_tally = tally_title or tally_lede

    toll = numbers.toll(title, lede, rest, tally_idx)
    gaz = load()
    place, mentions = places.choose_place(gaz, title, text, tally=is_tally)
    primary, all_groups = groups.victim_groups(title, lede_text, " ".join(s.text for s in rest))
    how = groups.method(title + ". " + lede_text) or groups.method(text)
    when = dates.incident_date([*(s.text for s in body[: LEDE_SENTENCES + 1]), title], published_at, tz)
    details: dict[str, Any] = {
        "groups": all_groups,
        "date_source": when.source,
        "toll_evidence": list(toll.evidence),
        "places_mentioned": sorted({m.place.key for m in mentions}),
    }
    return Facts(
        deaths=None if is_tally else toll.deaths,
        injured=None if is_tally else toll.injured,
        **place_fields(place),
        victim_group=None if is_tally else primary,  # a tally has victims, not a victim group
        method=how,
        incident_date=when.value,
        is_tally=is_tally,
        details=details | ({"tally_deaths": toll.deaths} if is_tally else {}),
    )


__all__ = ["Facts", "extract", "place_fields"]
