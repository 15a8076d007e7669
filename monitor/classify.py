"""Load the shipped classifier and score articles: does each one report a targeted killing?

    classifier = load_classifier(settings)        # ModelError if missing/incompatible, never a silent "no"
    verdicts = classifier.classify([(title, text), ...])   # batch; scores title + "\\n" + text

A :class:`Verdict` carries the calibrated score, whether it passes the threshold, the model version and the
features that drove it (top positive contributions for a flagged item, top negative ones otherwise).
The model is the artifact in ``classifiers/model/`` unless ``classifier.model_path`` names another; the
service never trains or downloads at run time. This module does no database work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifiers import artifact as art
from classifiers.corpus import document
from classifiers.scorer import LinearScorer
from monitor.records import ModelSpec as ModelSpec  # re-exported

if TYPE_CHECKING:
    from monitor.config import Settings

#: Scoring more than this many texts at once only costs memory.
BATCH_SIZE = 512
#: What the pipeline gives the classifier per article: full-content blog feeds carry 10,000 characters
#: per item, scoring cost grows with length, and a news report states what happened in its opening
#: paragraphs.
CLASSIFY_TEXT_CHARS = 2000
#: Only the start of a huge item is scored: the label is decided by the headline and lede, and a 10 MB
#: "summary" must not cost seconds or gigabytes.
MAX_CHARS = 20_000


@dataclass(frozen=True)
class Verdict:
    score: float
    flagged: bool
    reasons: list[str]
    model_version: str


def classify_text(title: str, summary: str) -> tuple[str, str]:
    """The (title, text) an article is scored on: the same wherever it is scored."""
    return (title, summary[:CLASSIFY_TEXT_CHARS])


class Classifier:
    """A loaded model: ``version``, ``threshold`` and ``classify``."""

    def __init__(
        self,
        scorer: LinearScorer | art.Artifact,
        *,
        version: str,
        threshold: float,
        meta: dict[str, Any],
        directory: Path | None = None,
    ) -> None:
        # Given a checked artifact, the scorer (its vocabularies, about 20 MB) is built on first use:
        # a polling round whose workers score everything never needs it in the pipeline's process.
        self._scorer = scorer if isinstance(scorer, LinearScorer) else None
        self._artifact = None if isinstance(scorer, LinearScorer) else scorer
        self.version = version
        self.threshold = threshold
        self.meta = meta
        self.directory = directory

    @property
    def scorer(self) -> LinearScorer:
        if self._scorer is None:
            assert self._artifact is not None
            self._scorer = LinearScorer.from_artifact(self._artifact)
            self._artifact = None
        return self._scorer

    @property
    def scorer_built(self) -> bool:
        """Whether this process has built the scorer (about 20 MB): it is built on first use."""
        return self._scorer is not None

    @property
    def spec(self) -> ModelSpec | None:
        """How a worker process loads this model, or None when it was not loaded from a directory."""
        if self.directory is None:
            return None
        return ModelSpec(str(self.directory), self.threshold, self.version)

    def classify(self, items: Sequence[tuple[str, str]]) -> list[Verdict]:
        verdicts: list[Verdict] = []
        for start in range(0, len(items), BATCH_SIZE):
            chunk = items[start : start + BATCH_SIZE]
            batch = self.scorer.run([document(title or "", text or "")[:MAX_CHARS] for title, text in chunk])
            for row, score in enumerate(batch.scores.tolist()):
                flagged = score >= self.threshold
                verdicts.append(
                    Verdict(
                        score=round(float(score), 6),
                        flagged=flagged,
                        reasons=self.scorer.explain(batch, row, positive=flagged),
                        model_version=self.version,
                    )
                )
        return verdicts

    def scores(self, docs: Sequence[str]) -> list[float]:
        """Scores only (no reasons), for evaluation over many texts."""
        out: list[float] = []
        for start in range(0, len(docs), BATCH_SIZE):
            out.extend(self.scorer.score([d[:MAX_CHARS] for d in docs[start : start + BATCH_SIZE]]).tolist())
        return out


def model_dir(settings: Settings) -> Path:
    """The configured model, else the one promoted by `monitor model retrain`, else the shipped one."""
    if settings.classifier.model_path:
        return Path(settings.classifier.model_path)
    from monitor.storage.model_versions import promoted_dir

    return promoted_dir(Path(settings.data_dir)) or art.MODEL_DIR


def load_from(directory: Path, threshold: float | None = None) -> Classifier:
    artifact = art.load(directory)
    LinearScorer.check(artifact)  # a stale or malformed artifact is refused now, not at first use
    chosen = float(artifact.meta["threshold"]) if threshold is None else float(threshold)
    return Classifier(
        artifact,
        version=str(artifact.meta["version"]),
        threshold=chosen,
        meta=artifact.meta,
        directory=Path(directory).resolve(),
    )


def load_classifier(settings: Settings) -> Classifier:
    """The configured classifier; raises ModelError (saying how to rebuild) when it cannot be used."""
    return load_from(model_dir(settings), settings.classifier.threshold)
