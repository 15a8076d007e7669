"""The classifier: exact re-implementation of scikit-learn's TF-IDF, artifact round trip and refusals,
verdicts and reasons, settings overrides, and the shipped artifact."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers import artifact as art
from classifiers.corpus import document
from classifiers.train import TrainResult, train
from classifiers.vectorize import TfidfBlock
from monitor.classify import Verdict, load_classifier, load_from
from monitor.config import Settings
from monitor.errors import ModelError
from tests.support import tiny_corpus

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)

ODD_TEXTS = [
    "",
    "a",
    "Gunmen   shot\tdead a lawyer\n\nin the OLD town",
    "Déjà vu: café owner's ‘killing’ — 3 suspects; naïve résumé",
    "x" * 40 + " y z",
    "I o u  a an the 12 345 6-7 re-elected ex-MNA",
    "Urdu mixed text: کراچی میں فائرنگ shot dead",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    base = tmp_path_factory.mktemp("model")
    corpus = tiny_corpus.write(base / "corpus")
    return train(now=NOW, out_dir=base / "artifact", corpus_dir=corpus)


@pytest.mark.parametrize(("analyzer", "ngrams"), [("word", (1, 3)), ("char_wb", (2, 5)), ("word", (2, 2))])
def test_tfidf_block_matches_scikit_learn(analyzer: str, ngrams: tuple[int, int]) -> None:
    train_texts = [r["text"] for r in tiny_corpus.records()] + ODD_TEXTS
    vec = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True, min_df=1)
    vec.fit(train_texts)
    block = TfidfBlock(analyzer=analyzer, ngram_range=ngrams, vocabulary=dict(vec.vocabulary_), idf=vec.idf_)
    probe = [
        *ODD_TEXTS,
        "Gunmen shot dead a lawyer, a lawyer, a lawyer in Riverside.",
        "unseen words only qqq",
    ]
    ours = block.transform([t.lower() for t in probe]).dense()
    theirs = vec.transform(probe).toarray()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_artifact_round_trip_reproduces_scikit_learn(trained: TrainResult) -> None:
    classifier = load_from(trained.path)
    assert classifier.version == trained.version
    assert classifier.version.startswith("tk-20261122-")
    docs = [document(r["title"], r["text"]) for r in tiny_corpus.records()] + ODD_TEXTS  # type: ignore[arg-type]
    assert trained.reference is not None
    expected = trained.reference(docs)
    got = classifier.scorer.run(docs).decision
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_training_is_deterministic(trained: TrainResult, tmp_path: Path) -> None:
    corpus = tiny_corpus.write(tmp_path / "corpus")
    again = train(now=NOW, out_dir=tmp_path / "again", corpus_dir=corpus)
    assert again.version == trained.version
    assert (tmp_path / "again" / art.ARRAYS_NAME).read_bytes() == (
        trained.path / art.ARRAYS_NAME
    ).read_bytes()


def test_verdicts_scores_and_reasons(trained: TrainResult) -> None:
    classifier = load_from(trained.path)
    verdicts = classifier.classify(
        [
            (
                "Lawyer shot dead",
                "Gunmen on a motorcycle shot dead a lawyer outside his office in Northgate.",
            ),
            ("Library opens", "The council opened a new library and a park on Sunday."),
        ]
    )
    assert [type(v) for v in verdicts] == [Verdict, Verdict]
    hit, miss = verdicts
    assert hit.flagged and not miss.flagged
    assert hit.score > classifier.threshold > miss.score
    assert hit.model_version == miss.model_version == trained.version
    assert hit.reasons and all(r.rsplit(" ", 1)[1].startswith("+") for r in hit.reasons)
    assert miss.reasons and all(r.rsplit(" ", 1)[1].startswith("-") for r in miss.reasons)
    assert any('"shot dead"' in r or "cue:" in r for r in hit.reasons)
    # A flagged item's cue reasons show the words that set each cue off: 'cue:agent ("gunmen", "motorcycle")
    # +0.61'; an item not flagged gets the cue names only.
    cue_reasons = [r for r in hit.reasons if r.startswith("cue:")]
    assert cue_reasons
    assert not any("(" in r for r in miss.reasons if r.startswith("cue:"))
    text = "lawyer shot dead gunmen on a motorcycle shot dead a lawyer outside his office"
    for reason in cue_reasons:
        name, _, rest = reason.partition(" (")
        shown = [w.strip('"') for w in rest.rpartition(") ")[0].split(", ") if w]
        assert shown or "-without-" in name, reason
        assert all(w in text for w in shown), reason
    assert classifier.classify([]) == []


def _copy(trained: TrainResult, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(trained.path, target)
    return target


def test_refuses_tampered_arrays(trained: TrainResult, tmp_path: Path) -> None:
    target = _copy(trained, tmp_path)
    payload = bytearray((target / art.ARRAYS_NAME).read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    (target / art.ARRAYS_NAME).write_bytes(bytes(payload))
    with pytest.raises(ModelError, match=r"tampered.*monitor model train"):
        load_from(target)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("sklearn_version", "0.24.2", "scikit-learn 0.24.2"),
        ("format", 99, "format 99"),
        ("numpy_version", "1.26.4", "numpy 1.26.4"),
        ("cue_features", ["cue:something-else"], "cue features differ"),
    ],
)
def test_refuses_incompatible_artifact(
    trained: TrainResult, tmp_path: Path, key: str, value: object, message: str
) -> None:
    target = _copy(trained, tmp_path)
    meta = json.loads((target / art.META_NAME).read_text())
    meta[key] = value
    (target / art.META_NAME).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=message) as info:
        load_from(target)
    assert "monitor model train" in str(info.value)


def test_missing_artifact_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no classifier artifact.*monitor model train"):
        load_from(tmp_path / "nowhere")


def test_settings_choose_model_and_threshold(
    trained: TrainResult, make_settings: Callable[..., Settings]
) -> None:
    own = load_classifier(make_settings(env={"MONITOR_CLASSIFIER__MODEL_PATH": str(trained.path)}))
    assert own.threshold == trained.meta["threshold"]
    strict = load_classifier(
        make_settings(
            env={
                "MONITOR_CLASSIFIER__MODEL_PATH": str(trained.path),
                "MONITOR_CLASSIFIER__THRESHOLD": "0.999",
            }
        )
    )
    assert strict.threshold == 0.999
    item = [
        ("Lawyer shot dead", "Gunmen on a motorcycle shot dead a lawyer outside his office in Northgate.")
    ]
    assert own.classify(item)[0].flagged
    verdict = strict.classify(item)[0]
    assert verdict.flagged == (verdict.score >= 0.999)
    assert not verdict.flagged


def test_extra_examples_change_the_model(trained: TrainResult, tmp_path: Path) -> None:
    corpus = tiny_corpus.write(tmp_path / "corpus")
    extra = [("Reviewer example", "A tailor was shot dead by hitmen in a targeted attack.", 1)] * 3
    result = train(now=NOW, out_dir=tmp_path / "with-extra", corpus_dir=corpus, extra=extra)
    assert result.meta["extra_count"] == 3 and result.meta["extra_hash"]
    assert result.version != trained.version


def test_shipped_artifact_loads_and_separates(make_settings: Callable[..., Settings]) -> None:
    classifier = load_classifier(make_settings())
    assert classifier.version.startswith("tk-")
    hit, miss = classifier.classify(
        [
            (
                "Party worker shot dead",
                "Unidentified gunmen on a motorbike shot dead a party worker near his home.",
            ),
            ("Budget approved", "The provincial assembly approved the budget for schools and hospitals."),
        ]
    )
    assert hit.score > miss.score
    assert hit.flagged and not miss.flagged
    size = sum(p.stat().st_size for p in art.MODEL_DIR.iterdir())
    assert size < art.MAX_ARTIFACT_BYTES


def test_huge_items_are_scored_from_their_start(trained: TrainResult) -> None:
    classifier = load_from(trained.path)
    lede = "Gunmen on a motorcycle shot dead a lawyer outside his office in Northgate. "
    huge, plain = classifier.classify(
        [("Lawyer shot dead", lede + "filler words " * 500_000), ("Lawyer shot dead", lede)]
    )
    assert huge.flagged and plain.flagged
    assert classifier.scores(["x" * 5_000_000]) == classifier.scores(["x" * 20_000])


def test_out_of_fold_scores_average_the_repeats(tmp_path: Path) -> None:
    """Repeated cross-validation: each example's out-of-fold decision is the mean of one run per seed."""
    from dataclasses import replace

    from classifiers.augment import augment
    from classifiers.corpus import load_corpus
    from classifiers.train import TrainConfig, _matrix, _vectorizers, out_of_fold

    examples = load_corpus(tiny_corpus.write(tmp_path / "corpus"))
    config = replace(TrainConfig(), folds=3)
    docs, labels, weights, origin = augment(examples, config.text_only_weight)
    word, char = _vectorizers(config)
    matrix = _matrix(word, char, docs, config.cue_scale, fit=True)
    y, w, o = np.asarray(labels), np.asarray(weights), np.asarray(origin)

    def run(seed: int, repeats: int) -> np.ndarray:
        return out_of_fold(matrix, y, w, o, examples, replace(config, seed=seed, repeats=repeats))

    single = [run(config.seed + r, 1) for r in range(3)]
    assert not np.allclose(single[0], single[1]), "another seed must deal other folds"
    np.testing.assert_allclose(run(config.seed, 3), np.mean(single, axis=0), rtol=0, atol=1e-12)


def test_card_names_the_repeats(trained: TrainResult) -> None:
    from classifiers import card

    assert trained.meta["data"]["repeats"] == 5
    assert "repeated with 5 fixed seeds" in card.render(trained.meta)


def test_average_precision_matches_scikit_learn() -> None:
    from sklearn.metrics import average_precision_score

    from classifiers.metrics import average_precision

    rng = np.random.default_rng(7)
    for _ in range(50):
        n = int(rng.integers(2, 60))
        labels = rng.integers(0, 2, n)
        scores = np.round(rng.random(n), int(rng.integers(1, 3)))  # rounding makes ties
        if labels.sum() == 0:
            assert average_precision(labels, scores) == 0.0
            continue
        assert average_precision(labels, scores) == pytest.approx(average_precision_score(labels, scores))
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) == pytest.approx((1 + 2 / 3) / 2)
