"""OPML import/export: nested outlines, bad entries reported, hostile documents refused, escaping."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.errors import InputError
from monitor.opml import OpmlFeed, export_opml, parse_opml

NOW = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My  feeds</title></head>
  <body>
    <outline text="Pakistan">
      <outline text="Dawn" title="Dawn News" type="rss" xmlUrl="https://www.dawn.com/feeds/home"
               htmlUrl="https://www.dawn.com/"/>
      <outline text="Deeper">
        <outline text="Geo" xmlUrl="https://www.geo.tv/rss/1/1"/>
      </outline>
    </outline>
    <outline text="Top level" xmlUrl="http://example.org/rss"/>
    <outline text="A bookmark, not a feed" type="link" url="https://example.org/"/>
    <outline text="Empty folder"></outline>
  </body>
</opml>
"""


def test_nested_outlines_become_feeds_and_bad_ones_are_reported() -> None:
    doc = parse_opml(NESTED)
    assert doc.title == "My feeds"
    assert [(f.url, f.title) for f in doc.feeds] == [
        ("https://www.dawn.com/feeds/home", "Dawn News"),
        ("https://www.geo.tv/rss/1/1", "Geo"),
        ("http://example.org/rss", "Top level"),
    ]
    assert doc.feeds[0].site_url == "https://www.dawn.com/"
    assert doc.feeds[0].line == 6
    reasons = [str(p) for p in doc.problems]
    assert len(reasons) == 2
    assert reasons[0].startswith("line 13:") and "A bookmark, not a feed" in reasons[0]
    assert "Empty folder" in reasons[1]


@pytest.mark.parametrize(
    "document",
    [
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]><opml><body><outline text="&c;" xmlUrl="http://x/"/></body></opml>',
        # external entity (XXE)
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<opml><body><outline text="&x;" xmlUrl="http://x/"/></body></opml>',
        # external DTD
        b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "http://127.0.0.1:9/evil.dtd">'
        b'<opml><body><outline xmlUrl="http://x/"/></body></opml>',
        # the same in UTF-16, which a byte search for "DOCTYPE" would miss
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml [<!ENTITY a "x">]><opml/>'.encode("utf-16"),
    ],
    ids=["billion-laughs", "xxe", "external-dtd", "utf16-doctype"],
)
def test_documents_with_a_doctype_are_refused(document: bytes) -> None:
    with pytest.raises(InputError, match="DOCTYPE"):
        parse_opml(document, source="evil.opml")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"", "not valid XML"),
        (b"<opml><body><outline xmlUrl='http://x/'>", "not valid XML"),
        (b"<html><body/></html>", "root element is <html>"),
        (b"\xff\xfe\x00garbage", "not valid XML"),
    ],
)
def test_unusable_documents_raise_input_error_naming_the_source(document: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_opml(document, source="feeds.opml")
    assert str(info.value).startswith("feeds.opml")


def test_export_is_valid_opml_2_with_escaped_attributes() -> None:
    nasty = 'Ali & "Sons" <script>alert(1)</script>\nnext\x01line'
    feeds = [
        OpmlFeed(url="https://example.org/rss?a=1&b=2", title=nasty, site_url="https://example.org/"),
        OpmlFeed(url="http://example.com/feed"),
    ]
    data = export_opml(feeds, now=NOW)
    root = ET.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/dateCreated") == "Sun, 22 Nov 2026 03:00:00 GMT"
    outlines = root.findall("body/outline")
    assert outlines[0].get("xmlUrl") == "https://example.org/rss?a=1&b=2"
    assert outlines[0].get("title") == 'Ali & "Sons" <script>alert(1)</script> nextline'
    assert outlines[0].get("htmlUrl") == "https://example.org/"
    # OPML 2.0 requires text on every outline; without a title the URL stands in.
    assert outlines[1].get("text") == "http://example.com/feed"
    assert b"<script>" not in data


def test_export_then_import_round_trips() -> None:
    feeds = [OpmlFeed(url=f"https://example.org/{i}.xml", title=f"Feed {i}") for i in range(5)]
    doc = parse_opml(export_opml(feeds, now=NOW))
    assert [(f.url, f.title) for f in doc.feeds] == [(f.url, f.title) for f in feeds]
    assert doc.problems == []


_TITLE = st.text(
    alphabet=st.one_of(st.characters(exclude_categories=("Cs", "Cc")), st.sampled_from("&<>\"'\n\t ")),
    max_size=60,
)


@given(_TITLE)
def test_any_title_survives_export_and_import(title: str) -> None:
    url = "https://example.org/feed?x=1&y=<2>"
    doc = parse_opml(export_opml([OpmlFeed(url=url, title=title)], now=NOW))
    assert len(doc.feeds) == 1
    assert doc.feeds[0].url == url
    # Whitespace runs collapse on import; an empty title falls back to the URL (OPML needs text).
    assert doc.feeds[0].title == (" ".join(title.split()) or url)
