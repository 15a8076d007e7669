"""Write ``classifiers/training_data/model_gaps.jsonl``: terse incident-database summaries from many
countries and decades, positives and hard negatives in the same register (owned by the model side, see
MODEL_CARD.md).

Why: evaluation per source type showed the model weakest on short incident-database records of political
violence outside today's Pakistan (other decades, other conflicts, other words for the attackers:
"terrorists", "guerrillas", "insurgents", "suspected members of ..."). The fragments below were written
here for this purpose; groups and countries are real settings, every person is anonymous or invented, and
no record retells a specific real incident. Both labels use the same title format and the same vocabulary
so that only the definition (a chosen person deliberately killed, vs. indiscriminate, battle, survived,
released, property only) separates them.

    .venv/bin/python -m classifiers.tools.model_gaps     # rewrites the file (deterministic)
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "training_data" / "model_gaps.jsonl"

# (city, country, attackers who plausibly operate there)
SETTINGS = [
    ("Bilbao", "Spain", ["ETA members", "suspected ETA gunmen", "Basque separatists"]),
    ("San Sebastian", "Spain", ["ETA gunmen", "members of ETA"]),
    ("Belfast", "United Kingdom", ["IRA gunmen", "loyalist paramilitaries", "masked gunmen"]),
    ("Derry", "United Kingdom", ["suspected IRA members", "republican gunmen"]),
    ("Rome", "Italy", ["Red Brigades members", "left-wing terrorists"]),
    ("Milan", "Italy", ["members of the Red Brigades", "armed militants"]),
    ("Athens", "Greece", ["members of 17 November", "urban guerrillas"]),
    ("Istanbul", "Turkey", ["Dev Sol militants", "leftist gunmen"]),
    ("Diyarbakir", "Turkey", ["PKK militants", "Kurdish rebels"]),
    ("Medellin", "Colombia", ["FARC guerrillas", "hired gunmen", "paramilitaries"]),
    ("Cali", "Colombia", ["ELN guerrillas", "sicarios", "unidentified gunmen"]),
    ("Lima", "Peru", ["Shining Path guerrillas", "Sendero Luminoso militants"]),
    ("Ayacucho", "Peru", ["Shining Path rebels", "a Shining Path column"]),
    ("San Salvador", "El Salvador", ["death squad members", "heavily armed men"]),
    ("Guatemala City", "Guatemala", ["a right-wing death squad", "armed men in civilian clothes"]),
    ("Algiers", "Algeria", ["GIA militants", "Islamist gunmen", "armed Islamists"]),
    ("Jaffna", "Sri Lanka", ["LTTE cadres", "Tamil Tiger gunmen", "suspected Tamil rebels"]),
    ("Colombo", "Sri Lanka", ["suspected LTTE gunmen", "a Tamil Tiger hit squad"]),
    ("Srinagar", "India", ["militants", "Hizbul Mujahideen gunmen", "suspected militants"]),
    ("Amritsar", "India", ["Sikh militants", "Khalistan militants"]),
    ("Manipur", "India", ["insurgents", "suspected rebels"]),
    ("Baghdad", "Iraq", ["insurgents", "gunmen", "suspected militia members", "Al-Qaida in Iraq militants"]),
    ("Mosul", "Iraq", ["Al-Qaida in Iraq gunmen", "insurgents", "terrorists"]),
    ("Kirkuk", "Iraq", ["unknown gunmen", "insurgents"]),
    ("Kandahar", "Afghanistan", ["Taliban gunmen", "Taliban militants", "insurgents"]),
    ("Kunduz", "Afghanistan", ["Taliban insurgents", "armed men"]),
    ("Grozny", "Russia", ["Chechen rebels", "unidentified gunmen"]),
    ("Makhachkala", "Russia", ["suspected Islamist militants", "gunmen"]),
    ("Manila", "Philippines", ["NPA hitmen", "a sparrow unit of the New People's Army"]),
    ("Jolo", "Philippines", ["Abu Sayyaf militants", "suspected Abu Sayyaf gunmen"]),
    ("Gaza City", "Palestinian Territories", ["Hamas gunmen", "masked militants", "armed men"]),
    ("Nablus", "Palestinian Territories", ["Fatah gunmen", "militants"]),
    ("Beirut", "Lebanon", ["gunmen", "members of an armed faction"]),
    ("Karachi", "Pakistan", ["terrorists", "unidentified assailants", "gunmen on motorcycles"]),
    ("Quetta", "Pakistan", ["terrorists", "militants", "unidentified gunmen"]),
    ("Peshawar", "Pakistan", ["militants", "Taliban gunmen", "assailants"]),
    ("Dhaka", "Bangladesh", ["Islamist militants", "attackers armed with machetes"]),
    ("Kathmandu", "Nepal", ["Maoist rebels", "suspected Maoists"]),
    ("Lagos", "Nigeria", ["gunmen", "unknown assailants"]),
    ("Maiduguri", "Nigeria", ["Boko Haram gunmen", "suspected Boko Haram members"]),
    ("Mogadishu", "Somalia", ["al-Shabaab gunmen", "militants"]),
    ("Corsica", "France", ["Corsican separatists", "FLNC gunmen"]),
    ("Tegucigalpa", "Honduras", ["gunmen", "armed men"]),
    ("Ciudad Juarez", "Mexico", ["cartel gunmen", "hitmen", "armed men"]),
]

VICTIMS = [
    "a police officer",
    "an off-duty police officer",
    "a Civil Guard officer",
    "a retired army colonel",
    "an army officer",
    "a prison officer",
    "the town's mayor",
    "a municipal councillor",
    "a local leader of the ruling party",
    "an opposition politician",
    "a provincial judge",
    "a public prosecutor",
    "a magistrate",
    "a businessman who had refused to pay extortion",
    "an industrialist",
    "a bank manager",
    "a suspected police informer",
    "an alleged collaborator",
    "a village headman",
    "a trade union leader",
    "a peasant leader",
    "a Shiite cleric",
    "a Sunni tribal sheikh",
    "a Catholic priest",
    "a Protestant pastor",
    "a schoolteacher",
    "a university professor",
    "a journalist",
    "a newspaper editor",
    "a radio presenter",
    "a human rights lawyer",
    "a doctor",
    "an interpreter working for foreign troops",
    "a former guerrilla who had surrendered",
    "an election candidate",
    "a government official",
    "a customs official",
    "a tax collector",
    "a local intelligence agent",
    "a foreign engineer",
    "an aid worker",
    "a village defence volunteer",
    "a district police chief",
    "a retired judge",
]

KILL = [
    "shot and killed",
    "shot dead",
    "assassinated",
    "killed",
    "gunned down",
    "murdered",
    "stabbed to death",
    "executed",
]
KILL_PASSIVE = [
    "was shot and killed by",
    "was assassinated by",
    "was shot dead by",
    "was killed by",
    "was gunned down by",
    "was murdered by",
]
WHERE = [
    "as he left his home",
    "outside his office",
    "in front of his house",
    "while he was driving to work",
    "at a cafe",
    "near a market",
    "as he walked out of a mosque",
    "on his way home from church",
    "at his shop",
    "in the street where he lived",
    "in front of his family",
    "at a bus stop",
    "as he got out of his car",
    "at close range",
    "",
]
CLAIMS = [
    "No group claimed responsibility.",
    "No group claimed responsibility for the attack.",
    "{agent_cap} claimed responsibility.",
    "Authorities blamed {agent}.",
    "Police suspected {agent}.",
    "The attack was attributed to {agent}.",
    "The victim had received death threats.",
    "The attackers escaped.",
    "The assailants fled on foot.",
    "",
]

POSITIVE_FORMS = [
    "{Agent} {kill} {victim} {where} in {city}. {claim}",
    "{Victim} {kill_passive} {agent} {where} in {city}. {claim}",
    "In {city}, {agent} {kill} {victim} {where}. {claim}",
    "{Agent} abducted {victim} in {city}; his body was found two days later with gunshot wounds. {claim}",
    "{Agent} kidnapped {victim} from his home in {city} and later killed him. {claim}",
    "The body of {victim}, who had been abducted by {agent}, was found near {city}. He had been shot in the "
    "head. {claim}",
    "A bomb planted under the car of {victim} exploded in {city}, killing him. {claim}",
    "{Agent} stopped a bus near {city}, checked the passengers' identity papers and shot dead four men from "
    "a rival community. {claim}",
    "{Agent} fired on the car of {victim} in {city}, killing his two bodyguards; the target escaped. {claim}",
    "{Agent} dragged {victim} from his car in {city} and shot him. {claim}",
    "{Agent} entered the home of {victim} in {city} and killed him in front of his family. {claim}",
    "{Victim} died after being shot several times by {agent} {where} in {city}. {claim}",
    "Two gunmen on a motorcycle killed {victim} in {city}. {claim}",
    "{Agent} beheaded {victim} they had kidnapped near {city}. {claim}",
    "{Agent} fatally shot {victim} {where} in {city}. {claim}",
    "{Agent} opened fire on {victim} {where} in {city}, killing him instantly. {claim}",
    "{Victim} was killed when {agent} sprayed his car with bullets in {city}. {claim}",
    "{Victim} was found shot dead in {city} a day after {agent} had threatened him. {claim}",
    "{Agent} opened fire on a police patrol in {city}, killing two officers before escaping. {claim}",
    "{Agent} shot {victim} in the head {where} in {city}. He died on the way to hospital. {claim}",
    "{Agent} killed {victim} and his son {where} in {city}. {claim}",
    "{Agent} slit the throat of {victim} in a village near {city}, accusing him of spying. {claim}",
    "{Victim} and his driver were killed when {agent} ambushed their car near {city}. {claim}",
    "{Agent} singled out {victim} among the passengers of a minibus near {city} and executed him by the "
    "roadside. {claim}",
    "{Agent} assassinated {victim} in {city}. The victim had been on a list of targets published by the "
    "group. {claim}",
    "Unknown individuals shot and killed {victim} {where} in {city}. {claim}",
    "{Agent} killed {k} {members} in {city}. {claim}",
    "{Agent} shot dead {k} {members} {where_group} near {city}. {claim}",
    "{Agent} stopped a minibus near {city}, separated {k} {members} from the other passengers and shot "
    "them. {claim}",
    "The bodies of {k} {members}, abducted by {agent} the day before, were found near {city}. {claim}",
]
MEMBERS = [
    "Shiite pilgrims",
    "Christian labourers",
    "Hindu shopkeepers",
    "Sikh traders",
    "Kurdish village guards",
    "off-duty policemen",
    "members of a tribal militia opposed to the group",
    "election workers",
    "Hazara vegetable vendors",
    "polio vaccinators",
    "teachers from a girls' school",
    "members of the ruling party",
    "truck drivers working for the army",
]
WHERE_GROUP = ["on their way to work", "outside a mosque", "at a roadside tea stall", "in their village", ""]

NEGATIVE_FORMS = {
    "bombing": [
        "A bomb exploded in a crowded market in {city}, killing {n} people and wounding {m}. {claim}",
        "A car bomb exploded outside a police station in {city}, killing {n} people, including passers-by. "
        "{claim}",
        "A suicide bomber detonated explosives at a rally in {city}, killing {n} people. The party leader, "
        "the apparent target, was unhurt. {claim}",
        "{Agent} detonated a roadside bomb as a bus passed near {city}, killing {n} passengers. {claim}",
        "A bomb hidden in a bag exploded at the railway station in {city}, killing {n} and injuring {m}. "
        "{claim}",
        "{Agent} threw a grenade into a cafe in {city}, killing {n} customers. {claim}",
        "An explosive device hidden in a motorcycle detonated outside a cinema in {city}, killing {n} and "
        "wounding {m}. {claim}",
        "Mortar shells fired by {agent} landed on a residential area of {city}, killing {n} civilians.",
    ],
    "battle": [
        "{Agent} attacked an army post near {city}; {n} soldiers and {m} attackers were killed in the "
        "fighting. {claim}",
        "{Agent} stormed a police station in {city}. {n} officers died in an exchange of fire that lasted "
        "several hours.",
        "Security forces clashed with {agent} outside {city}; {m} militants and {n} soldiers were killed.",
        "{Agent} ambushed a military convoy near {city}, setting off a gun battle in which {n} soldiers "
        "died.",
        "{Agent} overran a border checkpoint near {city} after a firefight; {n} guards and {m} attackers "
        "died.",
    ],
    "attempt": [
        "{Agent} fired on the car of {victim} in {city}. He was wounded but survived. {claim}",
        "{Agent} tried to assassinate {victim} in {city}; he escaped unhurt. {claim}",
        "{Agent} shot and wounded {victim} {where} in {city}. He was taken to hospital in a stable "
        "condition. {claim}",
        "A bomb was found under the car of {victim} in {city} and defused before it exploded. {claim}",
        "{Agent} opened fire on {victim} in {city} but missed; a bystander was slightly injured. {claim}",
        "{Victim} survived an assassination attempt in {city} when {agent} fired at his car. {claim}",
        "{Agent} shot {victim} in the legs {where} in {city}, a punishment attack. He survived. {claim}",
    ],
    "other_violence": [
        "{Agent} kidnapped {victim} in {city}. He was released unharmed a week later after a ransom was "
        "paid. {claim}",
        "{Agent} opened fire on worshippers leaving a mosque in {city}, killing {n} people. {claim}",
        "{Agent} fired indiscriminately into a crowd at a bus terminal in {city}, killing {n}. {claim}",
        "{Agent} set fire to the offices of a newspaper in {city}. No one was hurt. {claim}",
        "{Agent} hijacked a bus near {city} and held the passengers for six hours before releasing them. "
        "{claim}",
        "{Agent} sent death threats to {victim} in {city}. {claim}",
        "{Agent} attacked a village near {city}, burning houses and stealing livestock. {claim}",
        "{Agent} fired shots at the house of {victim} in {city}; no one was injured. {claim}",
        "{Agent} opened fire on a wedding party near {city}, killing {n} guests. {claim}",
        "{Agent} abducted {victim} near {city}; he escaped from his captors three days later. {claim}",
        "{Agent} robbed a bank in {city} to finance their activities; no one was hurt. {claim}",
        "{Agent} sprayed a passenger bus with gunfire near {city}, killing {n} travellers at random. {claim}",
        "{Agent} fired on a group of farmers in fields outside {city}, killing {n}. {claim}",
    ],
    "followup": [
        "Police in {city} arrested three suspects in the killing of {victim} last year.",
        "A court in {city} sentenced two men to life in prison for the murder of {victim}, a killing "
        "blamed on {agent}.",
        "Thousands attended the funeral in {city} of {victim} who was killed last week.",
    ],
    "crime": [
        "Robbers shot dead {victim} during a hold-up at his shop in {city}; police said the motive was "
        "theft.",
        "{Victim} was killed by his brother-in-law in {city} after a dispute over land, police said.",
    ],
}

TITLE_FORMS_POS = [
    "{Victim_short} killed in {city}",
    "{Victim_short} shot dead in {city}",
    "Gunmen kill {victim_short} in {city}",
    "{Victim_short} assassinated",
]
TITLE_FORMS_NEG = {
    "bombing": ["Bomb kills {n} in {city}", "Blast in {city}"],
    "battle": ["Fighting near {city}", "Attack on post near {city}"],
    "attempt": ["{Victim_short} survives attack in {city}", "Attack on {victim_short} in {city}"],
    "other_violence": ["Gunmen strike in {city}", "Attack in {city}"],
    "followup": ["Arrests over {city} killing", "Sentence in {city} murder case"],
    "crime": ["Man killed in {city} robbery", "Killing in {city}"],
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _short(victim: str) -> str:
    words = victim.split()
    core = " ".join(words[1:]) if words[0] in ("a", "an", "the") else victim
    return core.split(" who ")[0].split(" working ")[0].split(" of the ")[0]


def _fill(template: str, rng: random.Random, city: str, agent: str, victim: str) -> str:
    values = {
        "agent": agent,
        "Agent": _cap(agent),
        "victim": victim,
        "Victim": _cap(victim),
        "victim_short": _short(victim),
        "Victim_short": _cap(_short(victim)),
        "kill": rng.choice(KILL),
        "kill_passive": rng.choice(KILL_PASSIVE),
        "where": rng.choice(WHERE),
        "city": city,
        "n": str(rng.choice([3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 17, 20, 23, 31])),
        "m": str(rng.choice([5, 8, 10, 13, 15, 22, 26, 40])),
        "k": rng.choice(["two", "three", "four", "five", "2", "3", "4", "6"]),
        "members": rng.choice(MEMBERS),
        "where_group": rng.choice(WHERE_GROUP),
    }
    claim = rng.choice(CLAIMS).format(agent=agent, agent_cap=_cap(agent))
    values["claim"] = claim
    text = template.format(**values)
    return " ".join(text.replace(" .", ".").split())


def build(seed: int = 1968) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    seen: set[str] = set()

    def add(label: int, category: str, title_forms: list[str], template: str) -> None:
        city, country, agents = rng.choice(SETTINGS)
        agent, victim = rng.choice(agents), rng.choice(VICTIMS)
        for _ in range(20):
            text = _fill(template, rng, city, agent, victim)
            if text not in seen:
                break
        else:
            return
        seen.add(text)
        if rng.random() < 0.6:
            title = f"Incident report: {city}, {country}"
        else:
            title = _fill(rng.choice(title_forms), rng, city, agent, victim)
        rows.append(
            {
                "id": f"gap-{len(rows) + 1:04d}",
                "title": title,
                "text": text,
                "label": label,
                "category": category,
                "register": "incident_database",
                "country": country,
            }
        )

    for i in range(400):
        add(1, "positive", TITLE_FORMS_POS, POSITIVE_FORMS[i % len(POSITIVE_FORMS)])
    count = {"bombing": 70, "battle": 45, "attempt": 70, "other_violence": 110, "followup": 15, "crime": 10}
    for category, forms in NEGATIVE_FORMS.items():
        for i in range(count[category]):
            add(0, category, TITLE_FORMS_NEG[category], forms[i % len(forms)])
    return rows


def main() -> None:
    rows = build()
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} records written to {OUT}")


if __name__ == "__main__":
    main()
