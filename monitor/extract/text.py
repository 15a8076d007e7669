# ruff: noqa: E501  (regex tables and example sentences read better unwrapped)
"""Text helpers shared by the extractors: cleaning, sentences, tokens and name keys.

Pure functions over strings; nothing here knows about places, numbers or groups.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u2011": "-"})

# A period ends a sentence unless it follows an abbreviation or a single capital (initials).
_ABBREV = r"(?<!\bMr)(?<!\bMrs)(?<!\bDr)(?<!\bNo)(?<!\bSt)(?<!\bvs)(?<!\bRs)(?<!\bJan)(?<!\bFeb)(?<!\bAug)(?<!\bSept)(?<!\bSep)(?<!\bOct)(?<!\bNov)(?<!\bDec)(?<!\bCol)(?<!\bGen)(?<!\bLt)(?<!\bSgt)(?<!\bInsp)(?<!\bMaj)(?<!\bCapt)(?<!\bDept)(?<!\bGovt)(?<!\b[A-Z])"
_SENTENCE_END = re.compile(_ABBREV + r"[.!?]+[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n|\n(?=[A-Z])")

MAX_SENTENCE = 600
TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:'[A-Za-z]+)?|\d+(?:[.,]\d+)*")


def clean(text: str) -> str:
    """Normalise quotes, dashes and spaces; drop control characters. Keeps newlines."""
    text = unicodedata.normalize("NFC", text or "").translate(_QUOTES)
    text = _CONTROL.sub(" ", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def fold(text: str) -> str:
    """ASCII-fold: 'Muzaffarābād' -> 'Muzaffarabad'."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def sentences(text: str) -> list[Sentence]:
    """Split into sentences with their offsets in ``text``."""
    out: list[Sentence] = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[pos : match.start() + len(match.group(0).rstrip())]
        if piece.strip():
            out.append(Sentence(pos, pos + len(piece), piece))
        pos = match.end()
    if text[pos:].strip():
        out.append(Sentence(pos, len(text), text[pos:]))
    # A run-on "sentence" (no punctuation, hostile input) is cut into pieces of bounded length.
    bounded: list[Sentence] = []
    for s in out:
        for cut in range(0, len(s.text), MAX_SENTENCE):
            bounded.append(
                Sentence(
                    s.start + cut, min(s.end, s.start + cut + MAX_SENTENCE), s.text[cut : cut + MAX_SENTENCE]
                )
            )
    return bounded


def name_key(name: str) -> str:
    """A lookup key for place names: case, hyphens, dots, izafat and possessive 's do not matter.

    'Gulshan-e-Iqbal' -> 'gulshan iqbal'; 'F.B. Area' -> 'fb area'; "Karachi's" -> 'karachi'.
    """
    words = re.findall(r"[a-z0-9&]+", re.sub(r"'s\b", "", fold(name).lower()))
    out: list[str] = []
    abbrev: list[bool] = []
    for word in words:
        if word in {"e", "i"} and out and not abbrev[-1]:
            continue  # the Persian izafat: Gulshan-e-Iqbal = Gulshan-i-Iqbal = Gulshan Iqbal
        if len(word) == 1 and out and abbrev[-1]:
            out[-1] += word  # initials written with dots or spaces: "D. I. Khan" -> "di khan"
            continue
        out.append(word)
        abbrev.append(len(word) == 1)
    return " ".join(out)
