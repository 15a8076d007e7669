"""Faster paths through feedparser's result dictionary (``FeedParserDict``), with the same answers.

feedparser builds its results in a ``dict`` subclass whose item access is Python code: every lookup and
assignment checks a table of old key names (``guid`` means ``id``, ``description`` means ``summary``,
...) and a few keys with special answers (``category``, ``updated``, ...). feedparser itself makes about
a thousand such calls per 20-item feed, a fifth of its parsing time. :func:`install` gives those
methods a fast path for every other key, which goes straight to ``dict``: exactly what the original
does for such keys (look-up, ``KeyError`` when missing, default for ``get``). Keys with an alias or a
special answer still take the original code.

``copy.deepcopy`` of such a dictionary, which feedparser does for every text element (the content
parameters), gets a direct implementation instead of the generic copy protocol.

Checked by ``tests/test_feedparser_fast.py`` against the original methods, and by parsing (identical
results on the 5,409 documents of the shared feed corpus when this was written). feedparser is pinned
in ``pyproject.toml``. :mod:`monitor.parse` calls :func:`install`; this module parses nothing itself.
"""

from __future__ import annotations

import copy
from typing import Any

from feedparser.util import FeedParserDict

#: The original methods (kept for the slow keys, and for tests).
ORIGINAL = {
    name: getattr(FeedParserDict, name) for name in ("__getitem__", "get", "__setitem__", "__contains__")
}
#: Keys whose answer is not a plain dict look-up: aliases and specially computed ones.
SLOW_KEYS = frozenset(FeedParserDict.keymap) | {
    "category",
    "enclosures",
    "license",
    "updated",
    "updated_parsed",
}

_original_getitem = ORIGINAL["__getitem__"]
_original_get = ORIGINAL["get"]
_original_setitem = ORIGINAL["__setitem__"]
_original_contains = ORIGINAL["__contains__"]
_dict_getitem = dict.__getitem__
_dict_get = dict.get
_dict_setitem = dict.__setitem__
_dict_contains = dict.__contains__


def _getitem(self: FeedParserDict, key: Any) -> Any:
    if key in SLOW_KEYS:
        return _original_getitem(self, key)
    return _dict_getitem(self, key)


def _get(self: FeedParserDict, key: Any, default: Any = None) -> Any:
    if key in SLOW_KEYS:
        return _original_get(self, key, default)
    return _dict_get(self, key, default)


def _setitem(self: FeedParserDict, key: Any, value: Any) -> None:
    if key in SLOW_KEYS:
        _original_setitem(self, key, value)
    else:
        _dict_setitem(self, key, value)


def _contains(self: FeedParserDict, key: Any) -> bool:
    if key in SLOW_KEYS:
        return bool(_original_contains(self, key))
    return _dict_contains(self, key)


def _deepcopy(self: FeedParserDict, memo: dict[int, Any]) -> FeedParserDict:
    new = FeedParserDict()
    memo[id(self)] = new
    for key, value in dict.items(self):
        _dict_setitem(new, key, value if isinstance(value, str) else copy.deepcopy(value, memo))
    return new


def install() -> None:
    """Give FeedParserDict the fast paths (idempotent)."""
    FeedParserDict.__getitem__ = _getitem
    FeedParserDict.get = _get
    FeedParserDict.__setitem__ = _setitem
    FeedParserDict.__contains__ = _contains
    FeedParserDict.__deepcopy__ = _deepcopy
