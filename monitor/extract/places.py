"""Where did it happen: gazetteer mentions in a story, and the one place the incident is filed under.

Rules, in order (each is a habit of news writing, not a statistical guess):
1. Mentions introduced as origin or destination ("a resident of Lyari", "shifted to Jinnah Hospital
   in Saddar", "hailing from Swat") or inside an institution's name ("Sindh High Court") do not count
   unless nothing else is found.
2. The city: the first mention written as a location ("in Orangi", "at Quetta", "Lyari's") in the title
   or the text; else the dateline ("KARACHI: ..."); else the first mention at all. A Karachi town stands
   for Karachi.
3. In Karachi, the town: the town chosen in step 2, else the first Karachi town mentioned.
4. No city: the first province, then the first country.
Ambiguous names (Hyderabad, Sindh or Telangana) go to the country the story mentions, Pakistan by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.extract.gazetteer import Gazetteer, Place
from monitor.extract.text import TOKEN, name_key

_LOCATIVE = {"in", "at", "near", "of", "outside", "inside", "within", "across", "on"}
_ORIGIN = re.compile(
    r"\b(resident|residents|native|natives|hailing|hailed|belonged|belonging|hometown|home town|"
    r"shifted|taken|moved|brought|transported|sent|rushed|referred|buried|laid to rest|funeral|"
    r"returned|return|visit|visiting|flown|flew|from|hails|originally|lived in|settled)\b[^.]{0,40}$",
    re.I,
)
#: A name followed by one of these is an institution, not where something happened.
_INSTITUTION = {
    name_key(w)
    for w in (
        "High Court",
        "Press Club",
        "University",
        "Stock Exchange",
        "Electric",
        "Chamber",
        "Bar",
        "Assembly",
        "Police Chief",
        "Government",
        "Airport",
        "Zoo",
        "Kings",
        "Qalandars",
        "Zalmi",
        "United",
        "Gladiators",
        "Sultans",
        "Board",
        "Club",
        "Port Trust",
        "Water",
        "Development",
        "Metropolitan Corporation",
        "Cantonment Board",
        "Grammar",
        "Medical College",
        "Literature Festival",
    )
}


@dataclass(frozen=True)
class Mention:
    place: Place
    start: int
    end: int
    locative: bool
    origin: bool
    institution: bool
    in_title: bool
    dateline: bool = False

    @property
    def plain(self) -> bool:
        return not (self.origin or self.institution)


_DATELINE = re.compile(r"^\s*([A-Z][A-Z .'-]{2,40}?)(?:\s*\([A-Za-z ]+\))?\s*(?:[:,]|\s-\s)")


def _acronym_ok(gaz: Gazetteer, key: str, surface: str) -> bool:
    # Short keys ("kp", "us", "dha", "dir") only count written as the gazetteer writes them, in capitals.
    if len(key.replace(" ", "")) > 3:
        return True
    letters = [c for c in surface if c.isalpha()]
    return all(c.isupper() for c in letters) or (surface[:1].isupper() and key in gaz.mixed_short)


def _joinable(previous: str, gap: str) -> bool:
    if re.fullmatch(r"[ &-]{1,3}", gap):
        return True
    return len(previous) == 1 and re.fullmatch(r"\. ?", gap) is not None  # initials: "D.I. Khan"


def find_mentions(gaz: Gazetteer, text: str, *, in_title: bool = False) -> list[Mention]:
    """Every gazetteer name in ``text`` (longest match wins), with its context."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in TOKEN.finditer(text)]
    out: list[Mention] = []
    i = 0
    while i < len(tokens):
        start, _, word = tokens[i]
        if not word[:1].isupper():
            i += 1
            continue
        found = None
        last = min(len(tokens), i + gaz.max_words)
        j = i + 1
        # Extend the span only across spaces, hyphens and the dots of initials.
        while j < last and _joinable(tokens[j - 1][2], text[tokens[j - 1][1] : tokens[j][0]]):
            j += 1
        for stop in range(j, i, -1):
            surface = text[start : tokens[stop - 1][1]]
            key = name_key(surface)
            places = gaz.lookup(key)
            if places and _acronym_ok(gaz, key, surface):
                found = (stop, key, places)
                break
        if not found:
            i += 1
            continue
        stop, key, places = found
        follower = name_key(" ".join(t[2] for t in tokens[stop : stop + 3]))
        blocked = gaz.blocked_followers.get(key, frozenset())
        if any(follower == b or follower.startswith(b + " ") for b in blocked):
            i = stop
            continue
        institution = any(follower == b or follower.startswith(b + " ") for b in _INSTITUTION)
        before = text[max(0, start - 60) : start]
        prev_words = re.findall(r"[A-Za-z']+", before)[-2:]
        locative = (
            bool(prev_words)
            and (
                prev_words[-1].lower() in _LOCATIVE
                or (
                    len(prev_words) == 2
                    and prev_words[-2].lower() in _LOCATIVE
                    and prev_words[-1].lower() == "the"
                )
            )
        ) or text[tokens[stop - 1][1] : tokens[stop - 1][1] + 2] == "'s"
        origin = bool(_ORIGIN.search(before.split(".")[-1]))
        for place in places:
            out.append(Mention(place, start, tokens[stop - 1][1], locative, origin, institution, in_title))
        i = stop
    return out


def dateline_mention(gaz: Gazetteer, text: str) -> Mention | None:
    """'KARACHI: ...', 'QUETTA, Pakistan (AP) - ...', 'Peshawar, Jan 5:' -> the place written there."""
    match = _DATELINE.match(text) or re.match(
        r"^\s*([A-Z][a-z]+(?: [A-Z][a-z]+)?)\s*(?::|,\s*[A-Z][a-z]{2,8}\.? \d)", text
    )
    if not match:
        return None
    places = [p for p in gaz.lookup(name_key(match.group(1))) if p.precision in {"city", "town"}]
    if not places:
        return None
    return Mention(places[0], match.start(1), match.end(1), False, False, False, False, dateline=True)


def _resolve(mentions: list[Mention], countries: set[str]) -> list[Mention]:
    """Keep one candidate per span: the one in a country the story names, else ours first."""
    by_span: dict[tuple[bool, int], list[Mention]] = {}
    for m in mentions:
        by_span.setdefault((m.in_title, m.start), []).append(m)
    out = []
    for group in by_span.values():
        named = [m for m in group if m.place.country in countries and m.place.country != "PK"]
        out.append(named[0] if named and not any(m.place.country == "PK" for m in named) else group[0])
    return out


def choose_place(
    gaz: Gazetteer, title: str, text: str, *, tally: bool = False
) -> tuple[Place | None, list[Mention]]:
    """The incident's place and all mentions considered (for the extraction details)."""
    title_mentions = find_mentions(gaz, title, in_title=True)
    body_mentions = find_mentions(gaz, text)
    dateline = dateline_mention(gaz, text)
    raw = title_mentions + [m for m in body_mentions if not (dateline and m.start == dateline.start)]
    countries = {m.place.country for m in raw if m.place.precision == "country"}
    if re.search(r"\b(India|Indian|Telangana|Andhra|Deccan)\b", title + " " + text):
        countries.add("IN")
    mentions = _resolve(raw, countries)
    if dateline:
        dl = _resolve(
            [
                Mention(p, dateline.start, dateline.end, False, False, False, False, True)
                for p in gaz.lookup(name_key(dateline.place.name))
                if p.precision in {"city", "town"}
            ],
            countries,
        )
        dateline = dl[0] if dl else dateline

    considered = mentions + ([dateline] if dateline else [])
    if tally:
        return _tally_place(mentions, dateline), considered
    # A Karachi town name ("Gulberg", "Saddar") is someone else's neighbourhood under another city's dateline.
    karachi_context = (dateline is None or dateline.place.city_key == "pk/karachi") or any(
        m.place.key == "pk/karachi" for m in mentions
    )
    if not karachi_context:
        mentions = [m for m in mentions if m.place.precision != "town"]
    local = [m for m in mentions if m.place.precision in {"town", "city"}]
    plain = [m for m in local if m.plain]
    anchor = next((m for m in plain if m.locative), None) or dateline
    if anchor is None and plain:
        anchor = plain[0]
    if anchor is None and local:
        anchor = local[0]
    if anchor is not None:
        chosen = anchor.place
        towns = [m.place for m in plain if m.place.precision == "town"]
        if chosen.city_key == "pk/karachi" and chosen.precision != "town" and towns:
            locative_towns = [m.place for m in plain if m.place.precision == "town" and m.locative]
            chosen = (locative_towns or towns)[0]
        if chosen.precision == "town" and _SEPARATE.search(text) and len(_roots(gaz, towns)) > 1:
            return gaz.by_key["pk/karachi"], considered  # a round-up of incidents across the city
        # The most specific: a neighbourhood within the chosen town, when the story names one.
        child = next((t for t in towns if chosen.key in _ancestors(gaz, t)), None)
        return child or chosen, considered
    for precision in ("province", "country"):
        found = [m for m in mentions if m.place.precision == precision]
        best = [m for m in found if m.plain] or found
        if best:
            return best[0].place, considered
    return None, considered


_SEPARATE = re.compile(r"(?i)\b(?:separate|different|various) (?:incidents|attacks|parts|areas|places)\b")


def _ancestors(gaz: Gazetteer, place: Place) -> list[str]:
    keys: list[str] = []
    current = place.parent_key
    while current and current not in keys:
        keys.append(current)
        parent = gaz.by_key.get(current)
        current = parent.parent_key if parent else None
    return keys


def _roots(gaz: Gazetteer, towns: list[Place]) -> set[str]:
    return {(_ancestors(gaz, t) or [t.key])[-1] for t in towns}


def _tally_place(mentions: list[Mention], dateline: Mention | None) -> Place | None:
    """A tally covers an area written in it ("in Khyber Pakhtunkhwa", "Pakistan saw"), not its dateline."""
    plain = [m for m in mentions if m.plain]
    chosen = next((m for m in plain if m.locative), None) or (plain[0] if plain else None) or dateline
    return chosen.place if chosen else None
