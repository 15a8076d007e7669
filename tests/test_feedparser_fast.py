"""monitor.feedparser_fast gives feedparser's result dict the same answers as its own methods, for
aliased, special and plain keys alike, and a deep copy that is a real deep copy."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from feedparser.util import FeedParserDict

from monitor import feedparser_fast
from tests.test_parse import parse

feedparser_fast.install()
# Every alias feedparser knows, the keys it answers specially, and plain ones (listed here, not taken
# from the module under test, so that a key it forgot is still checked).
ALIASES = sorted(FeedParserDict.keymap)
SPECIAL = ["category", "enclosures", "license", "updated", "updated_parsed"]
PLAIN = ["title", "link", "id", "summary", "content", "author", "published_parsed", "missing", "", 3]
KEYS: list[Any] = [*ALIASES, *SPECIAL, *PLAIN]


def sample() -> FeedParserDict:
    d = FeedParserDict()
    for key, value in {
        "title": "t",
        "id": "guid-1",
        "summary": "s",
        "published": "Tue, 01 Dec 2026",
        "published_parsed": time.gmtime(0),
        "tags": [FeedParserDict(term="politics", scheme=None, label=None)],
        "links": [
            FeedParserDict(rel="alternate", href="https://c.example.org/a"),
            FeedParserDict(rel="enclosure", href="https://c.example.org/a.mp3", type="audio/mpeg"),
            FeedParserDict(rel="license", href="https://c.example.org/l"),
        ],
        "rights": "r",
        "subtitle": "sub",
    }.items():
        dict.__setitem__(d, key, value)
    return d


def outcome(call: Any) -> tuple[str, Any]:
    try:
        return ("value", call())
    except KeyError:
        return ("KeyError", None)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("key", KEYS, ids=str)
def test_reading_gives_the_original_answers(key: Any) -> None:
    d = sample()
    original = feedparser_fast.ORIGINAL
    assert outcome(lambda: d[key]) == outcome(lambda: original["__getitem__"](d, key))
    assert d.get(key, "default") == original["get"](d, key, "default")
    assert (key in d) == original["__contains__"](d, key)


@pytest.mark.parametrize("key", KEYS, ids=str)
def test_writing_stores_under_the_same_key(key: Any) -> None:
    fast, slow = sample(), sample()
    fast[key] = "new"
    feedparser_fast.ORIGINAL["__setitem__"](slow, key, "new")
    assert dict(fast) == dict(slow)


def test_deep_copies_are_independent() -> None:
    outer = sample()
    copied = copy.deepcopy(outer)
    assert copied == outer and isinstance(copied, FeedParserDict)
    assert copied["links"][0] is not outer["links"][0] and copied["links"][0] == outer["links"][0]
    copied["links"][0]["href"] = "changed"
    assert outer["links"][0]["href"] == "https://c.example.org/a"
    assert copied.links[1].type == "audio/mpeg"  # attribute access still works on the copy


def test_parsing_still_reads_aliases() -> None:
    feed = parse("basic.rss")
    assert feed.title and feed.entries and all(e.title for e in feed.entries)
