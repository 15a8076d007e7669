"""TF-IDF transforms rebuilt from stored parameters, matching scikit-learn's ``TfidfVectorizer`` exactly.

Training uses scikit-learn; scoring uses this module (numpy only), so the service never unpickles anything
and does not import scikit-learn or scipy. What is reproduced (and checked by ``tests/test_classify.py``
against scikit-learn on the same texts):

- ``analyzer="word"``: lower-case, tokens ``(?u)\\b\\w\\w+\\b``, n-grams joined by one space;
- ``analyzer="char_wb"``: lower-case, split on whitespace, each word padded with one space on each side,
  n-grams inside the padded word (a word shorter than n yields itself once);
- raw counts -> ``1 + log(count)`` when ``sublinear_tf`` -> times ``idf`` -> rows scaled to unit L2 norm.

A transform returns triplets (row, column, value) sorted by row then column, i.e. a CSR matrix without
scipy. Character n-grams depend only on the word, so their columns are memoised per word (a bounded
cache): the same words recur across articles, which is what makes batch scoring fast in pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # noqa: S105 - a regex, not a password
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_CACHE_LIMIT = 200_000


def word_ngrams(lowered: str, low: int, high: int) -> list[str]:
    """Word n-grams of a lower-cased text, in scikit-learn's order (unigrams, then bigrams, ...)."""
    tokens = _TOKEN_RE.findall(lowered)
    out: list[str] = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        # zip over shifted copies: the same n-grams as joining slices, in the same order, faster.
        if n == 2:
            out.extend([f"{a} {b}" for a, b in pairwise(tokens)])
        elif n == 3:
            out.extend([f"{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)])
        else:
            out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_wb_ngrams(word: str, low: int, high: int) -> list[str]:
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(low, high + 1):
        if size <= n:
            grams.append(padded)
            break
        grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


@dataclass(frozen=True)
class Triplets:
    """A sparse matrix as parallel arrays, sorted by row then column."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    n_rows: int
    n_cols: int

    def dense(self) -> np.ndarray:
        out = np.zeros((self.n_rows, self.n_cols))
        out[self.rows, self.cols] = self.vals
        return out


@dataclass
class TfidfBlock:
    """One fitted vectorizer: its analyzer settings, vocabulary (term -> column) and idf weights."""

    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]
    idf: np.ndarray
    sublinear_tf: bool = True
    _word_cache: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.analyzer not in ("word", "char_wb"):
            raise ValueError(f"unsupported analyzer {self.analyzer!r}")
        if len(self.idf) != len(self.vocabulary):
            raise ValueError("idf and vocabulary differ in length")

    @property
    def n_features(self) -> int:
        return len(self.vocabulary)

    def _char_columns(self, word: str) -> list[int]:
        cols = self._word_cache.get(word)
        if cols is None:
            vocab = self.vocabulary
            cols = [vocab[g] for g in char_wb_ngrams(word, *self.ngram_range) if g in vocab]
            if len(self._word_cache) >= _CACHE_LIMIT:
                self._word_cache.clear()
            self._word_cache[word] = cols
        return cols

    def columns(self, lowered: str, terms: list[str] | None = None) -> list[int]:
        """Columns of every in-vocabulary n-gram (with repeats) of a lower-cased text; ``terms`` may pass
        its word n-grams when already computed."""
        if self.analyzer == "word":
            vocab = self.vocabulary
            grams = terms if terms is not None else word_ngrams(lowered, *self.ngram_range)
            return [c for c in map(vocab.get, grams) if c is not None]
        cols: list[int] = []
        for word in lowered.split():
            cols.extend(self._char_columns(word))
        return cols

    def transform(self, lowered_texts: Sequence[str], terms: Sequence[list[str]] | None = None) -> Triplets:
        """The TF-IDF matrix of lower-cased texts (rows L2-normalised), as sorted triplets."""
        n_rows, n_cols = len(lowered_texts), self.n_features
        all_cols: list[int] = []
        lengths: list[int] = []
        for i, text in enumerate(lowered_texts):
            cols = self.columns(text, terms[i] if terms is not None else None)
            all_cols.extend(cols)
            lengths.append(len(cols))
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
        keys, counts = np.unique(rows * n_cols + np.asarray(all_cols, dtype=np.int64), return_counts=True)
        r, c = keys // max(n_cols, 1), keys % max(n_cols, 1)
        tf = counts.astype(np.float64)
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        weights = tf * self.idf[c]
        norms = np.sqrt(np.bincount(r, weights=weights * weights, minlength=n_rows))
        norms[norms == 0] = 1.0
        return Triplets(rows=r, cols=c, vals=weights / norms[r], n_rows=n_rows, n_cols=n_cols)
