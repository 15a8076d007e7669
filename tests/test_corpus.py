"""Checks on the team-written training corpus in classifiers/training_data/*.jsonl.

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

CORPUS_DIR = Path(__file__).resolve().parents[1] / "classifiers" / "training_data"
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
        "bombing": 380,
        "battle": 220,
        "riot": 150,
        "accident": 170,
        "disaster": 120,
        "crime": 280,
        "encounter": 170,
        "other_violence": 260,
        "followup": 300,
        "policy": 220,
    },
    "positive.jsonl": {"positive": 1720},
    "attempt_nonviolent.jsonl": {"attempt": 400, "nonviolent": 635},
    "incident_register.jsonl": {
        "positive": 90,
        "attempt": 45,
        "bombing": 50,
        "battle": 25,
        "other_violence": 50,
    },
    "candidates/incident_register2.jsonl": {
        "positive": 250,
        "other_violence": 130,
        "attempt": 55,
        "bombing": 45,
    },
    "candidates/incident_register3.jsonl": {
        "positive": 190,
        "other_violence": 80,
        "attempt": 30,
        "bombing": 25,
    },
    "candidates/incident_register4.jsonl": {"positive": 150, "attempt": 20},
    "candidates/incident_register5.jsonl": {"bombing": 55, "other_violence": 35, "encounter": 15},
    "candidates/incident_register6.jsonl": {"positive": 65, "battle": 45},
}


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.jsonl"))


def candidate_files() -> list[Path]:
    """Written batches parked in ``candidates/``: not trained on, but held to the same checks."""
    return sorted((CORPUS_DIR / "candidates").glob("*.jsonl"))


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


@pytest.mark.parametrize("path", corpus_files() + candidate_files(), ids=lambda p: p.name)
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
    ids = Counter(str(rec["id"]) for path in corpus_files() + candidate_files() for rec in read_records(path))
    repeated = [i for i, n in ids.items() if n > 1]
    assert not repeated, f"ids used more than once: {repeated[:10]}"


def test_no_example_appears_twice() -> None:
    seen: dict[str, str] = {}
    for path in corpus_files() + candidate_files():
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


# --- the trainer's view of the corpus, and the committed model -----------------------------------------


def test_trainer_loads_every_record() -> None:
    from classifiers.corpus import load_corpus

    examples = load_corpus(CORPUS_DIR)
    assert len(examples) == sum(len(read_records(p)) for p in corpus_files())
    assert all((ex.label == 1) == (ex.category == "positive") for ex in examples)


def test_committed_model_was_trained_on_this_corpus() -> None:
    from classifiers import artifact as art
    from classifiers.corpus import corpus_hash

    meta = json.loads((art.MODEL_DIR / art.META_NAME).read_text(encoding="utf-8"))
    files = ", ".join(p.name for p in corpus_files())
    assert meta["corpus_hash"] == corpus_hash(CORPUS_DIR), (
        f"the committed model ({meta['version']}) was trained on another corpus than {files}: "
        "run `monitor model train` and commit classifiers/model/ and classifiers/MODEL_CARD.md"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not JSON"),
        ('{"id": "x", "title": "t", "text": "t", "label": 1, "category": "bombing"}', "does not fit"),
        ('{"id": "x", "title": "t", "text": "t", "label": 0, "category": "gossip"}', "unknown category"),
        ('{"id": "x", "title": "t", "label": 0, "category": "riot"}', "missing text"),
    ],
)
def test_trainer_names_file_and_line_of_a_bad_record(tmp_path: Path, line: str, message: str) -> None:
    from classifiers.corpus import load_file
    from monitor.errors import InputError

    path = tmp_path / "c.jsonl"
    good = '{"id": "a", "title": "t", "text": "t", "label": 0, "category": "riot"}'
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"c\.jsonl:2: .*{message}"):
        load_file(path)


def test_trainer_refuses_duplicate_ids(tmp_path: Path) -> None:
    from classifiers.corpus import load_corpus
    from monitor.errors import InputError

    row = '{"id": "same", "title": "t", "text": "t", "label": 0, "category": "riot"}\n'
    (tmp_path / "a.jsonl").write_text(row, encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(row, encoding="utf-8")
    with pytest.raises(InputError, match="duplicate id 'same'"):
        load_corpus(tmp_path)
