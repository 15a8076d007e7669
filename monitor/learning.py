"""The learning loop's decisions: which reviewed articles are held out, how a model does on them, and
whether a retrained model may replace the current one. Pure: data in, figures and decisions out.

A retrained model is promoted only when it is not worse on the held-out part of the analysts' verdicts:
its F1 is at least the current model's and its false-positive rate (share of rejected articles it
flags) is at most the current one's. The held-out part is chosen by a hash of the article id, so it is
stable from one retraining to the next and never leaks into training.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Reviewed:
    article_id: int
    title: str
    text: str
    label: int  # 1 confirmed, 0 rejected


@dataclass(frozen=True)
class ReviewFigures:
    n: int
    confirmed: int
    rejected: int
    precision: float
    recall: float
    f1: float
    fpr: float  # flagged among the rejected

    def line(self) -> str:
        return (
            f"n={self.n} (confirmed {self.confirmed}, rejected {self.rejected}) "
            f"precision={self.precision:.3f} recall={self.recall:.3f} f1={self.f1:.3f} "
            f"false-positive rate={self.fpr:.3f}"
        )


def is_held_out(article_id: int, fraction: float) -> bool:
    digest = hashlib.sha256(f"review-holdout:{article_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < fraction


def split(examples: Sequence[Reviewed], fraction: float) -> tuple[list[Reviewed], list[Reviewed]]:
    """(train part, held-out part) of the reviewed articles."""
    train = [e for e in examples if not is_held_out(e.article_id, fraction)]
    held = [e for e in examples if is_held_out(e.article_id, fraction)]
    return train, held


def figures(labels: Sequence[int], flagged: Sequence[bool]) -> ReviewFigures:
    tp = sum(1 for y, f in zip(labels, flagged, strict=True) if y == 1 and f)
    fp = sum(1 for y, f in zip(labels, flagged, strict=True) if y == 0 and f)
    fn = sum(1 for y, f in zip(labels, flagged, strict=True) if y == 1 and not f)
    confirmed = sum(1 for y in labels if y == 1)
    rejected = len(labels) - confirmed
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ReviewFigures(
        len(labels), confirmed, rejected, precision, recall, f1, fp / rejected if rejected else 0.0
    )


def promotion(
    current: ReviewFigures, candidate: ReviewFigures, *, min_held_out: int = 20
) -> tuple[bool, str]:
    """Whether the candidate may replace the current model, and why (for the log and the CLI)."""
    if candidate.n < min_held_out:
        return False, f"only {candidate.n} held-out verdicts (need {min_held_out}): keeping the current model"
    if candidate.f1 + 1e-9 < current.f1:
        return False, f"F1 on held-out verdicts would drop from {current.f1:.3f} to {candidate.f1:.3f}"
    if candidate.fpr > current.fpr + 1e-9:
        rise = f"{current.fpr:.3f} to {candidate.fpr:.3f}"
        return False, f"false-positive rate on held-out verdicts would rise from {rise}"
    return True, (
        f"not worse on {candidate.n} held-out verdicts: F1 {current.f1:.3f} -> {candidate.f1:.3f}, "
        f"false-positive rate {current.fpr:.3f} -> {candidate.fpr:.3f}"
    )
