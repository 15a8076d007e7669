"""When did it happen, and is the story a tally rather than one incident.

Dates are resolved against the publication time in the source's time zone (Pakistan Standard Time for
Pakistani outlets): "on Tuesday" is the latest Tuesday on or before the publication day, "last night" and
"yesterday" the day before, "on March 5" the latest March 5 not after publication. Nothing here reads the
clock.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ]
    )
    for m in names.split()
}
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:[0-2]?\d|3[01])(?:st|nd|rd|th)?"
_EXPLICIT = [
    re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<d>{_DAY})\b(?:,?\s+(?P<y>(?:19|20)\d\d))?", re.I),
    re.compile(rf"\b(?P<d>{_DAY})\s+(?:of\s+)?(?P<m>{_MONTH})\b(?:,?\s+(?P<y>(?:19|20)\d\d))?", re.I),
    re.compile(r"\b(?P<y>20\d\d)-(?P<mn>[01]\d)-(?P<d>[0-3]\d)\b"),
    # Pakistani and British usage: day first.
    re.compile(r"\b(?P<d>[0-3]?\d)/(?P<mn>[01]?\d)/(?P<y>20\d\d)\b"),
]
_WEEKDAY = re.compile(
    r"\b(?P<last>last\s+|this\s+|past\s+)?(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?P<night>\s+night|\s+evening|\s+late)?\b",
    re.I,
)
_EVENT_WEEKDAY = re.compile(
    r"\b(?P<last>)(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?P<night>)'s\s+(?:\w+\s+)?"
    r"(?:attack|firing|blast|killing|incident|shooting|clash|bombing|ambush|explosion|violence)",
    re.I,
)
_RELATIVE = [
    (
        re.compile(
            r"\b(?:yesterday|last night|late last night|on the previous day|previous night|"
            r"overnight|the night before)\b",
            re.I,
        ),
        1,
    ),
    (re.compile(r"\bday before yesterday\b", re.I), 2),
    (re.compile(r"\b(?:a day earlier|a day before|the day before)\b", re.I), 1),
    (
        re.compile(
            r"\b(?:today|this morning|this afternoon|this evening|tonight|earlier today|"
            r"on the same day)\b",
            re.I,
        ),
        0,
    ),
]
#: Vague references count only when nothing more precise is written anywhere in the lede.
_VAGUE = [
    (re.compile(r"\bearlier this week\b", re.I), 2),
    (re.compile(r"\blast week\b", re.I), 7),
]

_TALLY = re.compile(
    r"\b(?:this year|last year|this month|last month|so far|to date|since (?:january|february|march|april|"
    r"may|june|july|august|september|october|november|december|the start|the beginning|20\d\d)|"
    r"(?:over|in|during) the (?:past|last|previous) (?:\w+ )?(?:days?|weeks?|months?|years?|decades?)|"
    r"in (?:the )?(?:first|last) (?:\w+ )?(?:months?|weeks?|half|quarter)|"
    r"(?:in|during) (?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december)(?! \d)|in (?:19|20)\d\d(?! riots)|annual|a year|a month|per (?:day|month|year)|"
    r"monthly|yearly|figures|statistics|tally|report(?:ed)? by|according to (?:the )?(?:data|report|figures)|"
    r"claimed (?:\d+|[a-z]+) lives in|(?:between|from) (?:january|20\d\d)|past (?:week|month|year)|"
    r"since 20\d\d|in the (?:year|month) of|during the year|each year|every year|a day on average)\b",
    re.I,
)


@dataclass(frozen=True)
class DateResult:
    value: dt.date
    source: str  # explicit, weekday, relative, published


def local_date(published_at: dt.datetime, tz: str) -> dt.date:
    zone = ZoneInfo(tz)
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=zone)
    return published_at.astimezone(zone).date()


def _explicit(text: str, published: dt.date) -> dt.date | None:
    for pattern in _EXPLICIT:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            try:
                month = int(groups["mn"]) if groups.get("mn") else MONTHS[groups["m"].lower().rstrip(".")]
                day = int(re.sub(r"\D", "", groups["d"]))
                if groups.get("y"):
                    return dt.date(int(groups["y"]), month, day)
                candidate = dt.date(published.year, month, day)
            except (KeyError, ValueError):
                continue
            if candidate > published + dt.timedelta(days=1):
                try:
                    candidate = candidate.replace(year=published.year - 1)
                except ValueError:
                    continue
            # Only a date close to publication is the incident's; "since March 3" in a background
            # sentence of a story published in November is not.
            if (published - candidate).days <= 45:
                return candidate
    return None


def incident_date(sentences: list[str], published_at: dt.datetime, tz: str = "Asia/Karachi") -> DateResult:
    """The incident's date from the first sentences that carry one, else the publication date."""
    published = local_date(published_at, tz)
    vague: DateResult | None = None
    for text in sentences:
        found = _explicit(text, published)
        if found is not None:
            return DateResult(found, "explicit")
        for pattern, days in _RELATIVE:
            if pattern.search(text):
                return DateResult(published - dt.timedelta(days=days), "relative")
        # "Thursday's attack" names the event's day even when the sentence starts "Police on Saturday".
        match = _EVENT_WEEKDAY.search(text) or _WEEKDAY.search(text)
        if match:
            target = WEEKDAYS.index(match.group("wd").lower())
            back = (published.weekday() - target) % 7
            if match.group("last") and match.group("last").strip().lower() == "last" and back == 0:
                back = 7
            return DateResult(published - dt.timedelta(days=back), "weekday")
        for pattern, days in _VAGUE:
            if vague is None and pattern.search(text):
                vague = DateResult(published - dt.timedelta(days=days), "vague")
    return vague or DateResult(published, "published")


def is_tally_sentence(text: str) -> bool:
    """A count over a period ("300 killed in July", "181 lives this year") rather than one event."""
    return bool(_TALLY.search(text))
