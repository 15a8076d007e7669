"""Checks on the team-written training corpus in classifiers/corpus/*.jsonl.

Every file must parse line by line, every record must carry the fields the trainer reads, ids must be
unique across files, labels must agree with categories (the definition in the data README: label 1 is
category "positive", everything else is a named negative category), and no example may appear twice.
Per-file minimum counts guard against a corpus file being truncated or emptied by a bad merge.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).resolve().parents[1] / "classifiers" / "corpus"
NEGATIVE_CATEGORIES = {
    "attempt",
    "bombing",
    "battle",
    "riot",
    "accident",
    "disaster",
    "crime",
    "encounter",
    "followup",
    "policy",
    "other_violence",
    "nonviolent",
}
REQUIRED_STR = ("id", "title", "text", "category")

# Minimum number of records per category, per file; owners raise these as their files grow.
MINIMUMS: dict[str, dict[str, int]] = {
    "hard_negative.jsonl": {
        "bombing": 110,
        "battle": 120,
        "riot": 90,
        "accident": 110,
        "disaster": 70,
        "crime": 140,
        "encounter": 100,
        "other_violence": 120,
        "followup": 140,
        "policy": 100,
    },
    "positive.jsonl": {"positive": 590},
}


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.jsonl"))


def read_records(path: Path) -> list[dict[str, object]]:
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{path.name}:{n}: not valid JSON: {exc.msg}")
        assert isinstance(rec, dict), f"{path.name}:{n}: not a JSON object"
        records.append(rec)
    return records


def test_corpus_directory_has_files() -> None:
    assert corpus_files(), f"no corpus files in {CORPUS_DIR}"


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_records_are_well_formed(path: Path) -> None:
    for n, rec in enumerate(read_records(path), 1):
        where = f"{path.name}:{n}"
        for key in REQUIRED_STR:
            assert isinstance(rec.get(key), str), f"{where}: field {key!r} missing or not a string"
        assert rec["id"] and rec["title"], f"{where}: empty id or title"
        assert rec.get("label") in (0, 1) and isinstance(rec["label"], int), f"{where}: label must be 0 or 1"
        if rec["label"] == 1:
            assert rec["category"] == "positive", f"{where}: label 1 needs category 'positive'"
        else:
            assert rec["category"] in NEGATIVE_CATEGORIES, f"{where}: unknown category {rec['category']!r}"
        title, text = str(rec["title"]).strip(), str(rec["text"]).strip()
        assert not (text and text.startswith(title)), f"{where}: text repeats the title"


def test_ids_unique_across_files() -> None:
    ids = Counter(str(rec["id"]) for path in corpus_files() for rec in read_records(path))
    repeated = [i for i, n in ids.items() if n > 1]
    assert not repeated, f"ids used more than once: {repeated[:10]}"


def test_no_example_appears_twice() -> None:
    seen: dict[str, str] = {}
    for path in corpus_files():
        for rec in read_records(path):
            key = " ".join(f"{rec['title']} {rec['text']}".lower().split())
            assert key not in seen, f"{rec['id']} repeats {seen[key]}"
            seen[key] = str(rec["id"])


@pytest.mark.parametrize("name", sorted(MINIMUMS))
def test_minimum_counts(name: str) -> None:
    path = CORPUS_DIR / name
    assert path.exists(), f"{name} is missing"
    counts = Counter(str(rec["category"]) for rec in read_records(path))
    short = {c: (counts[c], m) for c, m in MINIMUMS[name].items() if counts[c] < m}
    assert not short, f"{name}: categories below their minimum (have, need): {short}"
