"""All cue phrase lists of the classifier, in the order of the artifact's cue features.

The lists live by what they say: :mod:`classifiers.cues_targeting` (a chosen person deliberately killed)
and :mod:`classifiers.cues_contrast` (a report of something else). The order below is part of the
artifact format (its ``cue_features`` are checked at load): a new cue goes at the end, and the model is
retrained.
"""

from __future__ import annotations

from classifiers.cues_contrast import CONTRAST
from classifiers.cues_targeting import TARGETING

ORDER = (
    "death",
    "kill_individual",
    "agent",
    "shooting",
    "targeted",
    "victim_role",
    "named_person",
    "tally",
    "dead_body",
    "violence",
    "kidnap",
    "body_found",
    "released",
    "drone",
    "bomb",
    "bomb_target",
    "crowd",
    "battle",
    "riot",
    "encounter",
    "accident",
    "disaster",
    "crime",
    "followup",
    "survived",
    "injured",
    "policy",
    "mass_toll",
)

_ALL = {**TARGETING, **CONTRAST}
assert set(_ALL) == set(ORDER) and len(_ALL) == len(TARGETING) + len(CONTRAST), "a cue is missing or twice"
CUES: dict[str, list[str]] = {name: _ALL[name] for name in ORDER}
