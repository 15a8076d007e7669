"""Clean the values of a parsed feed: plain text from HTML, canonical links, GUIDs and plausible dates.

We store plain text only, so HTML is never kept: markup is parsed with selectolax (lexbor), scripts,
styles and other non-text elements are dropped with their content, block elements become spaces,
entities are decoded and whitespace is collapsed. Lengths are capped before and after extraction so a
10 MB title costs little.

Pure functions: no I/O, no clock (``now`` is an argument).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

TITLE_MAX = 1000
SUMMARY_MAX = 10_000
AUTHOR_MAX = 300
URL_MAX = 2048
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=2)

_MARKUP = re.compile(r"<[A-Za-z/!?]|&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
_BLOCK = re.compile(
    r"<(?=/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|figure|figcaption|"
    r"header|footer|hr|pre|dd|dt|dl|img)\b)",
    re.IGNORECASE,
)
_DROP = [
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "head",
    "title",
]
#: Text and plain tags only (names, attributes with quoted or bare values), possessive so that a value
#: that does not match fails in linear time.
_SIMPLE_MARKUP = re.compile(
    r"""(?:[^<]++|</?[A-Za-z][A-Za-z0-9]*+(?:\s++[^<>"'=\s/]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'<>=`]++))?+)*+"""
    r"""\s*+/?>)*+"""
)
_TAG = re.compile(r"""<[^<>"']*(?:(?:"[^"]*"|'[^']*')[^<>"']*)*>""")
#: Elements whose content is not text to a parser (or not shown): always parsed.
_RAW_TEXT = re.compile(
    r"<(?:script|style|noscript|template|iframe|object|embed|svg|math|head|title|textarea|xmp|plaintext"
    r"|noembed|noframes|select|option)\b",
    re.IGNORECASE,
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_TRACKING = re.compile(
    r"^(utm_.*|fbclid|gclid|gclsrc|dclid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl|igshid|ocid|cmpid|"
    r"ncid|ito|spm|__twitter_impression|wt\.mc_id|smid|ref_src|mkt_tok)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SPACE = re.compile(r"\s")


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ", limit - 80)
    return (cut[:space] if space > 0 else cut).rstrip() + "…"


def to_text(value: str | None, limit: int) -> str:
    """Plain text of an HTML or text value: no markup, entities decoded, whitespace collapsed, capped."""
    if not value:
        return ""
    # Bound the work first: nobody needs more than a few times the cap of raw markup.
    value = value[: limit * 8]
    if _MARKUP.search(value):
        value = _markup_text(_BLOCK.sub(" <", value))
    return _truncate(" ".join(value.split()), limit)


def _markup_text(value: str) -> str:
    # Most feed HTML is a few plain tags around text. For that, removing the tags and decoding the
    # entities gives exactly what an HTML parser would (checked against lexbor on every value of the
    # shared feed corpus and on 200,000 random mixes of markup; tests/test_feedtext_markup.py keeps checking),
    # at a quarter of the cost of building a document. Anything else (comments, raw-text elements
    # such as script, a "<" that starts no tag) goes to the parser.
    if not _RAW_TEXT.search(value) and _SIMPLE_MARKUP.fullmatch(value):
        return html.unescape(_TAG.sub("", value))
    return parsed_text(value)


def parsed_text(value: str) -> str:
    """The text of ``value`` as an HTML parser (lexbor) sees it, non-text elements dropped."""
    tree = LexborHTMLParser(value)
    tree.strip_tags(_DROP)
    return tree.text(separator="") or ""


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL in canonical form, or None when ``url`` is not one.

    Lower-case scheme and host, default port dropped, fragment dropped, tracking parameters dropped,
    remaining query parameters sorted. Two spellings of the same story compare equal.
    """
    if not url:
        return None
    url = url.strip()
    if base:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host or _SPACE.search(host):
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)
    )
    result = urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))
    return result if len(result) <= URL_MAX else None


def absolute_url(url: str | None, base: str | None) -> str:
    """``url`` made absolute against ``base`` (http/https only), or ``""``."""
    if not url:
        return ""
    try:
        joined = urljoin(base or "", url.strip())
    except ValueError:
        return ""
    return joined if joined[:8].lower().startswith(("http://", "https://")) and len(joined) <= URL_MAX else ""


def normalise_guid(guid: str | None, base: str | None) -> str:
    """Strip the GUID; make it absolute when it looks like a relative URL (``/story/1``, ``a/b.html``)."""
    if not guid:
        return ""
    guid = guid.strip()[:URL_MAX]
    if guid and not _SCHEME.match(guid) and "/" in guid and not _SPACE.search(guid) and base:
        try:
            joined = urljoin(base, guid)
        except ValueError:
            return guid
        return canonical_url(joined) or guid
    if guid.lower().startswith(("http://", "https://")):
        return canonical_url(guid) or guid
    return guid


def plausible_date(parsed: time.struct_time | None, now: dt.datetime) -> dt.datetime | None:
    """A UTC datetime from feedparser's struct, or None when missing or impossible (<1990, >now+2 days)."""
    if not parsed:
        return None
    try:
        value = dt.datetime(*parsed[:6], tzinfo=dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    if value < EARLIEST or value > now + FUTURE_SLACK:
        return None
    return value
