"""Parse a feed document's bytes into plain dataclasses: ``bytes -> ParsedFeed``.

Flow: :func:`monitor.feedbytes.prepare` (charset repair, DOCTYPE/entity defusing) -> elements we never
read removed (categories, media references: see ``_UNUSED``) -> feedparser on the bytes (it never
fetches; HTML sanitizing and URI resolution inside content are off, because we keep plain text only
and extract it ourselves, faster) -> :mod:`monitor.feedtext` cleaning of every value.

Rules: an empty or whitespace-only body, or something that is not a feed (an HTML page), raises
:class:`~monitor.errors.ParseError` — an empty body is never a successful "no news" poll. A truncated
document keeps its complete items (``bozo`` with a warning). At most :data:`MAX_ENTRIES` entries are kept.

Pure: no I/O, no clock; safe to run in a worker process (everything returned pickles); the worker's
entry point is :func:`monitor.parse_worker.job`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any

import feedparser

from monitor import feedparser_fast, feedtext
from monitor.errors import ParseError
from monitor.feedbytes import prepare

MAX_ENTRIES = 5000

# feedparser's result dict with fast paths for plain keys (same answers, a fifth less parsing time).
feedparser_fast.install()

#: Elements whose contents the service never reads, removed before feedparser sees the document: every
#: element costs feedparser about 20 µs of Python, and items often carry several categories, media
#: references and comment links each (channel bookkeeping such as ``ttl`` and ``generator`` goes too).
#: Only whole elements without markup inside are matched (a category's text, a self-closing media
#: reference or enclosure), so the document stays as well-formed as it was; CDATA sections and
#: comments are matched first and kept as they are, so text that merely looks like such an element is
#: never touched.
_UNUSED = re.compile(
    # One "<" then the alternatives: the engine looks for "<" and tries them only there (2x faster).
    rb"<(?:(!\[CDATA\[.*?\]\]>|!--.*?-->)"
    rb"|(?P<cat>(?:atom:)?category|ttl|language|lastBuildDate|generator|docs|comments|wfw:commentRss"
    rb"|slash:comments|sy:updatePeriod|sy:updateFrequency)(?=[\s/>])[^<>]*(?:/>|>[^<]*</(?P=cat)\s*>)"
    rb"|(?:media:(?:content|thumbnail)|enclosure)(?=[\s/])[^<>]*/>)",
    re.DOTALL,
)


def _prune(body: bytes) -> bytes:
    return _UNUSED.sub(lambda m: b"<" + m.group(1) if m.group(1) else b"", body)


@dataclass(frozen=True)
class ParsedEntry:
    guid: str  #: normalised; "" when the item has none
    link: str  #: absolute, as published ("" if none)
    canonical_url: str | None  #: canonical form of ``link``, the article's identity when present
    title: str
    summary: str
    author: str
    published_at: dt.datetime | None  #: UTC, None when missing or impossible
    updated_at: dt.datetime | None

    @functools.cached_property
    def content_hash(self) -> str:
        """Hash of title and text: tells an edited item from an unchanged one.

        Computed once per entry (in the worker that parsed it; the value travels with the entry)."""
        return hashlib.sha256(f"{self.title}\x1f{self.summary}".encode()).hexdigest()


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str
    entries: list[ParsedEntry]
    version: str = ""
    bozo: bool = False
    warnings: list[str] = field(default_factory=list)


def _text(entry: Any, key: str) -> str:
    # dict.get: the keys read here are stored under their own names, so feedparser's alias handling
    # (even its fast path, see monitor.feedparser_fast) has nothing to add.
    value = dict.get(entry, key)
    return value if isinstance(value, str) else ""


def _body_text(entry: Any) -> str:
    """The longest of the item's content blocks and its summary, as plain text."""
    candidates = [_text(entry, "summary")]
    for block in dict.get(entry, "content") or ():
        value = block.get("value") if hasattr(block, "get") else None
        if isinstance(value, str):
            candidates.append(value)
    best = max(candidates, key=len)
    return feedtext.to_text(best, feedtext.SUMMARY_MAX)


def _updated_parsed(entry: Any) -> Any:
    # What FeedParserDict answers for "updated_parsed": the published date when the item has no
    # updated one at all (an old feedparser fallback, kept so that stored values do not change).
    if dict.__contains__(entry, "updated_parsed"):
        return dict.get(entry, "updated_parsed")
    return dict.get(entry, "published_parsed")


def _entry(raw: Any, base: str, now: dt.datetime) -> ParsedEntry:
    link = feedtext.absolute_url(_text(raw, "link"), base)
    canonical = feedtext.canonical_url(link)
    raw_id = _text(raw, "id")
    # A permalink GUID is usually the link itself: canonicalised once.
    guid = (canonical or link) if raw_id and raw_id == link else feedtext.normalise_guid(raw_id, base)
    published = feedtext.plausible_date(dict.get(raw, "published_parsed"), now)
    updated = feedtext.plausible_date(_updated_parsed(raw), now)
    return ParsedEntry(
        guid=guid,
        link=link,
        canonical_url=canonical,
        title=feedtext.to_text(_text(raw, "title"), feedtext.TITLE_MAX),
        summary=_body_text(raw),
        author=feedtext.to_text(_text(raw, "author"), feedtext.AUTHOR_MAX),
        published_at=published or updated,
        updated_at=updated,
    )


def parse_feed(data: bytes, url: str, now: dt.datetime, content_type: str = "") -> ParsedFeed:
    """Parse ``data`` fetched from ``url`` (the base for relative links); raise ParseError if not a feed."""
    if not data.strip():
        raise ParseError(url, "empty body" if not data else "body is only whitespace")
    prepared = prepare(data, content_type)
    body = _prune(prepared.data)
    # No content-location: given a base, feedparser re-joins it with itself at every start tag (about a
    # third of the parse time, measured on generated 20-item feeds). Without one it still applies
    # xml:base (relative ones stay relative), and every link is made absolute against ``url`` below,
    # which gives the same result.
    headers = {"content-type": "application/xml; charset=utf-8"}
    try:
        result = feedparser.parse(
            io.BytesIO(body),  # a stream: feedparser would treat raw bytes as a file name first
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser's loose parser raises odd things on odd input
        raise ParseError(url, f"feedparser failed: {type(exc).__name__}: {exc}") from exc
    warnings = list(prepared.warnings)
    if not result.get("version") and not result.get("entries"):
        reason = result.get("bozo_exception")
        raise ParseError(url, "not a feed (no RSS/Atom/RDF root)" + (f": {reason}" if reason else ""))
    if result.get("bozo"):
        warnings.append(
            f"{type(result.get('bozo_exception')).__name__}: {result.get('bozo_exception')}"[:300]
        )
    feed = result.get("feed", {})
    base = feedtext.absolute_url(feed.get("link"), url) or url
    raw_entries = result.get("entries", [])
    if len(raw_entries) > MAX_ENTRIES:
        warnings.append(f"{len(raw_entries)} entries, only the first {MAX_ENTRIES} kept")
        raw_entries = raw_entries[:MAX_ENTRIES]
    entries = [_entry(raw, url, now) for raw in raw_entries]
    return ParsedFeed(
        title=feedtext.to_text(
            feed.get("title") if isinstance(feed.get("title"), str) else "", feedtext.TITLE_MAX
        ),
        link=base,
        entries=entries,
        version=str(result.get("version") or ""),
        bozo=bool(result.get("bozo")),
        warnings=warnings,
    )
