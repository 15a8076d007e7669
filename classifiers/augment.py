"""Training documents from the written examples: each example as the service sees it, plus variants that
teach the model what must *not* count.

- A text-only copy (feeds that carry no headline).
- For terse incident-database records, a copy whose closing responsibility line is swapped: removed where
  the record ends with one, added (a seeded choice) where it does not. Real database entries close bombings,
  battles and killings alike with "No group claimed responsibility." or "The attackers escaped."; in our
  written records those lines had ended positives about three times as often as negatives, so on their own
  they had become a sign of a killing. The swapped copy makes them say nothing about the label.

Pure and deterministic (the seed chooses the added lines); it does not read files or know about folds: the
caller keeps every variant in its example's fold through the returned ``origin``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from classifiers.corpus import Example, document

#: Closing lines of incident-database records that say nothing about whether a chosen target was killed.
RESPONSIBILITY_LINES: tuple[str, ...] = (
    "No group claimed responsibility.",
    "No group claimed responsibility for the attack.",
    "No one claimed responsibility.",
    "The attackers escaped.",
    "The assailants fled on foot.",
    "The assailants escaped.",
    "Police suspected militants.",
    "Authorities blamed unidentified gunmen.",
    "No arrests were made.",
)
SWAPPED_REGISTER = "incident_database"


def swap_responsibility_line(text: str, rng: random.Random) -> str:
    """The text without its closing responsibility line, or with one added when it has none."""
    stripped = text.rstrip()
    for line in RESPONSIBILITY_LINES:
        if stripped.endswith(line):
            return stripped[: -len(line)].rstrip()
    return f"{stripped} {rng.choice(RESPONSIBILITY_LINES)}" if stripped else rng.choice(RESPONSIBILITY_LINES)


def augment(
    examples: Sequence[Example], text_only_weight: float, swap_weight: float = 0.0, seed: int = 0
) -> tuple[list[str], list[int], list[float], list[int]]:
    """Documents, labels, weights and the index of the example each document came from.

    The first document of every example is the example itself; its variants follow it directly.
    """
    rng = random.Random(seed)
    docs: list[str] = []
    labels: list[int] = []
    weights: list[float] = []
    origin: list[int] = []

    def add(doc: str, label: int, weight: float, i: int) -> None:
        docs.append(doc)
        labels.append(label)
        weights.append(weight)
        origin.append(i)

    for i, ex in enumerate(examples):
        add(ex.document, ex.label, 1.0, i)
        if text_only_weight > 0 and ex.title.strip() and len(ex.text.split()) >= 8:
            add(document("", ex.text), ex.label, text_only_weight, i)
        if swap_weight > 0 and ex.register == SWAPPED_REGISTER:
            add(document(ex.title, swap_responsibility_line(ex.text, rng)), ex.label, swap_weight, i)
    return docs, labels, weights, origin
