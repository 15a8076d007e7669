"""Extraction: tolls, places, victim groups, methods, dates and tallies from written examples."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.extract import extract
from monitor.extract.dates import incident_date
from monitor.extract.gazetteer import load
from monitor.extract.numbers import parse_number, sentence_deaths, sentence_injured
from monitor.extract.places import choose_place
from monitor.extract.text import name_key

# Wednesday 18 November 2026, 09:00 in Karachi.
PUB = dt.datetime(2026, 11, 18, 4, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("sentence", "deaths", "injured"),
    [
        ("At least 27 people were shot dead in Karachi on Tuesday.", 27, None),
        ("Gunmen killed two soldiers at a check post.", 2, None),
        ("A PPP worker was shot dead in Lyari.", 1, None),
        ("Three people including a policeman were killed and five others injured.", 3, 5),
        ("The death toll rose to 5 on Wednesday.", 5, None),
        ("3 killed, 5 injured in Orangi firing", 3, 5),
        ("Two brothers were gunned down while their father was injured.", 2, 1),
        ("Gunmen shot dead a trader and injured his son.", 1, 1),
        ("An injured policeman succumbed to his injuries on Monday.", 1, None),
        ("Twenty-five people were killed when gunmen stormed the bus.", 25, None),
        ("The attack, which took place at 10pm, killed 4 people.", 4, None),
        ("Unidentified gunmen opened fire, killing three and injuring seven.", 3, 7),
    ],
)
def test_tolls_in_sentences(sentence: str, deaths: int | None, injured: int | None) -> None:
    assert sentence_deaths(sentence) == deaths
    assert sentence_injured(sentence) == injured


@pytest.mark.parametrize(
    "sentence",
    [
        "Police arrested 20 suspects in a raid on Sunday.",
        "The 35-year-old victim lived in House No. 12, Block 5.",
        "In 2013, the city saw its worst year.",
        "The victim was taken to hospital at 11:30pm.",
    ],
)
def test_numbers_that_are_not_tolls(sentence: str) -> None:
    assert sentence_deaths(sentence) is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [("at least 27", 27), ("twenty-five", 25), ("a dozen", 12), ("two dozen", 24), ("an", 1), ("both", 2)],
)
def test_parse_number(raw: str, value: int) -> None:
    assert parse_number(raw) == value


def test_name_keys_ignore_spelling_conventions() -> None:
    assert name_key("Gulshan-e-Iqbal") == name_key("Gulshan-i-Iqbal") == name_key("Gulshan Iqbal")
    assert name_key("F.B. Area") == name_key("FB Area")
    assert name_key("D.I. Khan") == name_key("DI Khan")


@pytest.mark.parametrize(
    ("title", "text", "key", "precision"),
    [
        (
            "Two shot dead",
            "KARACHI: Two men were shot dead in Orangi Town on Tuesday.",
            "pk/karachi/orangi-town",
            "town",
        ),
        (
            "Man killed",
            "KARACHI: A man was shot dead in the Qasba Colony area of Orangi.",
            "pk/karachi/qasba-colony",
            "town",
        ),
        (
            "Policeman martyred",
            "ISLAMABAD: A policeman was martyred in Peshawar on Monday.",
            "pk/peshawar",
            "city",
        ),
        (
            "Man killed",
            "KARACHI: A man was shot dead on Tuesday. He was a resident of Lyari.",
            "pk/karachi",
            "city",
        ),
        (
            "Journalist killed",
            "HYDERABAD: A journalist was shot dead, Telangana police said.",
            "in/hyderabad",
            "city",
        ),
        (
            "Journalist killed",
            "HYDERABAD: A journalist was shot dead near Latifabad, police said.",
            "pk/hyderabad",
            "city",
        ),
        (
            "Lawyer gunned down",
            "A lawyer was gunned down in D.I. Khan on Friday.",
            "pk/dera-ismail-khan",
            "city",
        ),
        ("Gunmen kill five", "KABUL, Afghanistan (AP) - Gunmen killed five people.", "af/kabul", "city"),
        ("Man shot", "LAHORE: A man was shot dead in Garden Town.", "pk/lahore", "city"),
        (
            "PTI worker killed in KP",
            "A PTI worker was killed on Sunday.",
            "pk/khyber-pakhtunkhwa",
            "province",
        ),
        (
            "Cleric shot",
            "A cleric was shot dead in F.B. Area. The Sindh High Court took notice.",
            "pk/karachi/fb-area",
            "town",
        ),
        (
            "Trader killed",
            "Gunmen shot dead a trader in Gulistan-i-Jauhar.",
            "pk/karachi/gulistan-e-jauhar",
            "town",
        ),
    ],
)
def test_places(title: str, text: str, key: str, precision: str) -> None:
    place, _ = choose_place(load(), title, text)
    assert place is not None
    assert (place.key, place.precision) == (key, precision)


def test_gazetteer_keys_are_unique_and_towns_belong_to_karachi() -> None:
    gaz = load()
    towns = [p for p in gaz.by_key.values() if p.precision == "town"]
    assert len(towns) >= 80
    for town in towns:
        assert town.key.startswith("pk/karachi/")
        assert town.parent_key is None or town.parent_key in gaz.by_key, town.key
    assert gaz.lookup("delhi")[0].country == "IN"
    assert gaz.lookup("mobile") == []  # a word before a city


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("He was killed on Tuesday.", dt.date(2026, 11, 17)),
        ("late on Monday gunmen struck", dt.date(2026, 11, 16)),
        ("The attack took place last night.", dt.date(2026, 11, 17)),
        ("He was shot yesterday.", dt.date(2026, 11, 17)),
        ("The body was found on Wednesday.", dt.date(2026, 11, 18)),
        ("He was killed last Wednesday.", dt.date(2026, 11, 11)),
        ("The killing on November 12 went unsolved.", dt.date(2026, 11, 12)),
        ("He died on 2 Dec 2025.", dt.date(2025, 12, 2)),
        ("No date here.", dt.date(2026, 11, 18)),
    ],
)
def test_dates_relative_to_publication(sentence: str, expected: dt.date) -> None:
    assert incident_date([sentence], PUB).value == expected


def test_dates_use_pakistan_time() -> None:
    # 20:00 UTC on Tuesday is 01:00 on Wednesday in Karachi: "Tuesday night" is the night just gone.
    late = dt.datetime(2026, 11, 17, 20, 0, tzinfo=dt.UTC)
    assert incident_date(["killed on Tuesday night"], late).value == dt.date(2026, 11, 17)
    assert incident_date(["killed yesterday"], late).value == dt.date(2026, 11, 17)
    assert incident_date(["killed yesterday"], late, tz="UTC").value == dt.date(2026, 11, 16)


def test_full_article() -> None:
    facts = extract(
        "KARACHI: An MQM worker was shot dead by motorcycle-borne gunmen in the Qasba Colony area of "
        "Orangi Town on Tuesday night, police said. The victim, 35-year-old Ali Raza, was taken to "
        "Abbasi Shaheed Hospital where 20 suspects were later questioned.",
        "MQM worker shot dead in Orangi",
        PUB,
    )
    assert facts.deaths == 1
    assert facts.place_key == "pk/karachi/qasba-colony"
    assert (facts.city, facts.province, facts.country) == ("Karachi", "Sindh", "Pakistan")
    assert facts.victim_group == "mqm"
    assert facts.method == "motorcycle_gunmen"
    assert facts.incident_date == dt.date(2026, 11, 17)
    assert not facts.is_tally


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("Targeted killings claimed 181 lives in June", "KARACHI: The HRCP released its figures."),
        (
            "Karachi violence",
            "KARACHI: At least 300 people were killed in July, according to police figures.",
        ),
        ("Grim numbers", "Over the past week, 42 people have been shot dead across the city."),
        ("A bloody year", "So far this year 1,200 people were killed in the province."),
    ],
)
def test_tallies(title: str, text: str) -> None:
    facts = extract(text, title, PUB)
    assert facts.is_tally
    assert facts.deaths is None


def test_background_tally_does_not_make_an_incident_a_tally() -> None:
    facts = extract(
        "KARACHI: Two Rangers personnel were martyred in Korangi on Monday. This year 40 people have "
        "been killed in similar attacks.",
        "Two Rangers men martyred in Korangi",
        PUB,
    )
    assert not facts.is_tally
    assert facts.deaths == 2
    assert facts.victim_group == "rangers"


@pytest.mark.parametrize(
    ("title", "text", "group"),
    [
        ("Policeman shot dead", "KARACHI: A policeman was shot dead in Malir, police said.", "police"),
        ("Man killed", "Police said a PPP worker was gunned down in Lyari.", "ppp"),
        ("Cleric killed", "A Sunni Tehreek leader was shot dead in Saddar.", "sunni-tehreek"),
        ("Vaccinator killed", "Gunmen killed a polio worker in Gadap on Monday.", "polio_worker"),
        ("Reporter shot dead", "A reporter of a local channel was shot dead in Hub.", "journalist"),
        ("Two shot dead", "KARACHI: Two men were shot dead in Orangi, police said.", None),
    ],
)
def test_victim_groups(title: str, text: str, group: str | None) -> None:
    assert extract(text, title, PUB).victim_group == group


def test_hostile_text_is_harmless() -> None:
    facts = extract("\x00\x1b[31m" + "killed " * 20000, "<script>x</script>", PUB)
    assert facts.place_key is None


@pytest.mark.parametrize(
    ("sentence", "deaths"),
    [
        ("Gunmen shot dead a father and his son in Golimar.", 2),
        ("A lawyer and his client were shot dead inside the court.", 2),
        ("A PPP leader was gunned down along with his driver.", 2),
        ("An ANP leader was killed along with two companions.", 3),
        ("The tortured body of a young man was found in a sack.", 1),
        ("A 45-year-old father of five was shot dead.", 1),
        ("Deaths: 1. Injured: 0.", 1),
    ],
)
def test_more_tolls(sentence: str, deaths: int) -> None:
    assert sentence_deaths(sentence) == deaths


def test_headline_without_a_number_is_one_death() -> None:
    assert extract("", "Man shot dead in Liaquatabad", PUB).deaths == 1


def test_karachi_town_names_under_another_dateline() -> None:
    facts = extract("LAHORE: Two men were shot dead in Gulberg on Tuesday night.", "Shooting", PUB)
    assert facts.place_key == "pk/lahore"


def test_round_up_of_several_towns_is_filed_under_the_city() -> None:
    facts = extract(
        "KARACHI: Three people were killed in separate incidents in Orangi and Korangi.", "Three killed", PUB
    )
    assert (facts.place_key, facts.deaths) == ("pk/karachi", 3)


def test_tally_place_is_its_area_not_its_dateline() -> None:
    facts = extract(
        "PESHAWAR: At least 37 policemen were martyred in Khyber Pakhtunkhwa in August, officials said.",
        "Deadliest month",
        PUB,
    )
    assert facts.is_tally
    assert facts.place_key == "pk/khyber-pakhtunkhwa"
    assert facts.victim_group is None


def test_group_words_inside_place_names_and_relations_are_not_victims() -> None:
    assert (
        extract("KARACHI: A woman was strangled in Soldier Bazaar.", "Woman killed", PUB).victim_group is None
    )
    assert extract("PESHAWAR: The son of a sessions judge was killed.", "Killed", PUB).victim_group is None
    assert (
        extract(
            "KARACHI: Gunmen killed two people. Police arrested 20 suspects.", "Two killed", PUB
        ).victim_group
        is None
    )


def test_event_weekday_beats_the_reporting_day() -> None:
    facts = extract(
        "KARACHI: Police on Saturday identified the man killed in Thursday's attack in Clifton.",
        "Identified",
        PUB,
    )
    assert facts.incident_date == dt.date(2026, 11, 12)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400), st.text(max_size=80))
def test_extract_never_fails_on_arbitrary_text(text: str, title: str) -> None:
    facts = extract(text, title, PUB)
    assert facts.deaths is None or facts.deaths >= 0
    assert facts.place_precision in {None, "town", "city", "province", "country"}
