"""What is removed before feedparser parses a document (monitor.parse: elements never read), and that
none of it changes what is parsed."""

from __future__ import annotations

from monitor.parse import _prune
from tests.test_parse import parse

MEDIA = 'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom"'


def rss(items: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {MEDIA}><channel><title>T</title>'
        f"<link>https://c.example.org/</link>{items}</channel></rss>"
    ).encode()


ITEM = (
    "<item><title>Teacher shot dead in Orangi</title><link>https://c.example.org/a</link>"
    "<category>Karachi</category><category domain='x'>Crime &amp; law</category><category/>"
    '<media:content url="https://c.example.org/a.jpg" medium="image"/>'
    '<media:thumbnail url="https://c.example.org/t.jpg" />'
    '<enclosure url="https://c.example.org/a.mp3" length="1" type="audio/mpeg"/>'
    "<description><![CDATA[<p>Gunmen on a motorcycle opened fire. <category>kept</category></p>]]>"
    "</description>"
    "<!-- <category>also kept</category> -->"
    "</item>"
)


def test_categories_media_references_and_enclosures_are_removed() -> None:
    pruned = _prune(rss(ITEM))
    for gone in (b"<category>Karachi", b"Crime &amp; law", b"<category/>", b"media:content", b"enclosure"):
        assert gone not in pruned
    for kept in (b"<category>kept</category>", b"<!-- <category>also kept</category> -->", b"<title>"):
        assert kept in pruned


def test_pruning_changes_nothing_that_is_parsed() -> None:
    feed = parse(rss(ITEM))
    (entry,) = feed.entries
    assert entry.title == "Teacher shot dead in Orangi"
    assert entry.link == "https://c.example.org/a"
    assert entry.summary == "Gunmen on a motorcycle opened fire. kept"
    assert not feed.bozo


def test_elements_with_markup_inside_or_similar_names_are_left_alone() -> None:
    doc = (
        b"<item><category><![CDATA[News]]></category><category-list>x</category-list>"
        b"<categoryx/><media:content url='u'><media:title>t</media:title></media:content></item>"
    )
    assert _prune(doc) == doc


def test_atom_categories_are_removed_but_content_is_not() -> None:
    doc = (
        b'<entry><category term="politics"/><atom:category term="x"></atom:category>'
        b'<content type="html">text</content><content src="https://c.example.org/x"/></entry>'
    )
    assert _prune(doc) == (
        b'<entry><content type="html">text</content><content src="https://c.example.org/x"/></entry>'
    )


def test_channel_bookkeeping_and_comment_links_are_removed() -> None:
    doc = (
        b"<channel><ttl>15</ttl><language>en-pk</language><lastBuildDate>Tue, 01 Dec 2026 10:00:00 GMT"
        b"</lastBuildDate><generator>cms 4</generator><item><comments>https://c.example.org/a#c</comments>"
        b"<wfw:commentRss>https://c.example.org/a/feed</wfw:commentRss><slash:comments>4</slash:comments>"
        b"<pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate></item></channel>"
    )
    assert _prune(doc) == b"<channel><item><pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate></item></channel>"
