"""Evaluation figures for the classifier: pure functions of labels, categories, scores and a threshold.

Reported everywhere the same way (training, the model card, ``monitor model evaluate``): precision, recall,
F1, the false-positive rate on the violent-but-not-targeted categories (all but ``positive`` and
``nonviolent``), the error rate of each category, a precision-recall table over thresholds, and the average
precision (how well the scores rank positives above negatives, whatever the threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from classifiers.corpus import VIOLENT_NEGATIVE

TABLE_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def confusion(labels: np.ndarray, flagged: np.ndarray) -> tuple[int, int, int, int]:
    tp = int(np.sum(flagged & (labels == 1)))
    fp = int(np.sum(flagged & (labels == 0)))
    fn = int(np.sum(~flagged & (labels == 1)))
    tn = int(np.sum(~flagged & (labels == 0)))
    return tp, fp, fn, tn


def average_precision(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    """The area under the precision-recall steps: the precision at each distinct score, weighted by the
    recall it adds (tied scores count as one step, as scikit-learn's ``average_precision_score`` does)."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    positives = int(np.sum(y == 1))
    if positives == 0:
        return 0.0
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), len(s) - 1]  # the end of each run of tied scores
    tp = np.cumsum(y == 1)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0, tp]) / positives
    return float(np.sum(precision * recall_gain))


def point(labels: np.ndarray, categories: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    """Precision, recall, F1 and the violent false-positive rate at one threshold."""
    flagged = scores >= threshold
    tp, fp, fn, tn = confusion(labels, flagged)
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall)
    violent = np.isin(categories, VIOLENT_NEGATIVE)
    fpr_violent = _ratio(float(np.sum(flagged & violent)), float(np.sum(violent)))
    return {
        "threshold": float(threshold),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "fpr_violent": fpr_violent,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def evaluate(
    labels: Sequence[int],
    categories: Sequence[str],
    scores: Sequence[float] | np.ndarray,
    threshold: float,
    groups: Sequence[str] | None = None,
) -> dict[str, Any]:
    """All figures at ``threshold``; ``groups`` (e.g. source types) adds per-group error rates."""
    y = np.asarray(labels, dtype=np.int64)
    cats = np.asarray(categories, dtype=object)
    s = np.asarray(scores, dtype=np.float64)
    result = point(y, cats, s, threshold)
    result["n"] = len(y)
    result["positives"] = int(np.sum(y == 1))
    result["average_precision"] = average_precision(y, s)
    flagged = s >= threshold
    per_category = {}
    for cat in sorted(set(cats.tolist())):
        mask = cats == cat
        wrong = flagged[mask] != (y[mask] == 1)
        per_category[cat] = {
            "n": int(mask.sum()),
            "errors": int(wrong.sum()),
            "error_rate": _ratio(wrong.sum(), mask.sum()),
        }
    result["per_category"] = per_category
    if groups is not None:
        g = np.asarray(groups, dtype=object)
        per_group = {}
        for name in sorted(set(g.tolist())):
            mask = g == name
            sub = point(y[mask], cats[mask], s[mask], threshold)
            per_group[name] = {
                "n": int(mask.sum()),
                "positives": int(np.sum(y[mask] == 1)),
                **{k: sub[k] for k in ("precision", "recall", "f1", "fp", "fn")},
            }
        result["per_group"] = per_group
    result["table"] = [point(y, cats, s, t) for t in sorted({*TABLE_THRESHOLDS, float(threshold)})]
    return result


def choose_threshold(
    labels: Sequence[int],
    categories: Sequence[str],
    scores: Sequence[float] | np.ndarray,
    max_fpr_violent: float,
) -> float:
    """The threshold with the best F1 among those keeping the violent false-positive rate within bounds.

    Candidates are midpoints between distinct scores; ties go to the threshold nearest 0.5, so that a
    calibrated score keeps its plain meaning when several thresholds do equally well.
    """
    y = np.asarray(labels, dtype=np.int64)
    cats = np.asarray(categories, dtype=object)
    s = np.asarray(scores, dtype=np.float64)
    distinct = np.unique(s)
    candidates = (
        np.concatenate([[0.5], (distinct[:-1] + distinct[1:]) / 2]) if len(distinct) > 1 else np.array([0.5])
    )
    best: tuple[float, float, float] | None = None  # (f1, -distance to 0.5, threshold)
    for t in candidates:
        p = point(y, cats, s, float(t))
        if p["fpr_violent"] > max_fpr_violent:
            continue
        key = (round(p["f1"], 9), -abs(float(t) - 0.5), float(t))
        if best is None or key > best:
            best = key
    return best[2] if best is not None else 0.5
