"""Scoring extraction against labelled items (used by ``bench/extraction_accuracy.py`` and the tests).

An item is ``{"id", "title", "text", "published_at", "expected": {...}}`` as in
``tests/fixtures/extraction/labelled.jsonl``. Items are split for honest evaluation: one in five (by a
hash of the id, so the split never changes) is held back from rule tuning; :func:`split` says which.
Pure apart from :func:`read_jsonl`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.extract import Facts, extract

FIELDS = ("place", "precision", "toll", "injured", "victim_group", "date", "tally")


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def is_held_back(item_id: str) -> bool:
    return int(hashlib.sha1(item_id.encode(), usedforsecurity=False).hexdigest(), 16) % 5 == 0


def split(items: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tuning part, held-back part)."""
    items = list(items)
    return [i for i in items if not is_held_back(i["id"])], [i for i in items if is_held_back(i["id"])]


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Score:
    n: int = 0
    correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    errors: list[tuple[str, str, Any, Any]] = field(default_factory=list)

    def accuracy(self, name: str) -> float:
        return self.correct[name] / self.total[name] if self.total[name] else float("nan")

    def add(self, item_id: str, name: str, expected: Any, got: Any) -> None:
        self.total[name] += 1
        if expected == got:
            self.correct[name] += 1
        else:
            self.errors.append((item_id, name, expected, got))


def compare(item: dict[str, Any], facts: Facts, score: Score) -> None:
    exp = item["expected"]
    iid = item["id"]
    score.n += 1
    score.add(iid, "place", exp["place_key"], facts.place_key)
    score.add(iid, "precision", exp["place_precision"], facts.place_precision)
    score.add(iid, "tally", exp["is_tally"], facts.is_tally)
    # The toll is right when the deaths match; a tally is right only when recognised as one.
    score.add(iid, "toll", (exp["is_tally"], exp["deaths"]), (facts.is_tally, facts.deaths))
    score.add(iid, "victim_group", exp["victim_group"], facts.victim_group)
    if not exp["is_tally"]:
        score.add(iid, "injured", exp["injured"], facts.injured)
        got_date = facts.incident_date.isoformat() if facts.incident_date else None
        score.add(iid, "date", exp["incident_date"], got_date)


def score_items(items: Iterable[dict[str, Any]]) -> Score:
    score = Score()
    for item in items:
        facts = extract(item["text"], item["title"], parse_time(item["published_at"]))
        compare(item, facts, score)
    return score


@dataclass(frozen=True)
class GroupingScore:
    articles: int
    true_incidents: int
    predicted_incidents: int
    tp: int
    fp: int
    fn: int
    tallies: int
    tallies_ok: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def grouping_reports(items: list[dict[str, Any]]) -> list[Any]:
    """Items of ``grouping.jsonl`` as grouping reports, in publication order (as the service sees them)."""
    from monitor.incidents import Report

    ordered = sorted(enumerate(items), key=lambda pair: (pair[1]["published_at"], pair[0]))
    reports = []
    for index, item in ordered:
        published = parse_time(item["published_at"])
        facts = extract(item["text"], item["title"], published)
        reports.append(Report(index, item["outlet"], item["title"], item["text"][:400], published, facts))
    return reports


def score_grouping(
    items: list[dict[str, Any]], *, window_hours: float = 72.0, threshold: float = 0.35
) -> GroupingScore:
    """Pairwise precision and recall of grouping against the ``incident`` labels; tallies kept apart."""
    from monitor.incidents import group

    result = group(grouping_reports(items), window_hours=window_hours, threshold=threshold)
    truth = {i: item["incident"] for i, item in enumerate(items)}
    pred = result.assignment
    events = [i for i, item in enumerate(items) if not item["tally"]]
    tp = fp = fn = 0
    for a_pos, a in enumerate(events):
        for b in events[a_pos + 1 :]:
            same_true = truth[a] == truth[b]
            same_pred = a in pred and b in pred and pred[a] == pred[b]
            tp += same_true and same_pred
            fp += same_pred and not same_true
            fn += same_true and not same_pred
    tallies = [i for i, item in enumerate(items) if item["tally"]]
    return GroupingScore(
        articles=len(items),
        true_incidents=len({truth[i] for i in events}),
        predicted_incidents=len(result.incidents),
        tp=tp,
        fp=fp,
        fn=fn,
        tallies=len(tallies),
        tallies_ok=sum(1 for i in tallies if i not in pred),
    )
