# ruff: noqa: E501  (regex tables and example sentences read better unwrapped)
"""Who was targeted (party, sect, ethnicity, profession) and how (gunmen, bomb, knife, ...).

Groups are looked for where the victim is named: the words just before and after a killing verb in the
title and lede ("an MQM worker was shot dead", "gunmen killed two policemen"), then in the rest of the
lede. Police as the source of a statement ("police said", "according to police") is not a victim.
The primary group is the first one found in the victim's phrase; when one phrase names several ("a Shia
doctor", "a Pashtun transporter"), a party beats a sect, a sect beats an ethnicity and an ethnicity beats a
profession: an identity named in a report of a targeted killing is usually the motive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# value -> (kind, pattern). Patterns are matched case-sensitively where a capital matters (party acronyms).
_GROUPS: list[tuple[str, str, str]] = [
    ("mqm-h", "party", r"\bMQM[- ]?H(?:aqiqi)?\b|\bHaqiqi\b"),
    ("mqm-p", "party", r"\bMQM[- ]?P(?:akistan)?\b"),
    ("mqm-l", "party", r"\bMQM[- ]?L(?:ondon)?\b"),
    ("mqm", "party", r"\bMQM\b|\bMuttahida Qaumi Movement\b|\bMuttahida\b"),
    ("psp", "party", r"\bPSP\b|\bPak Sarzameen Party\b"),
    ("ppp", "party", r"\bPPP\b|\bPakistan Peoples? Party\b|\bPeoples Party\b|\bJiyala\b"),
    ("anp", "party", r"\bANP\b|\bAwami National Party\b"),
    ("pti", "party", r"\bPTI\b|\bTehreek-e-Insaf\b|\bTehreek-i-Insaf\b|\bInsaf\b"),
    ("pml-n", "party", r"\bPML[- ]?N\b|\bMuslim League[- ]\(?N\)?|\bMuslim League-Nawaz\b"),
    ("ji", "party", r"\bJI\b|\bJamaat-e-Islami\b|\bJamaat-i-Islami\b"),
    ("jui-f", "party", r"\bJUI[- ]?F?\b|\bJamiat Ulema-e-Islam\b|\bJamiat Ulema-i-Islam\b"),
    ("sunni-tehreek", "party", r"\bSunni Tehreek\b|\bST\b"),
    (
        "aswj",
        "party",
        r"\bASWJ\b|\bAhle Sunnat Wal Jamaat\b|\bAhl-e-Sunnat Wal Jamaat\b|\bSipah-e-Sahaba\b|\bSSP\b",
    ),
    ("bnp", "party", r"\bBNP\b|\bBalochistan National Party\b"),
    ("ttp", "party", r"\bTTP\b"),
    ("ahmadi", "sect", r"(?i:\bAhmadis?\b|\bAhmadiyya\b|\bQadiani)"),
    ("hazara", "sect", r"\bHazaras?\b"),
    ("ismaili", "sect", r"(?i:\bIsmailis?\b)"),
    ("bohra", "sect", r"(?i:\bBohras?\b|\bDawoodi\b)"),
    ("shia", "sect", r"(?i:\bShias?\b|\bShiites?\b|\bShi'ite\b|\bImambargah\b|\bMajlis-e-Wahdat)|\bMWM\b"),
    ("sunni", "sect", r"\bSunnis?\b(?! Tehreek)|\bBarelvi\b|\bDeobandi\b"),
    ("christian", "sect", r"(?i:\bChristians?\b|\bchurch\b|\bpastor\b)"),
    ("hindu", "sect", r"(?i:\bHindus?\b|\bmandir\b)"),
    ("sikh", "sect", r"(?i:\bSikhs?\b)"),
    (
        "polio_worker",
        "profession",
        r"(?i:\bpolio (?:vaccinators?|workers?|teams?|volunteers?|drive)|\bvaccinators?\b|\blady health workers?)",
    ),
    (
        "police",
        "profession",
        r"(?i:\bpolicem[ae]n\b|\bpolice (?:officers?|officials?|constables?|personnel|inspector|guards?|cop)\b|\bcops?\b|\bconstables?\b|\bhead constable\b|\bASI\b|\bSHO\b|\bDSP\b|\bSSP\b|\bsub-inspector\b|\binspector\b|\bCTD (?:officials?|officers?)\b|\btraffic wardens?\b|\blevies\b)",
    ),
    (
        "rangers",
        "profession",
        r"(?i:\brangers? (?:officials?|personnel|m[ae]n|jawans?|soldiers?|officers?|sepoys?|troopers?|guards?)\b|\bparamilitary (?:soldiers?|personnel|troopers?|m[ae]n)\b)",
    ),
    (
        "fc",
        "profession",
        r"\bFC (?:personnel|soldiers?|m[ae]n|officials?|jawans?|officers?)\b|(?i:\bFrontier Corps (?:personnel|soldiers?|m[ae]n|officials?|officers?)\b)",
    ),
    (
        "soldier",
        "profession",
        r"(?i:\bsoldiers?\b|\bsepoys?\b|\btroops?\b|\barmy (?:officers?|personnel|major|captain)\b|\bsecurity personnel\b|\bsecurity forces\b|\bnaval officers?\b|\bservicem[ae]n\b|\bmajor\b|\bcaptain\b)",
    ),
    (
        "journalist",
        "profession",
        r"(?i:\bjournalists?\b|\breporters?\b|\bcorrespondents?\b|\bcameram[ae]n\b|\bnewsm[ae]n\b|\bpress photographers?\b|\bnews anchors?\b|\bbloggers?\b|\beditors?\b)",
    ),
    (
        "lawyer",
        "profession",
        r"(?i:\blawyers?\b|\badvocates?\b|\bbarristers?\b|\bprosecutors?\b|\bpublic prosecutor\b)",
    ),
    ("judge", "profession", r"(?i:\bjudges?\b|\bjudicial magistrate\b|\bsessions judge\b)"),
    (
        "doctor",
        "profession",
        r"(?i:\bdoctors?\b|\bdr\.?\s|\bsurgeons?\b|\bphysicians?\b|\bdentists?\b|\bcardiologists?\b|\bparamedics?\b)",
    ),
    (
        "teacher",
        "profession",
        r"(?i:\bteachers?\b|\bprofessors?\b|\blecturers?\b|\bprincipal\b|\bschoolteachers?\b)",
    ),
    (
        "aid_worker",
        "profession",
        r"(?i:\baid workers?\b|\bNGO workers?\b|\bhumanitarian workers?\b|\bsocial workers?\b|\bcharity workers?\b|\bEdhi\b)",
    ),
    (
        "religious_scholar",
        "profession",
        r"(?i:\bclerics?\b|\bscholars?\b|\bprayer leader\b|\bpesh imam\b|\bimam\b|\bmaulana\b|\bmaulvi\b|\bmufti\b|\ballama\b|\bprayer-leader\b|\bseminary\b|\bzakir\b)",
    ),
    (
        "trader",
        "profession",
        r"(?i:\btraders?\b|\bshopkeepers?\b|\bbusinessm[ae]n\b|\bmerchants?\b|\bjewell?ers?\b|\b(?:shop|bakery|hotel|restaurant|factory|store|business|property) owners?\b|\bproperty dealers?\b|\bvendors?\b|\bbuilders?\b|\btransporters?\b|\bindustrialists?\b)",
    ),
    (
        "driver",
        "profession",
        r"(?i:\brickshaw drivers?\b|\btaxi drivers?\b|\brickshaw\b|\bcab drivers?\b|\bbus drivers?\b|\bdrivers?\b|\bchingchi\b)",
    ),
    (
        "activist",
        "profession",
        r"(?i:\bactivists?\b|\brights defenders?\b|\bhuman rights\b|\btrade unionists?\b|\bunion leaders?\b|\bstudent leaders?\b)",
    ),
    (
        "politician",
        "profession",
        r"(?i:\bpoliticians?\b|\blawmakers?\b|\bMPAs?\b|\bMNAs?\b|\bsenators?\b|\bcouncillors?\b|\bunion council chairman\b|\bminister\b|\bgovernment officials?\b|\bleader\b|\bparty workers?\b|\bpolitical workers?\b|\bgovernment officers?\b|\bbureaucrats?\b|\bdeputy commissioner\b|\bassistant commissioner\b|\btehsildar\b)",
    ),
    ("pashtun", "ethnicity", r"(?i:\bPashtuns?\b|\bPakhtuns?\b|\bPathans?\b)"),
    ("baloch", "ethnicity", r"(?i:\bBaloch\b|\bBaluch\b)(?!istan)"),
    ("sindhi", "ethnicity", r"(?i:\bSindhis?\b)"),
    ("mohajir", "ethnicity", r"(?i:\bMohajirs?\b|\bMuhajirs?\b|\bUrdu-speaking\b)"),
    (
        "punjabi",
        "ethnicity",
        r"(?i:\bPunjabis?\b|\b(?:labourers?|workers?|settlers?|passengers?|men|people) from Punjab\b)",
    ),
]
_COMPILED = [(value, kind, re.compile(pattern)) for value, kind, pattern in _GROUPS]
_RANK = {"party": 0, "sect": 1, "ethnicity": 2, "profession": 3}

#: Police as speaker, investigator or place, not as victim.
_POLICE_SOURCE = re.compile(
    r"(?i)\b(?:police|SHO|SSP|DSP|inspector|officials?)\s+(?:said|say|says|told|added|stated|reached|arrived|"
    r"registered|arrested|are|were investigating|have|has|recovered|shifted|took|launched|conducted|"
    r"suspect|suspected|believe|quoted|spokesman|spokesperson|surgeon|station|stations|chief|sources|"
    r"officials said|and rescue|investigators?|raided|cordoned)\b|according to (?:the )?(?:police|officials?)|"
    r"\b(?:[A-Z][a-z]+ )*police station\b|\bpolice (?:surgeon|said)|\btold (?:the )?police\b|"
    r"\bpolice(?:'s)? (?:spokesman|official said)|\b[A-Z][a-z]+ (?:SHO|SSP|DSP)\b|(?:SHO|SSP|DSP|SP)\s+[A-Z][a-z]+ said|"
    r"\bthe police\b|\b(?:CTD|police) (?:claimed|said)|"
    r"\b(?:MQM|PPP|ANP|PTI|PSP|JI)\s+(?:has |have )?(?:condemned|said|blamed|demanded|announced|leaders? (?:condemned|said))"
)
_VICTIM_WINDOW = re.compile(
    r"(?i)\b(?:killed|shot dead|gunned down|murdered|martyred|slain|assassinated|shot|died|dead|body|bodies|"
    r"targeted|attack(?:ed)? on|injured|wounded|killing|victim|victims|murder of|killing of|funeral)\b"
)

METHODS: list[tuple[str, re.Pattern[str]]] = [
    ("drone_strike", re.compile(r"(?i)\bdrone\b")),
    ("suicide_bombing", re.compile(r"(?i)\bsuicide (?:bomb|attack|blast|bomber)")),
    ("grenade", re.compile(r"(?i)\bgrenades?\b")),
    (
        "bomb",
        re.compile(
            r"(?i)\b(?:IED|improvised explosive|bomb|explosive device|explosives|blast|explosion|magnetic bomb|car bomb|landmine)\b"
        ),
    ),
    (
        "tortured_body",
        re.compile(
            r"(?i)\b(?:tortured|bullet-riddled|mutilated|decomposed|sack)\b[^.]{0,40}\bbod(?:y|ies)\b|\bbod(?:y|ies)\b[^.]{0,60}\b(?:torture|tortured|bore marks)"
        ),
    ),
    ("strangled", re.compile(r"(?i)\bstrangl|\bthrottled|\bsuffocated")),
    ("knife", re.compile(r"(?i)\bstabb|\bknife|\bdagger|\bhacked|\baxe\b|\bsharp-edged|\bslit")),
    ("sniper", re.compile(r"(?i)\bsnipers?\b")),
    ("lynching", re.compile(r"(?i)\blynch|\bmob\b")),
    (
        "drive_by",
        re.compile(
            r"(?i)\bdrive-by\b|\bfrom a (?:moving |speeding )?(?:car|vehicle)\b|\bcar-borne\b|\bcar-riding\b"
        ),
    ),
    (
        "motorcycle_gunmen",
        re.compile(r"(?i)\bmotorcycle|\bmotorbike|\bbike-riding|\bbike-borne|\bpillion|\bon a bike\b"),
    ),
    (
        "gunmen",
        re.compile(
            r"(?i)\bgunm[ae]n|\bgunned down|\bshot|\bfiring|\bopened fire|\bgunfire|\bbullet|\bpistol|\bassailants|\bgun\b|\bfired\b|\bKalashnikov|\bsprayed"
        ),
    ),
]


@dataclass(frozen=True)
class GroupHit:
    value: str
    kind: str
    start: int


#: Place names and relations that contain a group word without naming the victim's group:
#: "Soldier Bazaar", "Muhajir Camp", "the son of a judge", "a polio team guard".
_NOT_VICTIM = [
    re.compile(
        r"\b[A-Z][\w-]*\s+(?:Bazaa?r|Camp|Colony|Town|Road|Chowk|Lines|Market|Street|Goth|Nagar|Headquarters|Academy|Hospital)\b"
    ),
    re.compile(
        r"(?i)\b(?:sons?|daughters?|wife|brothers?|guards?|drivers?|nephews?|relatives?|cousins?|fathers?|"
        r"mothers?|sisters?|husband)\s+of\s+(?:an?\s+|the\s+)?(?P<who>(?:[\w-]+\s+){0,2}[\w-]+)"
    ),
    re.compile(
        r"(?i)\b(?P<who>(?:[\w-]+\s+){0,2}?[\w-]+?)(?:'s)?\s+(?:sons?|daughters?|wife|brothers?|guards?|"
        r"drivers?|nephews?|relatives?|cousins?|fathers?|mothers?|sisters?|husband|bodyguards?)\b"
    ),
]


def _blank(m: re.Match[str]) -> str:
    """Spaces over the group-word part of a match (the ``who`` group if there is one), offsets kept."""
    if "who" not in m.re.groupindex:
        return " " * len(m.group(0))
    a, b = m.span("who")
    whole = m.group(0)
    return whole[: a - m.start()] + " " * (b - a) + whole[b - m.start() :]


def _mask(text: str) -> str:
    text = _POLICE_SOURCE.sub(lambda m: " " * len(m.group(0)), text)
    for pattern in _NOT_VICTIM:
        text = pattern.sub(_blank, text)
    return text


def _hits(text: str) -> list[GroupHit]:
    masked = _mask(text)
    hits = []
    for value, kind, pattern in _COMPILED:
        for match in pattern.finditer(masked):
            hits.append(GroupHit(value, kind, match.start()))
    # A more specific party ("MQM-P") hides the generic one at the same spot ("MQM").
    kept: list[GroupHit] = []
    for hit in sorted(hits, key=lambda h: (h.start, _RANK[h.kind])):
        if any(k.start == hit.start and k.kind == hit.kind for k in kept):
            continue
        kept.append(hit)
    return kept


_AFFILIATION = re.compile(
    r"(?i)\b(?:associated|affiliated|linked|attached) with\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,3}|"
    r"\b(?:belonged|belonging) to\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,3}|\b(?:member|worker|activist|supporter) of\s+(?:the\s+)?[\w-]+(?:\s+[\w-]+){0,2}"
)


def _victim_phrases(text: str) -> list[str]:
    phrases = []
    for match in _VICTIM_WINDOW.finditer(text):
        left = text[max(0, match.start() - 70) : match.start()]
        left = re.split(r"[.;]\s|\bwhile\b|\bafter\b", left)[-1]
        right = re.split(r"[.;]\s|\bwhile\b|\bafter\b|\bwhen\b", text[match.end() : match.end() + 100])[0]
        phrases.append(left + " " + match.group(0) + " " + right)
    return phrases


def victim_groups(title: str, lede: str, rest: str = "") -> tuple[str | None, list[dict[str, str]]]:
    """The primary victim group and every group found near a victim, each with its kind."""
    primary: str | None = None
    found: dict[str, str] = {}
    # The headline is often vague ("Cleric killed"): weigh its victim phrase together with the first
    # victim phrase of the lede that names a group.
    candidates: list[GroupHit] = []
    title, lede, rest = _mask(title), _mask(lede), _mask(rest)
    for part in (title, lede):
        for phrase in _victim_phrases(part):
            hits = _hits(phrase)
            for hit in hits:
                found.setdefault(hit.value, hit.kind)
            if hits:
                candidates.extend(hits)
                break
    # "he was associated with the ASWJ", "a member of the MQM": an affiliation anywhere in the lede counts.
    for match in _AFFILIATION.finditer(lede):
        candidates.extend(h for h in _hits(match.group(0)) if h.kind in {"party", "sect"})
    if candidates:
        best_rank = min(_RANK[h.kind] for h in candidates)
        primary = next(h.value for h in candidates if _RANK[h.kind] == best_rank)
    if primary is None:
        for part in (title, lede):
            hits = _hits(part)
            if hits:
                primary = hits[0].value
                break
    for phrase in _victim_phrases(rest):
        for hit in _hits(phrase):
            found.setdefault(hit.value, hit.kind)
    if primary is not None:
        found.setdefault(primary, next(k for v, k, _ in _GROUPS if v == primary))
    return primary, [{"value": v, "kind": k} for v, k in found.items()]


def method(text: str) -> str | None:
    """The most specific method named in the title and lede."""
    for value, pattern in METHODS:
        if pattern.search(text):
            return value
    return None
