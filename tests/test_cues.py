"""The classifier's cue features (classifiers.cues): the fast matcher used for scoring gives exactly the
cues of the general one, whatever the text; the words shown for a cue in a reason are the ones that set it
off."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers.cue_lists import CUES
from classifiers.cues import cue_hits, cue_mask, cue_terms, feature_words, ngram_cue_mask
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


def _words(feature: str, text: str) -> list[str]:
    return feature_words(feature, cue_terms(word_ngrams(text.lower(), 1, 3)))


def test_reason_words_are_the_ones_that_set_off_each_cue() -> None:
    text = "Gunmen on a motorcycle shot dead a lawyer outside his office. Two others were wounded."
    assert _words("cue:death+victim_role", text) == ["shot dead", "lawyer"]
    assert _words("cue:agent", text) == ["gunmen", "motorcycle"]
    # Only the cue that is present has words: the absent one is what the feature is about.
    assert _words("cue:injured-without-death", "Two policemen were wounded in the firing.") == ["wounded"]
    # Longer phrases first, and at most two words per cue.
    assert _words("cue:death", "He was shot dead and killed; the killing was murder.")[0] == "shot dead"
    assert len(_words("cue:death", "He was shot dead and killed; the killing was murder.")) == 2
    # "<num> people" is matched through its number.
    assert _words("cue:mass_toll", "A blast killed 14 people at a bus stand.") == ["14 people"]
    assert _words("cue:nonexistent+agent", text) == ["gunmen", "motorcycle"]
    assert _words("cue:agent", "") == []


def test_dead_or_body_is_shown_for_a_death_only_where_nothing_plainer_is() -> None:
    assert _words("cue:death+victim_role", "The bullet-riddled body of a policeman was found.") == [
        "body",
        "policeman",
    ]
    assert "body" not in _words("cue:death", "The body of a journalist was found; he had been murdered.")


@settings(max_examples=1000, deadline=None)
@given(st.lists(WORDS, max_size=30))
def test_a_cue_shows_words_exactly_when_it_fires_and_they_are_its_own(words: list[str]) -> None:
    grams = word_ngrams(" ".join(w.replace("<num>", "7") for w in words), 1, 3)
    mask = cue_mask(grams)
    terms = dict(cue_terms(grams))
    dead_body = 1 << list(CUES).index("dead_body")
    for i, name in enumerate(CUES):
        if name == "body_found":  # fires only beside violence, so its words may be there while it is off
            continue
        bit = 1 << i
        shown = feature_words(f"cue:{name}", list(terms.items()))
        assert bool(shown) == bool(mask & bit), name
        own = bit | dead_body if name == "death" else bit
        assert all(w in grams and terms[w] & own for w in shown), (name, shown)
