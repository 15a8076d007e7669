"""Parsing bytes into clean entries: text, links, dates, charsets and hostile XML."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from monitor import feedtext
from monitor.errors import ParseError
from monitor.feedbytes import decode, prepare
from monitor.parse import ParsedFeed, parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
NOW = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)
URL = "https://news.example.org/karachi/rss.xml"
URDU = "کراچی میں فائرنگ"


def parse(name_or_bytes: str | bytes, content_type: str = "", url: str = URL) -> ParsedFeed:
    data = name_or_bytes if isinstance(name_or_bytes, bytes) else (FIXTURES / name_or_bytes).read_bytes()
    return parse_feed(data, url, NOW, content_type)


def _rss(items: str, decl: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return (
        f'{decl}\n<rss version="2.0"><channel><title>T</title><link>https://c.example.org/</link>'
        f"<description>d</description>{items}</channel></rss>"
    )


# --- text, links, dates ------------------------------------------------------------------------------


def test_basic_rss_values_are_plain_text_absolute_and_utc() -> None:
    feed = parse("basic.rss")
    assert feed.title == "Karachi Desk & Friends"
    first, second, third, fourth = feed.entries
    assert first.title == "Shopkeeper shot dead in Lyari"
    assert first.summary == "Police said the man was shot twice. An investigation is under way."
    assert "alert" not in first.summary
    assert first.canonical_url == "https://news.example.org/2026/11/shopkeeper?a=1&b=2"
    assert first.published_at == dt.datetime(2026, 11, 21, 4, 30, tzinfo=dt.UTC)
    assert first.author == "Staff reporter"
    assert first.guid == "story-1001"
    # Relative link and GUID resolved against the feed URL; content:encoded preferred when longer.
    assert second.link == "https://news.example.org/2026/11/relative-story"
    assert second.guid == "https://news.example.org/2026/11/relative-story"
    assert second.summary == "Longer body of the relative story with a link."
    assert third.canonical_url is None and third.guid == "tag:news.example.org,2026:3"
    assert fourth.guid == "" and fourth.canonical_url is None
    assert len({e.content_hash for e in feed.entries}) == 4


def test_atom_xml_base_and_html_title() -> None:
    feed = parse("atom.xml", url="https://atom.example.net/feed.atom")
    assert feed.title == "Atom test feed"
    one, two = feed.entries
    assert one.link == "https://atom.example.net/blog/posts/one.html"
    assert one.summary == "Summary & more"
    assert one.published_at == dt.datetime(2026, 11, 21, 5, 0, tzinfo=dt.UTC)
    assert two.summary == "Body two"
    assert two.published_at == dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def test_relative_xml_base_is_resolved_against_the_feed_url() -> None:
    doc = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="/news/">'
        b"<title>T</title><entry><title>A</title><link href='2026/story.html'/><id>a</id></entry>"
        b'<entry xml:base="https://other.example.org/x/"><title>B</title><link href="b.html"/><id>b</id>'
        b"</entry></feed>"
    )
    now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    one, two = parse_feed(doc, "https://site.example.net/feeds/all.atom", now).entries
    assert one.link == "https://site.example.net/news/2026/story.html"
    assert two.link == "https://other.example.org/x/b.html"


def test_rss_relative_link_without_xml_base_uses_the_feed_url() -> None:
    doc = (
        b"<rss version='2.0'><channel><title>T</title>"
        b"<item><title>A</title><link>/a/1.html</link></item></channel></rss>"
    )
    now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    (one,) = parse_feed(doc, "https://site.example.net/feeds/rss.xml", now).entries
    assert one.link == "https://site.example.net/a/1.html"


def test_impossible_dates_are_rejected() -> None:
    dates = {e.title: e.published_at for e in parse("bad_dates.rss").entries}
    assert dates["epoch"] is None
    assert dates["far future"] is None
    assert dates["garbage"] is None
    assert dates["impossible day"] is None
    assert dates["tomorrow is fine"] == dt.datetime(2026, 11, 22, 20, 0, tzinfo=dt.UTC)
    assert dates["iso in pubDate, Karachi offset"] == dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)


def test_huge_title_is_truncated_quickly() -> None:
    title = "word " * 2_000_000  # 10 MB
    started = time.monotonic()
    feed = parse(_rss(f"<item><title>{title}</title><link>https://c.example.org/1</link></item>").encode())
    assert len(feed.entries[0].title) <= feedtext.TITLE_MAX + 1
    assert feed.entries[0].title.endswith("…")
    assert time.monotonic() - started < 30  # generous: only guards against runaway work


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.ORG:80/a/b?utm_medium=x&z=1&fbclid=abc&a=2#frag", "http://example.org/a/b?a=2&z=1"),
        ("https://example.org:8443", "https://example.org:8443/"),
        ("https://example.org/p?gclid=1", "https://example.org/p"),
        ("javascript:alert(1)", None),
        ("mailto:x@example.org", None),
        ("", None),
    ],
)
def test_canonical_url(raw: str, expected: str | None) -> None:
    assert feedtext.canonical_url(raw) == expected


def test_to_text_handles_entities_tags_and_plain_comparisons() -> None:
    assert feedtext.to_text("AT&amp;T  <b>news</b>", 100) == "AT&T news"
    assert feedtext.to_text("a < b and c > d", 100) == "a < b and c > d"
    assert feedtext.to_text("<p>one</p><p>two</p><style>p{}</style>", 100) == "one two"


# --- not a feed --------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"   \n\t  "])
def test_empty_body_is_an_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse(body)


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse("challenge.html", content_type="text/html")


def test_truncated_feed_keeps_complete_items() -> None:
    data = (FIXTURES / "basic.rss").read_bytes()
    cut = data[: data.index(b"<title>No link, only a GUID")]
    feed = parse(cut)
    assert [e.title for e in feed.entries][:2] == ["Shopkeeper shot dead in Lyari", "Relative link story"]
    assert feed.bozo


def test_duplicate_guids_are_all_returned_for_decide_to_merge() -> None:
    assert len(parse("dup_guids.rss").entries) == 4


# --- hostile XML -------------------------------------------------------------------------------------


def test_xxe_file_entity_never_expanded(tmp_path: Path) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("CANARY-7f3a9 top secret", encoding="utf-8")
    doc = (FIXTURES / "xxe.rss.template").read_text().replace("@CANARY_PATH@", str(canary))
    feed = parse(doc.encode())
    text = repr(feed)
    assert "CANARY-7f3a9" not in text
    assert feed.entries[0].title == "Secret: (c)"


def test_billion_laughs_is_harmless() -> None:
    started = time.monotonic()
    feed = parse("billion_laughs.xml")
    assert time.monotonic() - started < 10
    assert "lol" not in feed.entries[0].summary
    assert len(repr(feed)) < 10_000


def test_quadratic_blowup_finishes_small() -> None:
    entity = "A" * 20_000
    refs = "&big;" * 20_000  # 400 MB if expanded
    doc = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY big "{entity}">]>\n'
        f'<rss version="2.0"><channel><title>Q</title><link>https://q.example.org/</link><description>x</description>'
        f"<item><title>quad</title><link>https://q.example.org/1</link><description>{refs}</description></item>"
        "</channel></rss>"
    )
    started = time.monotonic()
    feed = parse(doc.encode())
    assert time.monotonic() - started < 10
    assert feed.entries[0].title == "quad"
    assert len(feed.entries[0].summary) < 1000


def test_small_internal_entities_are_still_resolved() -> None:
    doc = '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY org "Karachi Desk">]>' + _rss(
        "<item><title>&org; reports &eacute;t&eacute;</title><link>https://c.example.org/1</link></item>", ""
    )
    assert parse(doc.encode()).entries[0].title == "Karachi Desk reports été"


# --- charsets ----------------------------------------------------------------------------------------


def _charset_doc(encoding_decl: str) -> str:
    return _rss(
        f"<item><title>Minister’s “address” — café {URDU}</title><link>https://c.example.org/1</link></item>"
        f"<item><title>Second {URDU}</title><link>https://c.example.org/2</link></item>",
        f'<?xml version="1.0" encoding="{encoding_decl}"?>',
    )


def test_invalid_utf8_bytes_do_not_garble_valid_items() -> None:
    # Valid UTF-8 everywhere except a few stray bytes in the first item.
    raw = _rss(
        "<item><title>Bad @@ bytes here</title><link>https://c.example.org/1</link></item>"
        f"<item><title>{URDU}</title><link>https://c.example.org/2</link></item>"
    ).encode("utf-8")
    raw = raw.replace(b"@@", b"\xff\xc3\x28\xed\xa0\x80")
    feed = parse(raw, content_type="application/rss+xml; charset=utf-8")
    assert feed.entries[1].title == URDU
    assert feed.entries[0].title.startswith("Bad ")
    assert any("invalid UTF-8" in w for w in feed.warnings)


@pytest.mark.parametrize(
    ("content_type", "decl", "encoding"),
    [
        ("application/rss+xml; charset=iso-8859-1", "utf-8", "utf-8"),  # header latin-1, body utf-8
        ("application/xml", "windows-1252", "utf-8"),  # declared cp1252, body utf-8
        ("text/xml; charset=x-bogus-charset", "x-made-up", "utf-8"),  # bogus names
        ("text/xml; charset=utf-8", "utf-16", "utf-8"),  # declared utf-16, body utf-8
    ],
)
def test_lying_charsets_with_utf8_body(content_type: str, decl: str, encoding: str) -> None:
    feed = parse(_charset_doc(decl).encode(encoding), content_type=content_type)
    assert feed.entries[0].title == f"Minister’s “address” — café {URDU}"
    assert feed.entries[1].title == f"Second {URDU}"


def test_header_utf8_but_body_cp1252() -> None:
    doc = _rss(
        "<item><title>Minister’s “statement” – café</title><link>https://c.example.org/1</link></item>", ""
    )
    feed = parse(doc.encode("cp1252"), content_type="application/rss+xml; charset=utf-8")
    assert feed.entries[0].title == "Minister’s “statement” – café"


def test_utf16_body_declared_utf8() -> None:
    data = _charset_doc("utf-8").encode("utf-16")  # with BOM
    feed = parse(data, content_type="application/xml; charset=utf-8")
    assert feed.entries[1].title == f"Second {URDU}"
    data_no_bom = _charset_doc("utf-8").encode("utf-16-le")
    assert parse(data_no_bom).entries[1].title == f"Second {URDU}"


def test_declared_legacy_charset_is_used_when_body_is_not_utf8() -> None:
    doc = _rss("<item><title>Żółć gęślą</title><link>https://c.example.org/1</link></item>", "")
    data = ('<?xml version="1.0" encoding="iso-8859-2"?>' + doc).encode("iso-8859-2")
    assert parse(data).entries[0].title == "Żółć gęślą"


def test_prepare_removes_doctype_and_rewrites_declaration() -> None:
    prepared = prepare(b'<?xml version="1.0" encoding="windows-1252"?><!DOCTYPE rss SYSTEM "x.dtd"><rss/>')
    assert prepared.data == b'<?xml version="1.0" encoding="utf-8"?><rss/>'
    assert decode(b"caf\xe9 \x93x\x94")[0] == "café “x”"
