"""A tiny written corpus for classifier tests (never the shared data): enough to train in about a second."""

from __future__ import annotations

import json
from pathlib import Path

_PLACES = ["Northgate", "Riverside", "Hill Colony", "Old Town", "Canal Road", "East Market", "Port Area"]
_ROLES = ["a party worker", "a police constable", "a journalist", "a lawyer", "a prayer leader", "a doctor"]

POSITIVE = [
    "Gunmen on a motorcycle shot dead {role} near his home in {place} on Monday evening.",
    "{Role} was gunned down by unidentified attackers outside his office in {place}, police said.",
    "Armed men killed {role} in a targeted attack in {place}; the assailants fled.",
    "The bullet-riddled body of {role} who had been abducted last week was found in {place}.",
]
NEGATIVE = {
    "bombing": "A suicide bomber blew himself up in a crowded market in {place}, killing twenty people.",
    "accident": "Nine passengers died when a bus collided with a truck near {place}.",
    "attempt": "Gunmen fired at {role} in {place} but he escaped unhurt, police said.",
    "followup": "A court sentenced two men for the murder of {role} in {place} in 2015.",
    "nonviolent": "The city council opened a new library and a park in {place} on Sunday.",
    "battle": "Militants stormed a checkpoint near {place}; troops and attackers died in clashes.",
}


def records() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i, place in enumerate(_PLACES):
        for j, template in enumerate(POSITIVE):
            role = _ROLES[(i + j) % len(_ROLES)]
            text = template.format(role=role, Role=role[0].upper() + role[1:], place=place)
            out.append(
                {
                    "id": f"p{i}-{j}",
                    "title": f"Killing in {place}",
                    "text": text,
                    "label": 1,
                    "category": "positive",
                }
            )
        for cat, template in NEGATIVE.items():
            role = _ROLES[i % len(_ROLES)]
            text = template.format(role=role, place=place)
            out.append(
                {
                    "id": f"n{i}-{cat}",
                    "title": f"News from {place}",
                    "text": text,
                    "label": 0,
                    "category": cat,
                }
            )
    return out


def write(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    rows = records()
    half = len(rows) // 2
    for name, part in (("a.jsonl", rows[:half]), ("b.jsonl", rows[half:])):
        (directory / name).write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
    return directory
