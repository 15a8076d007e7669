"""The classifier's cue features (classifiers.cues): the fast matcher used for scoring gives exactly the
cues of the general one, whatever the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers.cue_lists import CUES
from classifiers.cues import cue_hits, cue_mask, ngram_cue_mask
from classifiers.vectorize import word_ngrams

# Words of the cue phrases themselves (so that phrases do occur), numbers, and ordinary words.
CUE_WORDS = sorted({w.rstrip("*") for phrases in CUES.values() for p in phrases for w in p.split()})
WORDS = st.sampled_from([*CUE_WORDS, "2", "12", "300", "the", "in", "karachi", "market", "on", "x9"])


@settings(max_examples=400, deadline=None)
@given(st.lists(WORDS, max_size=40))
def test_the_scoring_matcher_agrees_with_the_general_one(words: list[str]) -> None:
    grams = word_ngrams(" ".join(w.replace("<num>", "7") for w in words), 1, 3)
    assert ngram_cue_mask(grams) == cue_mask(grams)


def test_a_number_matches_a_phrase_that_starts_with_num() -> None:
    numbered = [(cue, p) for cue, phrases in CUES.items() for p in phrases if p.startswith("<num> ")]
    assert numbered, "no cue phrase starts with <num>"
    cue, phrase = numbered[0]
    text = phrase.replace("<num>", "27")
    grams = word_ngrams(text, 1, 3)
    assert ngram_cue_mask(grams) == cue_mask(grams) != 0
    assert cue_hits(text)[cue]


def test_short_texts() -> None:
    for text in ("", "killed", "shot dead", "2 killed"):
        grams = word_ngrams(text, 1, 3)
        assert ngram_cue_mask(grams) == cue_mask(grams)
