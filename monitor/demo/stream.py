"""The demo's news stream: ten weeks of written reports from five invented outlets, with a wave of
targeted killings in Karachi near the end. Pure and seeded: the same arguments give the same stream.

Every sentence is composed here from parts written for this project (invented names, outlets on
``.example`` domains). Each killing is reported by one to three outlets in different words, so the
demo also shows grouping; hard negatives (a market bombing, a robbery, a police "encounter", a court
follow-up, road accidents, politics, sport) run alongside, so it shows what is not flagged too.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

OUTLETS = {
    "ledger": ("Karachi Daily Ledger", "https://ledger.example"),
    "post": ("Sindh Evening Post", "https://sindhpost.example"),
    "wire": ("Harbour City Wire", "https://harbourwire.example"),
    "metro": ("Metro Times", "https://metrotimes.example"),
    "frontier": ("Frontier Chronicle", "https://frontier.example"),
}

TOWNS = ["Orangi Town", "Lyari", "Korangi", "Baldia Town", "Landhi", "Malir", "Gulshan-e-Iqbal",
         "North Nazimabad", "Sohrab Goth", "Liaquatabad", "Surjani Town", "New Karachi"]  # fmt: skip
FIRST = ["Imran", "Saleem", "Rashid", "Kamran", "Naveed", "Tariq", "Faisal", "Adnan", "Zubair", "Asif",
         "Shahid", "Junaid", "Bilal", "Waqas", "Sajid", "Arif"]  # fmt: skip
LAST = ["Qureshi", "Baloch", "Khan", "Siddiqui", "Memon", "Abbasi", "Shaikh", "Ansari", "Hussain", "Mirza"]
VICTIMS = [
    ("a worker of a political party", "party worker"),
    ("a local office-bearer of a political party", "party official"),
    ("a police constable", "policeman"),
    ("an off-duty police head constable", "policeman"),
    ("a rickshaw driver", "rickshaw driver"),
    ("a prayer leader of a mosque", "prayer leader"),
    ("a lawyer", "lawyer"),
    ("a shopkeeper who had refused to pay extortion", "shopkeeper"),
    ("a schoolteacher", "teacher"),
    ("a union leader", "union leader"),
]
ATTACKERS = ["two men on a motorcycle", "unidentified gunmen", "armed men riding a motorcycle",
             "gunmen who fled on a motorcycle", "unknown assailants"]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True)
class Item:
    outlet: str
    guid: str
    title: str
    text: str
    link: str
    published_at: dt.datetime
    kind: str  # killing, tally or a negative category: what the demo expects, for its summary


def _killing_reports(rng: random.Random, town: str, when: dt.datetime) -> list[tuple[str, str]]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    victim, short = rng.choice(VICTIMS)
    attackers = rng.choice(ATTACKERS)
    age = rng.randint(22, 61)
    day = WEEKDAYS[when.weekday()]
    part = "night" if when.hour >= 18 else "evening" if when.hour >= 15 else "morning"
    versions = [
        (
            f"{short.capitalize()} shot dead in {town}",
            f"KARACHI: {name}, {age}, {victim}, was shot dead by {attackers} in {town} on {day} {part}, "
            f"police said. He died on the way to hospital.",
        ),
        (
            f"Gunmen kill {short} in Karachi's {town}",
            f"Unidentified attackers opened fire on {name}, {victim}, near his home in {town} on {day}, "
            f"killing him on the spot. Police said the killing appeared to be targeted.",
        ),
        (
            f"Karachi: {short} gunned down in targeted attack",
            f"{attackers.capitalize()} gunned down {victim}, identified as {name}, in the {town} area of "
            f"Karachi on {day}, officials said, the latest in a string of targeted killings.",
        ),
    ]
    rng.shuffle(versions)
    return versions[: rng.choice([1, 2, 2, 3])]


NEGATIVES = [
    ("bombing", "Blast at {town} market kills four shoppers",
     "KARACHI: A bomb planted on a motorcycle went off in a crowded market in {town} on {day}, "
     "killing four people and wounding 15, police said. No group claimed the attack."),
    ("crime", "Man killed for resisting mugging in {town}",
     "KARACHI: A young man was shot dead by robbers in {town} on {day} when he resisted a mugging, "
     "police said; the robbers took his mobile phone and wallet."),
    ("encounter", "Two suspects killed in police encounter in {town}",
     "KARACHI: Two suspected robbers were killed in an exchange of fire with police in {town} on {day}, "
     "the police said, adding that weapons were recovered from them."),
    ("followup", "Court indicts three in 2019 murder case",
     "KARACHI: An anti-terrorism court on {day} indicted three suspects in the 2019 killing of a trader; "
     "the accused pleaded not guilty and the hearing was adjourned."),
    ("accident", "Six hurt as bus overturns on Super Highway",
     "KARACHI: Six passengers were injured when a bus overturned near Sohrab Goth on {day}, rescue "
     "officials said. The driver fled the scene."),
    ("accident", "Two die as roof collapses after heavy rain",
     "KARACHI: Two people died when the roof of an old building collapsed in {town} on {day} after heavy "
     "rain, rescue officials said."),
    ("nonviolent", "City council approves water supply plan",
     "KARACHI: The city council on {day} approved a plan to improve water supply to {town} and three other "
     "towns before the summer."),
    ("nonviolent", "Karachi Kings win thriller by three wickets",
     "Karachi Kings beat their rivals by three wickets in a last-over finish at the National Stadium "
     "on {day}."),
    ("nonviolent", "Traders call off strike after talks",
     "KARACHI: Traders in {town} called off their strike on {day} after talks with the district "
     "administration over parking charges."),
    ("policy", "Editorial: the city needs a plan, not another operation",
     "Every few years the city is promised an operation against target killers; what it needs is police "
     "reform and courts that finish cases, this newspaper argues."),
]  # fmt: skip


def build_stream(end: dt.date, *, days: int = 70, wave_days: int = 5, seed: int = 2011) -> list[Item]:
    """Items published from ``end - days + 1`` to ``end``; the wave covers the last week but two days."""
    rng = random.Random(seed)
    start = end - dt.timedelta(days=days - 1)
    wave_start = end - dt.timedelta(days=wave_days + 2)
    wave_end = wave_start + dt.timedelta(days=wave_days - 1)
    items: list[Item] = []
    serial = 0

    def add(outlet: str, title: str, text: str, when: dt.datetime, kind: str) -> None:
        nonlocal serial
        serial += 1
        base = OUTLETS[outlet][1]
        items.append(Item(outlet, f"{outlet}-{serial}", title, text, f"{base}/news/{serial}", when, kind))

    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        in_wave = wave_start <= day <= wave_end
        killings = rng.choice([5, 6, 7, 8]) if in_wave else rng.choice([0, 0, 1, 1, 1, 2])
        # Different killings of one day happen in different towns: reports of the same town and day
        # would rightly be grouped as one incident.
        for town in rng.sample(TOWNS, killings):
            when = dt.datetime.combine(day, dt.time(rng.randint(9, 22), rng.randint(0, 59)), dt.UTC)
            outlets = rng.sample(["ledger", "post", "wire", "metro"], 3)
            for outlet, (title, text) in zip(outlets, _killing_reports(rng, town, when), strict=False):
                add(outlet, title, text, when + dt.timedelta(minutes=rng.randint(20, 180)), "killing")
        if in_wave and day == wave_end:
            add("wire", "Karachi violence: targeted killings claim over 30 lives in five days",
                "At least 30 people have been killed in targeted attacks across Karachi over the past "
                "five days, police figures show.",
                dt.datetime.combine(day, dt.time(23, 30), dt.UTC), "tally")  # fmt: skip
        for _ in range(rng.randint(2, 4)):
            kind, title, text = rng.choice(NEGATIVES)
            town = rng.choice(TOWNS)
            when = dt.datetime.combine(day, dt.time(rng.randint(7, 23), rng.randint(0, 59)), dt.UTC)
            values = {"town": town, "day": WEEKDAYS[day.weekday()]}
            add(rng.choice(list(OUTLETS)), title.format(**values), text.format(**values), when, kind)
        if rng.random() < 0.3:
            when = dt.datetime.combine(day, dt.time(rng.randint(8, 20)), dt.UTC)
            add("frontier", "Tribal elder shot dead in Kurram",
                f"PARACHINAR: A tribal elder, {rng.choice(FIRST)} {rng.choice(LAST)}, was shot dead by "
                f"gunmen in Kurram district on {WEEKDAYS[day.weekday()]}, officials said.",
                when, "killing")  # fmt: skip
    items.sort(key=lambda item: item.published_at)
    return items


def wave_window(end: dt.date, *, wave_days: int = 5) -> tuple[dt.date, dt.date]:
    start = end - dt.timedelta(days=wave_days + 2)
    return start, start + dt.timedelta(days=wave_days - 1)
