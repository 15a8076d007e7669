"""A written review scenario for the learning loop: the feeds carry entertainment pages (TV recaps,
novels, films) that narrate killings, which the shipped model flags, next to real reports.

Analysts reject the fiction and confirm the reports; retraining on their verdicts must lower the
false-positive rate on the held-out verdicts. Sentences are composed from parts written here, so the
scenario has enough variety to hold 200+ distinct items.
"""

from __future__ import annotations

import random

FICTION_FRAMES = [
    (
        "TV recap: {show}, episode {n}",
        "In the final minutes of the episode, {victim} is {killed} by {killers} outside {place}.",
    ),
    (
        "{show} season finale review",
        "The finale opens with {victim} {killed} by {killers}; the rest of the hour is a slow chase.",
    ),
    (
        "Book review: {book}",
        "In chapter {n} of the thriller, {victim} is {killed} by {killers} near {place}.",
    ),
    (
        "Film review: {book}",
        "The film's first scene shows {victim} {killed} by {killers} on a rainy night in {place}.",
    ),
    (
        "Drama serial '{show}' ends with a shock",
        "Viewers were stunned when {victim} was {killed} by {killers} in the last episode.",
    ),
    (
        "Stage play '{book}' opens at the arts council",
        "The second act turns when {victim} is {killed} by {killers} in front of the audience.",
    ),
]
REPORT_FRAMES = [
    (
        "{victim_cap} shot dead in {place}",
        "{victim_cap} was {killed} by {killers} in {place} on {day}, police said.",
    ),
    (
        "Gunmen kill {victim} in {place}",
        "{killers_cap} {kill_verb} {victim} near his home in {place} late on {day}, officials said.",
    ),
    (
        "{victim_cap} killed in targeted attack",
        "Police said {victim} was {killed} by {killers} in {place}; the attackers escaped.",
    ),
]
SHOWS = [
    "Shehr-e-Dhoop",
    "Night Watch",
    "The Harbour",
    "Coastline",
    "Red Lanterns",
    "Dust Road",
    "The Inspector",
    "Monsoon City",
    "Blue Gate",
    "Saltwater",
    "Iron Bridge",
    "Lamp Street",
]
BOOKS = [
    "The Quiet Quarter",
    "Ash and Salt",
    "A City of Kites",
    "The Last Ferry",
    "Glass Minarets",
    "Low Tide",
    "The Cartographer's Son",
    "Winter Bazaar",
    "Paper Lanterns",
    "The Eighth Gate",
]
VICTIMS = [
    "a police inspector",
    "a party worker",
    "a lawyer",
    "a journalist",
    "a shopkeeper",
    "a tribal elder",
    "a doctor",
    "a union leader",
    "a retired judge",
    "a schoolteacher",
    "a rickshaw driver",
]
KILLED = ["shot dead", "gunned down", "killed", "murdered", "shot and killed"]
KILLERS = [
    "two men on a motorcycle",
    "unidentified gunmen",
    "masked attackers",
    "armed men",
    "a hired gunman",
]
PLACES = [
    "Orangi Town",
    "Lyari",
    "Korangi",
    "Quetta",
    "Peshawar",
    "Saddar",
    "Landhi",
    "Gulshan-e-Iqbal",
    "Hyderabad",
    "Baldia Town",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def scenario(n_fiction: int = 120, n_reports: int = 80, seed: int = 11) -> list[tuple[str, str, int]]:
    """(title, text, label) items: label 0 for fiction (analysts reject it), 1 for real reports."""
    rng = random.Random(seed)
    items: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    while len(items) < n_fiction + n_reports:
        fiction = sum(1 for *_, y in items if y == 0) < n_fiction
        title_frame, text_frame = rng.choice(FICTION_FRAMES if fiction else REPORT_FRAMES)
        victim = rng.choice(VICTIMS)
        killers = rng.choice(KILLERS)
        values = {
            "show": rng.choice(SHOWS),
            "book": rng.choice(BOOKS),
            "n": rng.randint(2, 24),
            "victim": victim,
            "victim_cap": victim[0].upper() + victim[1:],
            "killed": rng.choice(KILLED),
            "killers": killers,
            "killers_cap": killers[0].upper() + killers[1:],
            "place": rng.choice(PLACES),
            "day": rng.choice(DAYS),
            "kill_verb": rng.choice(["shot dead", "gunned down", "killed"]),
        }
        title, text = title_frame.format(**values), text_frame.format(**values)
        if title + text in seen:
            continue
        seen.add(title + text)
        items.append((title, text, 0 if fiction else 1))
    return items
