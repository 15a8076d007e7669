"""Hand-written cues that encode the label definition (see the model card), as a few dense features.

Each cue is a list of phrases over the word tokens of the text (tokens as the word TF-IDF block sees them:
lower-cased runs of 2+ word characters, so "bullet-riddled" is "bullet riddled" and "a" disappears); a
token ending in ``*`` matches any word with that prefix, ``<num>`` matches a number. Features are single cues
plus conjunctions ("a death verb AND an attacker like 'gunmen'") and "a without b" pairs. The linear model
learns how much each counts: the cues only say *what* to look at (who was killed, by whom, how; whether it
was indiscriminate, an accident, an encounter, a court case, an attempt everyone survived). They name no
places.

Pure functions only. Matching works on the set of n-grams of a text and caches the cues of each distinct
n-gram (bounded), which keeps it fast; the same code runs at training and scoring time, so the artifact
stores only the feature names (checked at load) and their weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from classifiers.cue_lists import CUES
from classifiers.vectorize import word_ngrams

__all__ = [
    "CONJUNCTIONS",
    "CUES",
    "FEATURE_NAMES",
    "WITHOUT",
    "cue_hits",
    "cue_mask",
    "cue_matrix",
    "cue_terms",
    "feature_words",
]

CONJUNCTIONS: tuple[tuple[str, ...], ...] = (
    ("death", "agent"),
    ("death", "shooting"),
    ("death", "targeted"),
    ("death", "victim_role"),
    ("death", "named_person"),
    ("kill_individual", "victim_role"),
    ("kill_individual", "agent"),
    ("death", "agent", "victim_role"),
    ("death", "shooting", "victim_role"),
    ("death", "bomb"),
    ("death", "bomb", "bomb_target"),
    ("death", "crowd"),
    ("death", "battle"),
    ("death", "encounter"),
    ("death", "accident"),
    ("death", "crime"),
    ("death", "followup"),
    ("death", "mass_toll"),
    ("kidnap", "body_found"),
    ("kidnap", "death"),
    ("kidnap", "released"),
    ("drone", "named_person"),
    ("drone", "death"),
    ("tally", "targeted"),
    ("tally", "death"),
    ("survived", "agent"),
    ("injured", "death"),
    ("shooting", "crowd"),
)
WITHOUT: tuple[tuple[str, str], ...] = (
    ("survived", "death"),
    ("shooting", "death"),
    ("kidnap", "death"),
    ("agent", "death"),
    ("injured", "death"),
)

FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"cue:{name}" for name in CUES)
    + tuple("cue:" + "+".join(parts) for parts in CONJUNCTIONS)
    + tuple(f"cue:{a}-without-{b}" for a, b in WITHOUT)
)

_BIT = {name: 1 << i for i, name in enumerate(CUES)}
_EXACT: dict[str, int] = {}
_PREFIXES: list[tuple[str, int]] = []
for _name, _phrases in CUES.items():
    for _phrase in _phrases:
        if _phrase.endswith("*"):
            if " " in _phrase:
                raise ValueError(f"cue {_name}: a prefix must be a single word, not {_phrase!r}")
            _PREFIXES.append((_phrase[:-1], _BIT[_name]))
        else:
            _EXACT[_phrase] = _EXACT.get(_phrase, 0) | _BIT[_name]
#: Cues that show violence: with one of them, "dead" or "body" is a death and a body found counts;
#: without, neither does (a man found dead at home, a body recovered from a river).
VIOLENT = sum(
    _BIT[n] for n in ("violence", "shooting", "kill_individual", "bomb", "battle", "encounter", "riot")
)
_DEATH, _DEAD_BODY, _BODY_FOUND = _BIT["death"], _BIT["dead_body"], _BIT["body_found"]
_CONJ_MASKS = [sum(_BIT[p] for p in parts) for parts in CONJUNCTIONS]
_WITHOUT_MASKS = [(_BIT[a], _BIT[b]) for a, b in WITHOUT]
_PHRASES = frozenset(p for p in _EXACT if " " in p)
_CACHE: dict[str, int] = {}
_CACHE_LIMIT = 500_000


def _numbered(phrase: str) -> str:
    """A phrase with its numbers as ``<num>``, as cue phrases spell them ("14 people" -> "<num> people")."""
    return " ".join("<num>" if t.isdigit() else t for t in phrase.split(" "))


def _word_mask(word: str) -> int:
    """Cues of one word (exact words and prefixes), memoised: words recur, the prefix scan is slow."""
    mask = _EXACT.get(word, 0)
    for prefix, bit in _PREFIXES:
        if word.startswith(prefix):
            mask |= bit
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[word] = mask
    return mask


def cue_mask(terms: Iterable[str]) -> int:
    """The cues present among a text's word n-grams (1-3), as a bit mask; "dead"/"body" add the death cue, and
    a body found stays, only where the text shows violence (``VIOLENT``)."""
    mask = 0
    cache, exact = _CACHE, _EXACT
    for term in terms:
        if " " in term:
            # Phrases are exact; "<num>" stands for a number, and only ever as a phrase's first word.
            mask |= exact.get(term, 0)
            if term[0].isdigit():
                mask |= exact.get(_numbered(term), 0)
        else:
            known = cache.get(term)
            mask |= known if known is not None else _word_mask(term)
    return _with_violence(mask)


def _with_violence(mask: int) -> int:
    """ "dead"/"body" add the death cue, and a body found stays, only beside a sign of violence."""
    if mask & VIOLENT:
        if mask & _DEAD_BODY:
            mask |= _DEATH
    else:
        mask &= ~_BODY_FOUND
    return mask


def ngram_cue_mask(grams: list[str]) -> int:
    """:func:`cue_mask` of a text's word 1-3-grams exactly as :func:`word_ngrams` lists them (its n
    tokens first, then n - 1 bigrams and n - 2 trigrams), faster: tokens go through the per-word cache,
    phrases are matched by one set intersection, and only phrases that start with a number are looked at
    one by one."""
    n = (len(grams) + 3) // 3 if grams else 0
    mask = 0
    cache = _CACHE
    numbers = False
    for word in grams[:n]:
        known = cache.get(word)
        mask |= known if known is not None else _word_mask(word)
        numbers = numbers or word[0].isdigit()
    phrases = grams[n:]
    for phrase in _PHRASES.intersection(phrases):
        mask |= _EXACT[phrase]
    if numbers:
        for phrase in phrases:
            if phrase[0].isdigit():
                mask |= _EXACT.get(_numbered(phrase), 0)
    return _with_violence(mask)


def cue_hits(lowered: str) -> dict[str, bool]:
    """Which single cues occur in a lower-cased text (for reading and tests)."""
    mask = cue_mask(word_ngrams(lowered, 1, 3))
    return {name: bool(mask & bit) for name, bit in _BIT.items()}


def values_from_mask(mask: int) -> list[float]:
    values = [1.0 if mask & bit else 0.0 for bit in _BIT.values()]
    values += [1.0 if mask & m == m else 0.0 for m in _CONJ_MASKS]
    values += [1.0 if (mask & a) and not (mask & b) else 0.0 for a, b in _WITHOUT_MASKS]
    return values


def cue_matrix(
    lowered_texts: Sequence[str], scale: float, terms: Sequence[list[str]] | None = None
) -> np.ndarray:
    """A dense (n_texts, n_features) matrix of cue features times ``scale``; ``terms`` may pass each text's
    word 1-3-grams when they are already known."""
    if not lowered_texts:
        return np.zeros((0, len(FEATURE_NAMES)))
    grams = terms if terms is not None else [word_ngrams(t, 1, 3) for t in lowered_texts]
    return np.asarray([values_from_mask(ngram_cue_mask(g)) for g in grams], dtype=np.float64) * scale


def cue_terms(grams: list[str]) -> list[tuple[str, int]]:
    """The n-grams of a text that set off any cue, with their cue bits, for :func:`feature_words`; ``grams``
    as :func:`word_ngrams` lists them (tokens first, like :func:`ngram_cue_mask`)."""
    n = (len(grams) + 3) // 3 if grams else 0
    found: dict[str, int] = {}
    cache = _CACHE
    for word in grams[:n]:
        known = cache.get(word)
        mask = known if known is not None else _word_mask(word)
        if mask:
            found[word] = mask
    phrases = grams[n:]
    for phrase in _PHRASES.intersection(phrases):
        found[phrase] = _EXACT[phrase]
    for phrase in phrases:
        if phrase[0].isdigit():
            mask = _EXACT.get(_numbered(phrase), 0)
            if mask:
                found[phrase] = found.get(phrase, 0) | mask
    return list(found.items())


def feature_words(feature: str, terms: Sequence[tuple[str, int]], per_cue: int = 2) -> list[str]:
    """For a cue feature name ("cue:death+victim_role", "cue:injured-without-death"), the words of a text
    behind each cue that is present (``terms`` from :func:`cue_terms`), longest first, so that a reason can
    show them to a reader.

    "dead"/"body" stand for a death only beside violence (see :func:`cue_mask`); they are shown for "death"
    when no plainer death word is there. A cue that must be absent ("-without-") shows nothing.
    """
    name = feature.removeprefix("cue:")
    present = name.split("-without-", 1)[0].split("+")
    words: list[str] = []
    for cue in present:
        bit = _BIT.get(cue)
        if bit is None:
            continue
        found = [t for t, mask in terms if mask & bit]
        if not found and cue == "death" and any(mask & VIOLENT for _, mask in terms):
            found = [t for t, mask in terms if mask & _DEAD_BODY]
        found.sort(key=lambda t: -t.count(" "))
        words.extend(w for w in found[:per_cue] if w not in words)
    return words
