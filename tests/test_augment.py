"""Training documents: the example itself first, then its text-only copy and, for incident-database
records, the copy with its closing responsibility line swapped (removed or added)."""

from __future__ import annotations

import random

from classifiers.augment import RESPONSIBILITY_LINES, augment, swap_responsibility_line
from classifiers.corpus import Example, document


def _example(i: int, text: str, register: str, label: int = 1) -> Example:
    return Example(
        id=f"x-{i}",
        title=f"Incident report: Quetta, Pakistan {i}",
        text=text,
        label=label,
        category="positive" if label else "bombing",
        register=register,
    )


def test_a_closing_line_is_removed_where_present_and_added_where_absent() -> None:
    rng = random.Random(1)
    assert (
        swap_responsibility_line("Gunmen shot dead a judge. No group claimed responsibility.  ", rng)
        == "Gunmen shot dead a judge."
    )
    added = swap_responsibility_line("A bomb exploded in a market, killing nine people.", rng)
    head, _, tail = added.partition(". ")
    assert head == "A bomb exploded in a market, killing nine people"
    assert tail in RESPONSIBILITY_LINES
    assert swap_responsibility_line("", random.Random(1)) in RESPONSIBILITY_LINES
    # The longer line wins over its own prefix: "... for the attack." is removed whole.
    assert (
        swap_responsibility_line(
            "Two policemen were shot dead. No group claimed responsibility for the attack.", rng
        )
        == "Two policemen were shot dead."
    )


def test_only_incident_database_records_get_the_swapped_copy() -> None:
    long_text = "Gunmen on a motorcycle shot dead a lawyer outside the district court on Monday."
    examples = [
        _example(0, long_text, "incident_database"),
        _example(1, long_text, "pakistani_press"),
        _example(2, "A bomb killed nine. The attackers escaped.", "incident_database", label=0),
    ]
    docs, labels, weights, origin = augment(examples, text_only_weight=0.5, swap_weight=0.25, seed=3)
    assert origin == [0, 0, 0, 1, 1, 2, 2]
    assert labels == [1, 1, 1, 1, 1, 0, 0]
    assert weights == [1.0, 0.5, 0.25, 1.0, 0.5, 1.0, 0.25]
    assert docs[0] == examples[0].document and docs[3] == examples[1].document
    assert docs[1] == document("", long_text)
    assert docs[2].startswith(examples[0].document + " ")
    assert docs[6] == document(examples[2].title, "A bomb killed nine.")
    # Seeded: the same seed adds the same lines; no swap weight, no swapped copies.
    assert augment(examples, 0.5, 0.25, seed=3)[0] == docs
    assert augment(examples, 0.5, 0.0, seed=3)[2] == [1.0, 0.5, 1.0, 0.5, 1.0]
