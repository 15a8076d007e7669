# ruff: noqa: E501  (regex tables and example sentences read better unwrapped)
"""How many were killed and injured: counts written in digits or words, tied to a killing or wounding verb.

A number counts only when it sits next to such a verb ("at least 27 people were shot dead", "gunmen
killed two policemen", "the death toll rose to 5", "3 killed, 5 injured"); ages ("35-year-old"), years,
times, addresses, money and unrelated counts ("20 suspects arrested") never do, because they are not
attached to a killing verb. Sentences that describe a period ("this year", "in July") are left to the
tally detector and do not set an incident's toll.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.extract.text import Sentence

UNITS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "lone": 1,
    "two": 2,
    "both": 2,
    "twin": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "dozen": 12,
    "another": 1,
    "couple": 2,
    "pair": 2,
}
_WORD = "|".join(sorted(UNITS, key=len, reverse=True))
NUM = rf"(?:(?<![\w.,:/-])(?:\d{{1,3}}(?:,\d{{3}})+|\d{{1,4}})(?![\w:/%-]|[.,]\d)|\b(?:{_WORD})(?:[\s-](?:{_WORD}))?\b)"
_QUAL = r"(?:(?:at least|as many as|more than|over|some|nearly|almost|around|about|up to|a total of)\s+)?"

KILL_PASSIVE = (
    r"(?:shot dead|shot and killed|gunned down|killed|martyred|murdered|slain|assassinated|executed|"
    r"lynched|beheaded|stabbed to death|hacked to death|strangled(?: to death)?|tortured to death|"
    r"burnt alive|burned alive|shot to death|found dead|dead|died|lost (?:their|his|her) li(?:ves|fe)|"
    r"were shot|was shot(?! at)|succumbed)"
)
KILL_ACTIVE = (
    r"(?:killed|killing|kills|kill|shot dead|shooting dead|shoot dead|gunned down|gunning down|gun down|"
    r"guns down|murdered|murdering|martyred|martyring|assassinated|claimed the li(?:ves|fe) of|"
    r"stabbed to death|strangled|shot and killed)"
)
HURT_PASSIVE = r"(?:injured|wounded|hurt|critically injured|seriously injured|sustained (?:bullet )?injuries)"
HURT_ACTIVE = r"(?:injuring|injured|wounding|wounded|injures|wounds|leaving|left)"

# Words that may stand between a count and its verb ("three people including a policeman were killed").
_GAP = r"(?:\s+(?!(?:and|but|while|after|when|as|were|was|had|have|who|which|that|of the)\b)[\w'()-]+){0,7}?"
_AUX = r"\s+(?:(?:were|was|have been|has been|had been|are|is|got|reportedly|allegedly|also|later|all|"
_AUX += r"brutally|mercilessly|reported|been|being)\s+)*"

_SUBJ_KILL = re.compile(rf"(?P<n>{_QUAL}{NUM}){_GAP}{_AUX}{KILL_PASSIVE}\b", re.I)
_OBJ_KILL = re.compile(rf"\b{KILL_ACTIVE}\s+(?P<n>{_QUAL}{NUM})\b", re.I)
_TOLL = re.compile(
    rf"\b(?:death toll|toll|number of (?:the )?dead|fatalities|casualties)\s+(?:[\w'-]+\s+){{0,10}}?"
    rf"(?:rose|risen|rises|climbed|climbs|reached|jumped|increased|mounted|soared|went up|stood|stands|"
    rf"was|is|has reached|has risen|reaches|hit|hits)\s+(?:(?:to|at)\s+)?(?P<n>{_QUAL}{NUM})",
    re.I,
)
_CLAIMED = re.compile(rf"\bclaimed\s+(?P<n>{_QUAL}{NUM})\s+(?:more\s+)?li(?:ves|fe)\b", re.I)
_HEADLINE_KILL = re.compile(
    rf"(?P<n>{NUM})\s+(?:more\s+)?(?:[\w-]+\s+){{0,2}}?(?:killed|dead|die|martyred|slain|deaths|bodies)\b",
    re.I,
)
_SUBJ_HURT = re.compile(rf"(?P<n>{_QUAL}{NUM}){_GAP}{_AUX}{HURT_PASSIVE}\b", re.I)
_OBJ_HURT = re.compile(
    rf"\b{HURT_ACTIVE}\s+(?P<n>{_QUAL}{NUM})\b(?:\s+(?:\w+\s+){{0,3}}?(?P<left>injured|wounded|hurt))?", re.I
)
_POSSESSIVE_ONE = re.compile(
    rf"\b(?:his|her|their|the victim's)\s+(?:\w+\s+)?(?:son|daughter|wife|husband|brother|sister|father|"
    rf"mother|friend|cousin|nephew|guard|driver|companion|colleague|uncle)(?P<verb>{_AUX}(?:{HURT_PASSIVE}|{KILL_PASSIVE}))\b",
    re.I,
)
_HURT_SOMEONE = re.compile(
    r"\b(?:injured|wounded|injuring|wounding)\s+(?:his|her|their|a|an|one|another)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:son|daughter|wife|husband|brother|sister|father|mother|friend|cousin|nephew|guard|driver|companion|"
    r"colleague|uncle|passer-?by|bystander|man|woman|boy|girl|child|policeman|constable|person|other)\b",
    re.I,
)
_FIELD_DEATHS = re.compile(rf"\b(?:deaths|killed|dead|fatalities)\s*:\s*(?P<n>{NUM})", re.I)
_FIELD_INJURED = re.compile(rf"\b(?:injured|wounded)\s*:\s*(?P<n>{NUM})", re.I)
_BODY = re.compile(r"\b(?:an?|the)\s+(?:[\w-]+\s+){0,2}?body\s+(?:of|was|has been|had been)\b", re.I)
_BODIES = re.compile(rf"\bbodies of\s+(?P<n>{_QUAL}{NUM})\b", re.I)
# "a man and his son were shot dead", "shot dead a father and his son": two victims.
_PAIR_PASSIVE = re.compile(
    rf"\b(?:an?|one|the)\s+(?:[\w-]+\s+){{0,3}}?(?:and|&)\s+(?:an?|his|her|their|the|one)\s+(?:[\w-]+\s+){{0,2}}?"
    rf"(?:were|have been|had been)\s+(?:\w+\s+)?{KILL_PASSIVE}",
    re.I,
)
_PAIR_ACTIVE = re.compile(
    rf"\b{KILL_ACTIVE}\s+(?:an?|one)\s+(?:[\w-]+\s+){{0,3}}?(?:and|&)\s+(?:an?|his|her|their|one)\s+[\w-]+",
    re.I,
)
_ALONG_WITH = re.compile(
    rf"\balong with\s+(?:(?P<n>{NUM})\s+(?:[\w-]+\s+)?(?:companions|guards|friends|relatives|others|colleagues|associates)|"
    r"(?:his|her|their)\s+(?:driver|guard|son|brother|friend|companion|nephew|cousin|bodyguard|wife|father))",
    re.I,
)
_SUCCUMBED = re.compile(r"\bsuccumbed to (?:his|her|their|the)?\s*(?:injuries|wounds|bullet wounds)\b", re.I)
_SINGULAR_KILLED = re.compile(rf"\b(?:was|has been|had been)\s+(?:\w+\s+)?{KILL_PASSIVE}\b", re.I)
_NOT_A_COUNT = re.compile(
    r"^(?:[\s-]*(?:year|years|yr|month|months|week|weeks|day|days|hour|hours|minute|minutes|km|kilomet|"
    r"metre|meter|rounds|bullets|shots|per ?cent|percent|%|pm|am|a\.m|p\.m|o'clock|kg|rupees|suspects?|"
    r"accused|militants? (?:were )?arrested))",
    re.I,
)
_BAD_BEFORE = re.compile(
    r"(?:(?:father|mother|parent|one|each|some|many|none|all|both) of|No\.?|number|Block|Sector|Phase|Street|Road|Section|Sec\.|aged|age|Rs\.?|PKR|\$|at|Flat|House|"
    r"Plot|Lane|Gali|Unit|Scheme|Area|Town|Colony|page|FIR)\s*$",
    re.I,
)


def parse_number(raw: str) -> int | None:
    """'at least 27' -> 27, 'twenty-five' -> 25, 'a dozen' -> 12, 'two dozen' -> 24."""
    words = re.findall(r"\d+|[a-z]+", raw.lower().replace(",", ""))
    words = [
        w
        for w in words
        if w
        not in {
            "at",
            "least",
            "as",
            "many",
            "more",
            "than",
            "over",
            "some",
            "nearly",
            "almost",
            "around",
            "about",
            "up",
            "to",
            "total",
            "of",
        }
    ]
    if not words:
        return None
    if words[0].isdigit():
        return int(words[0])
    values = [UNITS[w] for w in words if w in UNITS]
    if not values:
        return None
    if len(values) == 2 and values[1] in {12, 100} and values[0] != 1:
        return values[0] * values[1]  # "two dozen", "three hundred"
    if len(values) == 2 and values[0] in {1} and values[1] in {12, 100, 2}:
        return values[1]  # "a dozen", "a hundred", "a couple"
    return sum(values) if len(values) == 2 and values[0] >= 20 else values[0]


def _valid(sentence: str, match: re.Match[str]) -> int | None:
    raw = match.group("n")
    value = parse_number(raw)
    if value is None or value <= 0:
        return None
    after = sentence[match.end("n") :]
    before = sentence[: match.start("n")]
    if _NOT_A_COUNT.match(after) or _BAD_BEFORE.search(before):
        return None
    if raw.strip().isdigit() and 1900 <= value <= 2100:
        return None  # a year
    if value > 5000:
        return None
    return value


@dataclass(frozen=True)
class Toll:
    deaths: int | None
    injured: int | None
    evidence: tuple[str, ...] = ()


def _best(sentence: str, patterns: list[re.Pattern[str]]) -> int | None:
    found = []
    for pattern in patterns:
        for match in pattern.finditer(sentence):
            value = _valid(sentence, match)
            if value is not None:
                found.append(value)
    return max(found) if found else None


def sentence_deaths(sentence: str) -> int | None:
    value = _best(sentence, [_SUBJ_KILL, _OBJ_KILL, _TOLL, _CLAIMED, _HEADLINE_KILL, _FIELD_DEATHS, _BODIES])
    if (value is None or value == 1) and (_PAIR_PASSIVE.search(sentence) or _PAIR_ACTIVE.search(sentence)):
        value = 2
    if value is None and (_SINGULAR_KILLED.search(sentence) or _BODY.search(sentence)):
        value = 1
    if value is None:
        possessive = _POSSESSIVE_ONE.search(sentence)
        if _SUCCUMBED.search(sentence) or (
            possessive and re.search(KILL_PASSIVE, possessive.group("verb"), re.I)
        ):
            value = 1
    along = _ALONG_WITH.search(sentence)
    if along and value == 1:
        extra = _valid(sentence, along) if along.group("n") else 1
        value += extra or 0
    return value


def mentions_killing(text: str) -> bool:
    """A killing verb with no count: a headline such as "Man shot dead in Lyari" means one death."""
    return re.search(rf"\b{KILL_PASSIVE}\b|\b{KILL_ACTIVE}\b", text, re.I) is not None


def sentence_injured(sentence: str) -> int | None:
    found = []
    for match in _FIELD_INJURED.finditer(sentence):
        value = _valid(sentence, match)
        if value is not None:
            found.append(value)
    for match in _SUBJ_HURT.finditer(sentence):
        if match.group("n").strip().lower() in {"a", "an"} and re.match(
            r"\s*" + HURT_PASSIVE, sentence[match.end("n") :], re.I
        ):
            continue  # "an injured policeman": an adjective, not a count
        value = _valid(sentence, match)
        if value is not None:
            found.append(value)
    for match in _OBJ_HURT.finditer(sentence):
        verb = match.group(0).split()[0].lower()
        # "leaving/left N" only counts when "injured" follows ("left three injured").
        if verb in {"leaving", "left"} and not match.group("left"):
            continue
        value = _valid(sentence, match)
        if value is not None:
            found.append(value)
    if _HURT_SOMEONE.search(sentence):
        found.append(1)
    possessive = _POSSESSIVE_ONE.search(sentence)
    if possessive and re.search(HURT_PASSIVE, possessive.group("verb"), re.I):
        found.append(1)
    return max(found) if found else None


def toll(title: str, lede: list[Sentence], rest: list[Sentence], skip: set[int]) -> Toll:
    """Deaths and injured from the title and lede first, then the rest (sentences in ``skip`` excluded)."""
    evidence: list[str] = []
    deaths: int | None = None
    injured: int | None = None
    for group in ([title], [s.text for i, s in enumerate(lede) if i not in skip]):
        for text in group:
            d, n = sentence_deaths(text), sentence_injured(text)
            if d is not None and (deaths is None or d > deaths):
                deaths = d
                evidence.append(text[:200])
            if n is not None and (injured is None or n > injured):
                injured = n
    offset = len(lede)
    for i, s in enumerate(rest):
        if i + offset in skip:
            continue
        update = _TOLL.search(s.text) or _CLAIMED.search(s.text)
        if update:  # a later "death toll rose to N" is an update of this incident
            value = _valid(s.text, update)
            if value is not None and (deaths is None or value > deaths):
                deaths = value
                evidence.append(s.text[:200])
        if deaths is None:
            deaths = sentence_deaths(s.text)
        if injured is None:
            injured = sentence_injured(s.text)
    if deaths is None and any(mentions_killing(t) for t in [title, *(s.text for s in lede)]):
        deaths = 1
    return Toll(deaths, injured, tuple(evidence))
