"""The scoring function rebuilt from an artifact: TF-IDF blocks + cue features -> linear score -> Platt.

Pure numpy (no scikit-learn, no scipy, no pickle). ``score(docs)`` returns calibrated probabilities for a
batch;
``explain`` returns the features that pushed one document's score up or down the most, with readable names
(word n-grams, and cues, with the words of the text that set them off where the item is flagged; character
n-grams are scored but never shown, as they read poorly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from classifiers import artifact as art
from classifiers.cues import FEATURE_NAMES, cue_matrix, cue_terms, feature_words
from classifiers.vectorize import TfidfBlock, word_ngrams
from monitor.errors import ModelError


@dataclass
class Batch:
    """A batch's features (triplets sorted by row, over all columns), kept so reasons need no second pass."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    starts: np.ndarray  # starts[i]:starts[i + 1] are row i's entries
    decision: np.ndarray
    scores: np.ndarray
    #: Each entry's contribution to its row's decision (value times coefficient).
    contrib: np.ndarray
    #: Whether each entry's feature has a readable name (character n-grams have none).
    named: np.ndarray
    #: Each document's word 1-3-grams (lower-cased), to show the words behind a cue.
    terms: list[list[str]]


class LinearScorer:
    def __init__(
        self,
        blocks: list[tuple[str, TfidfBlock]],
        cue_scale: float,
        coef: np.ndarray,
        intercept: float,
        platt: tuple[float, float],
    ) -> None:
        self.blocks = blocks
        self.cue_scale = cue_scale
        self.coef = coef
        self.intercept = intercept
        self.platt = platt
        offsets = [0]
        names: list[str | None] = []
        for name, block in blocks:
            offsets.append(offsets[-1] + block.n_features)
            if name == "word":
                inverse: list[str | None] = [None] * block.n_features
                for term, col in block.vocabulary.items():
                    inverse[col] = f'"{term}"'
                names.extend(inverse)
            else:
                names.extend([None] * block.n_features)
        names.extend(FEATURE_NAMES)
        self.feature_names = names
        self._named = np.array([name is not None for name in names], dtype=bool)
        if len(coef) != offsets[-1] + len(FEATURE_NAMES):
            raise ModelError(
                f"artifact has {len(coef)} coefficients for {len(names)} features: {art.REBUILD}"
            )

    @staticmethod
    def check(artifact: art.Artifact) -> None:
        """The cheap checks of :meth:`from_artifact`, for a caller that builds the scorer later."""
        try:
            features = list(artifact.meta["cue_features"])
            missing = [
                k for k in ("blocks", "calibration", "cue_scale", "intercept") if k not in artifact.meta
            ]
        except (KeyError, TypeError) as exc:
            raise ModelError(f"{artifact.path}: malformed artifact ({exc!r}): {art.REBUILD}") from exc
        if features != list(FEATURE_NAMES):
            raise ModelError(
                f"{artifact.path}: the artifact's cue features differ from this code's: {art.REBUILD}"
            )
        if missing or "coef" not in artifact.arrays:
            raise ModelError(
                f"{artifact.path}: malformed artifact (missing {missing or ['coef']}): {art.REBUILD}"
            )

    @classmethod
    def from_artifact(cls, artifact: art.Artifact) -> LinearScorer:
        cls.check(artifact)
        meta, arrays = artifact.meta, artifact.arrays
        try:
            blocks = []
            for spec in meta["blocks"]:
                name = spec["name"]
                terms = art.decode_terms(arrays[f"{name}_terms"])
                blocks.append(
                    (
                        name,
                        TfidfBlock(
                            analyzer=spec["analyzer"],
                            ngram_range=(int(spec["ngram_range"][0]), int(spec["ngram_range"][1])),
                            vocabulary={term: i for i, term in enumerate(terms)},
                            idf=np.asarray(arrays[f"{name}_idf"], dtype=np.float64),
                            sublinear_tf=bool(spec["sublinear_tf"]),
                        ),
                    )
                )
            calibration = meta["calibration"]
            return cls(
                blocks=blocks,
                cue_scale=float(meta["cue_scale"]),
                coef=np.asarray(arrays["coef"], dtype=np.float64),
                intercept=float(meta["intercept"]),
                platt=(float(calibration["a"]), float(calibration["b"])),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelError(f"{artifact.path}: malformed artifact ({exc!r}): {art.REBUILD}") from exc

    def features(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[list[str]]]:
        """Row, column and value arrays of the full feature matrix, sorted by row, and each document's word
        1-3-grams."""
        lowered = [d.lower() for d in docs]
        word_terms = [word_ngrams(t, 1, 3) for t in lowered]
        rows, cols, vals = [], [], []
        offset = 0
        for _name, block in self.blocks:
            shared = block.analyzer == "word" and block.ngram_range == (1, 3)
            part = block.transform(lowered, word_terms if shared else None)
            rows.append(part.rows)
            cols.append(part.cols + offset)
            vals.append(part.vals)
            offset += block.n_features
        cues = cue_matrix(lowered, self.cue_scale, word_terms)
        r, c = np.nonzero(cues)
        rows.append(r.astype(np.int64))
        cols.append(c.astype(np.int64) + offset)
        vals.append(cues[r, c])
        all_rows = np.concatenate(rows)
        order = np.argsort(all_rows, kind="stable")
        return all_rows[order], np.concatenate(cols)[order], np.concatenate(vals)[order], word_terms

    def calibrate(self, decision: np.ndarray) -> np.ndarray:
        a, b = self.platt
        return np.asarray(1.0 / (1.0 + np.exp(-(a * decision + b))))

    def run(self, docs: Sequence[str]) -> Batch:
        rows, cols, vals, terms = self.features(docs)
        n = len(docs)
        contrib = vals * self.coef[cols]
        decision = np.bincount(rows, weights=contrib, minlength=n) + self.intercept
        starts = np.searchsorted(rows, np.arange(n + 1))
        return Batch(
            rows, cols, vals, starts, decision, self.calibrate(decision), contrib, self._named[cols], terms
        )

    def score(self, docs: Sequence[str]) -> np.ndarray:
        return self.run(docs).scores

    def explain(self, batch: Batch, row: int, positive: bool, limit: int = 5) -> list[str]:
        """The readable features with the largest contributions in one direction, strongest first."""
        start, end = batch.starts[row], batch.starts[row + 1]
        contrib = batch.contrib[start:end]
        # Only named features pointing the right way are candidates: sorting just those (a few dozen of a
        # row's several hundred entries) gives the same order as sorting all and skipping the rest.
        keep = np.flatnonzero(batch.named[start:end] & (contrib > 0 if positive else contrib < 0))
        values = contrib[keep]
        order = np.argsort(-values if positive else values, kind="stable")[:limit]
        names = self.feature_names
        reasons = []
        terms: list[tuple[str, int]] | None = None
        for k in order:
            name = str(names[int(batch.cols[start + keep[k]])])
            if positive and name.startswith("cue:"):
                # A cue's name says what it looks for; the words say what it found in this text. Only for
                # flagged items, which analysts read: most items are not flagged, and finding the words
                # costs about a tenth of scoring one (the contrast cues' names, "bomb", "crowd", say enough).
                terms = cue_terms(batch.terms[row]) if terms is None else terms
                words = feature_words(name, terms)
                if words:
                    name += " (" + ", ".join(f'"{w}"' for w in words) + ")"
            reasons.append(f"{name} {float(values[k]):+.2f}")
        return reasons
