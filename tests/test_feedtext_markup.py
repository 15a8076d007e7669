"""Text from HTML values (monitor.feedtext.to_text): the shortcut for plain markup gives exactly what the
HTML parser gives, on hostile and random markup alike."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import feedtext


def parser_text(value: str, limit: int = 10_000) -> str:
    """The reference: every value with markup through the HTML parser."""
    value = value[: limit * 8]
    if feedtext._MARKUP.search(value):
        value = feedtext.parsed_text(feedtext._BLOCK.sub(" <", value))
    return feedtext._truncate(" ".join(value.split()), limit)


TRICKY = [
    "a < b and c > d",
    "<p title='a>b'>x</p>",
    "&notit; &not &amp &amp; &#0; &#x110000; &#65;&#x41; &lt;b&gt;",
    "<!-- <p>hidden</p> -->shown",
    "<script>var a = '<p>x</p>';</script>after",
    "<style>p { color: red }</style>text",
    "<p>unclosed",
    "<p",
    "x<y",
    "<<p>>",
    "<![CDATA[x]]>y",
    "a\x00b",
    "<p>one</p><p>two</p>",
    "<img src=x alt='a b'>caption",
    "<p a='1\"'>t</p>",
    "< p>x",
    "<?php echo 1 ?>y",
    "<!DOCTYPE html>x",
    "<title>t</title>body",
    "<textarea><b>x</b></textarea>",
    "<P CLASS=x>Up</P>",
    "<x-y>custom</x-y>",
]
TOKENS = [
    "<p>", "</p>", "<b>", "</b>", "<br>", "<br/>", "<a href='x'>", "</a>", '<img src="a>b">', "&amp;",
    "&lt;", "&nbsp;", "&notit;", "&#65;", "text", " ", "\n", "<", ">", "'", '"', "=", "<!--", "-->",
    "<script>", "</script>", "<p class=x>", "x", "&", ";", "/", "<div>", "</div>", "é", "€",
]  # fmt: skip


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_markup_reads_as_the_parser_reads_it(value: str) -> None:
    assert feedtext.to_text(value, 10_000) == parser_text(value)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30))
def test_random_markup_reads_as_the_parser_reads_it(tokens: list[str]) -> None:
    value = "".join(tokens)
    assert feedtext.to_text(value, 10_000) == parser_text(value)


def test_plain_feed_html_takes_the_shortcut() -> None:
    value = '<p>Gunmen shot dead a <a href="https://x.example.org/">trader</a> &amp; fled.</p><br/>'
    assert feedtext._SIMPLE_MARKUP.fullmatch(feedtext._BLOCK.sub(" <", value))
    assert feedtext.to_text(value, 1000) == "Gunmen shot dead a trader & fled."
