"""Training: corpus -> augment -> TF-IDF (word 1-3, char_wb 2-5) + cues -> logistic regression, validated
by stratified cross-validation -> Platt calibration and threshold on the out-of-fold scores -> artifact.

    examples = corpus files (+ extra (title, text, label) examples, e.g. analysts' verdicts)
    docs = each example as title+text, plus a text-only variant and, for incident-database records, one
           with the closing responsibility line swapped (augment.py; same fold as its example)
    folds = per category, seeded round-robin (never dev.jsonl), repeated with `repeats` seeds
    for each fold: fit on the other folds, score the fold's examples -> out-of-fold scores (mean of repeats)
    platt (a, b) and threshold (best F1 with violent FPR <= bound) chosen on the out-of-fold scores
    model = LogisticRegression(hstack(word tfidf, char tfidf, cues)) fitted on every document
    artifact = vocabularies, idf, coefficients, calibration, threshold, metrics (JSON + NPZ)
    check: the rebuilt numpy scorer reproduces scikit-learn's scores before the artifact is written

Deterministic: fixed seeds, files read in name order, no parallel solver. It does not evaluate on the
shared dev set unless given one (``dev``), and then only to report figures in the card.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from classifiers import artifact as art
from classifiers import card, metrics
from classifiers.augment import augment
from classifiers.corpus import CORPUS_DIR, Example, corpus_hash, extra_hash, load_corpus
from classifiers.cues import FEATURE_NAMES, cue_matrix
from classifiers.scorer import LinearScorer


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 20261122
    folds: int = 5
    #: Cross-validation is repeated with this many fold assignments (seed, seed + 1, ...) and each example's
    #: out-of-fold decisions are averaged before calibration and threshold: with one assignment, which
    #: examples happen to share a fold moved the chosen threshold between 0.42 and 0.48 for corpora that
    #: differ in three labels (0.41-0.42 with five repeats).
    repeats: int = 5
    word_ngrams: tuple[int, int] = (1, 3)
    char_ngrams: tuple[int, int] = (2, 5)
    word_max_features: int = 60_000
    char_max_features: int = 80_000
    min_df: int = 2
    cue_scale: float = 0.6
    #: Multiplies the character n-gram block before fitting (a prior on how much the writing style may count:
    #: the corpus is hand-written, so its character n-grams fit the writers' habits). Folded into the shipped
    #: coefficients, so the scorer sees the plain block.
    char_weight: float = 1.0
    C: float = 8.0
    text_only_weight: float = 0.5
    #: Weight of the incident-database copies with their closing responsibility line swapped (see augment).
    swap_weight: float = 0.5
    max_fpr_violent: float = 0.03


@dataclass
class TrainResult:
    version: str
    path: Path
    metrics: dict[str, Any]
    dev_metrics: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    #: scikit-learn's own decision function of the fitted pipeline (tests compare the shipped scorer to it).
    reference: Callable[[Sequence[str]], np.ndarray] | None = None


def assign_folds(examples: Sequence[Example], folds: int, seed: int) -> np.ndarray:
    """A fold number per example: per category, a seeded shuffle dealt round-robin (stratified)."""
    rng = random.Random(seed)
    by_cat: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_cat.setdefault(ex.category, []).append(i)
    fold = np.zeros(len(examples), dtype=np.int64)
    start = 0
    for cat in sorted(by_cat):
        members = sorted(by_cat[cat], key=lambda i: examples[i].id)
        rng.shuffle(members)
        for j, i in enumerate(members):
            fold[i] = (start + j) % folds
        start += len(members)  # keeps small categories from all landing in fold 0
    return fold


def _vectorizers(config: TrainConfig) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(
        analyzer="word",
        ngram_range=config.word_ngrams,
        sublinear_tf=True,
        min_df=config.min_df,
        max_features=config.word_max_features,
        dtype=np.float64,
    )
    char = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=config.char_ngrams,
        sublinear_tf=True,
        min_df=config.min_df,
        max_features=config.char_max_features,
        dtype=np.float64,
    )
    return word, char


def _matrix(
    word: Any, char: Any, docs: Sequence[str], cue_scale: float, fit: bool = False, char_weight: float = 1.0
) -> sp.csr_matrix:
    lowered = [d.lower() for d in docs]
    cues = sp.csr_matrix(cue_matrix(lowered, cue_scale))
    if fit:
        blocks = [word.fit_transform(docs), char.fit_transform(docs) * char_weight, cues]
    else:
        blocks = [word.transform(docs), char.transform(docs) * char_weight, cues]
    return sp.hstack(blocks, format="csr")


def _linear(matrix: sp.csr_matrix, labels: np.ndarray, weights: np.ndarray, config: TrainConfig) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=config.C, max_iter=5000, solver="liblinear", random_state=config.seed)
    model.fit(matrix, labels, sample_weight=weights)
    return model


def out_of_fold(
    matrix: sp.csr_matrix,
    labels: np.ndarray,
    weights: np.ndarray,
    origin: np.ndarray,
    examples: Sequence[Example],
    config: TrainConfig,
) -> np.ndarray:
    """Each example's decision from models that did not see it (nor any copy of it), averaged over
    ``config.repeats`` fold assignments (seeds ``seed``, ``seed + 1``, ...).

    The calibration, the threshold and the reported figures then rest on every example once, with less of
    the luck of one fold assignment.
    """
    first = np.flatnonzero(np.r_[True, origin[1:] != origin[:-1]])  # the plain document of each example
    runs = []
    for repeat in range(max(1, config.repeats)):
        fold = assign_folds(examples, config.folds, config.seed + repeat)
        run = np.zeros(len(examples))
        for k in range(config.folds):
            held = fold[origin] == k
            fold_model = _linear(matrix[~held], labels[~held], weights[~held], config)
            run[fold == k] = fold_model.decision_function(matrix[first[fold == k]])
        runs.append(run)
    return np.asarray(np.mean(runs, axis=0))


def _shipped_coef(coef: np.ndarray, n_word: int, n_char: int, config: TrainConfig) -> np.ndarray:
    """The coefficients for the plain (unweighted) blocks the scorer computes: the char weight folded in."""
    shipped = coef.copy()
    shipped[n_word : n_word + n_char] *= config.char_weight
    return shipped


def _platt(decision: np.ndarray, labels: Sequence[int]) -> tuple[float, float]:
    """Platt scaling with Platt's smoothed targets: a perfectly separated split still gives a sane slope."""
    from scipy.optimize import minimize

    y = np.asarray(labels, dtype=np.float64)
    n_pos, n_neg = float(y.sum()), float(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        return 1.0, 0.0
    target = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] * decision + params[1]
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(np.logaddexp(0, z) - target * z))
        grad = np.array([np.sum((p - target) * decision), np.sum(p - target)])
        return value, grad

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def _version(now: dt.datetime, payload: bytes) -> str:
    return f"tk-{now:%Y%m%d}-{hashlib.sha256(payload).hexdigest()[:8]}"


def train(
    *,
    now: dt.datetime,
    out_dir: Path = art.MODEL_DIR,
    corpus_dir: Path = CORPUS_DIR,
    extra: Iterable[tuple[str, str, int]] = (),
    dev: Sequence[Example] | None = None,
    config: TrainConfig | None = None,
    write_card: Path | None = None,
) -> TrainResult:
    """Train, calibrate, choose the threshold, write the artifact to ``out_dir``; returns the figures."""
    import sklearn

    config = config or TrainConfig()
    corpus = load_corpus(corpus_dir)
    extra_list = [(str(t), str(x), int(y)) for t, x, y in extra]
    examples = list(corpus) + [
        Example(
            id=f"extra-{i}", title=t, text=x, label=y, category="positive" if y else "review", source="extra"
        )
        for i, (t, x, y) in enumerate(extra_list)
    ]
    docs, label_list, weight_list, origin_list = augment(
        examples, config.text_only_weight, config.swap_weight, config.seed
    )
    labels, weights, origin = np.asarray(label_list), np.asarray(weight_list), np.asarray(origin_list)
    # Vocabulary and idf come from every document (no labels involved); the linear model is fitted per fold
    # for out-of-fold scores, then once on everything for the shipped model.
    word, char = _vectorizers(config)
    matrix = _matrix(word, char, docs, config.cue_scale, fit=True, char_weight=config.char_weight)
    oof = out_of_fold(matrix, labels, weights, origin, examples, config)
    model = _linear(matrix, labels, weights, config)

    y = [ex.label for ex in examples]
    cats = [ex.category for ex in examples]
    a, b = _platt(oof, y)
    oof_scores = 1.0 / (1.0 + np.exp(-(a * oof + b)))
    threshold = metrics.choose_threshold(y, cats, oof_scores, config.max_fpr_violent)
    valid_metrics = metrics.evaluate(y, cats, oof_scores, threshold)

    word_terms = [t for t, _ in sorted(word.vocabulary_.items(), key=lambda kv: kv[1])]
    char_terms = [t for t, _ in sorted(char.vocabulary_.items(), key=lambda kv: kv[1])]
    arrays = {
        "word_terms": art.encode_terms(word_terms),
        "word_idf": np.asarray(word.idf_, dtype=np.float64),
        "char_terms": art.encode_terms(char_terms),
        "char_idf": np.asarray(char.idf_, dtype=np.float64),
        "coef": _shipped_coef(
            np.asarray(model.coef_[0], dtype=np.float64), len(word_terms), len(char_terms), config
        ),
    }
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode() + arrays[name].tobytes())
    digest.update(repr((float(model.intercept_[0]), a, b, threshold)).encode())
    version = _version(now, digest.digest())
    counts: dict[str, int] = {}
    for ex in examples:
        counts[ex.category] = counts.get(ex.category, 0) + 1
    meta: dict[str, Any] = {
        "version": version,
        "trained_at": now.isoformat(),
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "corpus_hash": corpus_hash(corpus_dir),
        "extra_count": len(extra_list),
        "extra_hash": extra_hash(extra_list) if extra_list else "",
        "config": asdict(config),
        "blocks": [
            {
                "name": "word",
                "analyzer": "word",
                "ngram_range": list(config.word_ngrams),
                "sublinear_tf": True,
            },
            {
                "name": "char",
                "analyzer": "char_wb",
                "ngram_range": list(config.char_ngrams),
                "sublinear_tf": True,
            },
        ],
        "cue_features": list(FEATURE_NAMES),
        "cue_scale": config.cue_scale,
        "intercept": float(model.intercept_[0]),
        "calibration": {"method": "platt", "a": a, "b": b},
        "threshold": threshold,
        "data": {
            "examples": len(examples),
            "documents": len(docs),
            "folds": config.folds,
            "repeats": max(1, config.repeats),
            "categories": counts,
        },
        "metrics": {"valid": valid_metrics},
    }

    # The shipped scorer must reproduce scikit-learn's numbers before anything is written.
    scorer = LinearScorer.from_artifact(art.Artifact(meta=meta, arrays=arrays, path=out_dir))
    probe = docs[:: max(1, len(docs) // 400)]
    expected = np.asarray(
        model.decision_function(_matrix(word, char, probe, config.cue_scale, char_weight=config.char_weight))
    )
    rebuilt = scorer.run(probe).decision
    if len(rebuilt) and not np.allclose(rebuilt, expected, rtol=0, atol=1e-9):
        worst = float(np.max(np.abs(rebuilt - expected)))
        raise RuntimeError(
            f"rebuilt scorer differs from scikit-learn by {worst}: refusing to write the artifact"
        )

    dev_metrics = None
    if dev:
        dev_scores = scorer.score([ex.document for ex in dev])
        dev_metrics = metrics.evaluate(
            [ex.label for ex in dev], [ex.category for ex in dev], dev_scores, threshold
        )
        meta["metrics"]["dev"] = dev_metrics
    art.save(out_dir, meta, arrays)
    if write_card is not None:
        write_card.write_text(card.render(meta), encoding="utf-8")
    return TrainResult(
        version=version,
        path=out_dir,
        metrics=valid_metrics,
        dev_metrics=dev_metrics,
        meta=meta,
        reference=lambda texts: np.asarray(
            model.decision_function(
                _matrix(word, char, texts, config.cue_scale, char_weight=config.char_weight)
            )
        ),
    )
