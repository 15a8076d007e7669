"""Reading the team's written corpus (``classifiers/training_data/*.jsonl``) and fingerprinting it.

A record is ``{"id", "title", "text", "label", "category", "register"?, "country"?}``; ``label`` is 1 only
for the category ``positive``. Malformed records are errors that name the file and line: a corpus that
silently loses examples would train a different model than the one the card describes.

Only the directory's own ``*.jsonl`` files are read: batches parked in a subfolder (``candidates/``) are
not trained on and do not enter the corpus hash. This module reads files; it does not train or score.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import InputError

CORPUS_DIR = Path(__file__).resolve().parent / "training_data"

#: The categories of the label definition (shared/data/README.md).
CATEGORIES = (
    "positive",
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
)
#: Violent but not targeted: the categories whose false-positive rate the done-when bounds.
VIOLENT_NEGATIVE = tuple(c for c in CATEGORIES if c not in ("positive", "nonviolent"))


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    text: str
    label: int
    category: str
    register: str = ""
    country: str = ""
    source: str = ""  # file name, or "extra" for examples passed in (analysts' verdicts)

    @property
    def document(self) -> str:
        """What the model scores: the title, a newline, the text (as an RSS item is seen)."""
        return document(self.title, self.text)


def document(title: str, text: str) -> str:
    return f"{title}\n{text}"


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def parse_record(raw: str, *, source: str, line: int) -> Example:
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", line=line, source=source) from exc
    if not isinstance(obj, dict):
        raise InputError("expected a JSON object", line=line, source=source)
    missing = [k for k in ("id", "title", "text", "label", "category") if k not in obj]
    if missing:
        raise InputError(f"missing {', '.join(missing)}", line=line, source=source)
    category = str(obj["category"])
    label = obj["label"]
    if category not in CATEGORIES:
        raise InputError(f"unknown category {category!r}", line=line, source=source)
    if label not in (0, 1) or (label == 1) != (category == "positive"):
        raise InputError(f"label {label!r} does not fit category {category!r}", line=line, source=source)
    if not isinstance(obj["title"], str) or not isinstance(obj["text"], str):
        raise InputError("title and text must be strings", line=line, source=source)
    return Example(
        id=str(obj["id"]),
        title=obj["title"],
        text=obj["text"],
        label=int(label),
        category=category,
        register=str(obj.get("register") or ""),
        country=str(obj.get("country") or ""),
        source=source,
    )


def load_file(path: Path) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                examples.append(parse_record(raw, source=path.name, line=number))
    return examples


def load_corpus(directory: Path = CORPUS_DIR) -> list[Example]:
    """Every example of every corpus file, files in name order, lines in file order."""
    examples: list[Example] = []
    for path in corpus_files(directory):
        examples.extend(load_file(path))
    seen: dict[str, str] = {}
    for ex in examples:
        if ex.id in seen:
            raise InputError(f"duplicate id {ex.id!r} (also in {seen[ex.id]})", source=ex.source)
        seen[ex.id] = ex.source
    return examples


def corpus_hash(directory: Path = CORPUS_DIR) -> str:
    """SHA-256 over the corpus files' names and bytes: what the committed artifact was trained on."""
    digest = hashlib.sha256()
    for path in corpus_files(directory):
        digest.update(path.name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def extra_hash(extra: Iterable[tuple[str, str, int]]) -> str:
    """A fingerprint of extra examples (analysts' verdicts) mixed into a training run."""
    digest = hashlib.sha256()
    for title, text, label in extra:
        digest.update(json.dumps([title, text, int(label)], ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()
