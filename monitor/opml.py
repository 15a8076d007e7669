"""OPML import and export, pure: bytes in, outlines out; feeds in, bytes out.

Parsing uses the standard library's expat parser directly, defended the way defusedxml does it: a
document with a DOCTYPE is refused outright, so no entity can be declared, expanded or fetched (billion
laughs, quadratic blowup, XXE). Outlines may nest (folders); every outline with an ``xmlUrl`` is a feed.
An outline that is neither a feed nor a folder is reported, never fatal: one bad entry does not spoil an
import.

What this module does not do: check URLs against the database or the network (the CLI adds each entry
through ``monitor.storage.feeds``, which validates the URL), or read files.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import format_datetime

from monitor.errors import InputError

MAX_OPML_BYTES = 10 * 1024 * 1024
MAX_OUTLINES = 100_000


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str = ""
    site_url: str = ""
    line: int | None = None  # where it was found, for messages


@dataclass(frozen=True)
class OpmlProblem:
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


@dataclass
class OpmlDocument:
    title: str = ""
    feeds: list[OpmlFeed] = field(default_factory=list)
    problems: list[OpmlProblem] = field(default_factory=list)


class _Refused(Exception):
    pass


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def parse_opml(data: bytes, *, source: str = "OPML") -> OpmlDocument:
    """Read the feeds of an OPML document; raise InputError when the document itself is unusable."""
    if len(data) > MAX_OPML_BYTES:
        raise InputError(f"larger than {MAX_OPML_BYTES // (1024 * 1024)} MB", source=source)
    doc = OpmlDocument()
    parser = xml.parsers.expat.ParserCreate()
    # Never read external DTDs or parameter entities, whatever the document says.
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[dict[str, object]] = []  # open elements: name, attributes, line, has_children
    seen_root = False
    in_title = False
    title_parts: list[str] = []
    outlines = 0

    def refuse(*_args: object) -> None:
        raise _Refused("documents with a DOCTYPE or entity declarations are refused")

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal seen_root, in_title, outlines
        line = parser.CurrentLineNumber
        if not stack:
            if name != "opml":
                raise _Refused(f"the root element is <{name}>, not <opml>")
            seen_root = True
        if stack:
            stack[-1]["children"] = True
        stack.append({"name": name, "attrs": attrs, "line": line, "children": False})
        parents = [str(e["name"]) for e in stack[:-1]]
        if name == "title" and parents == ["opml", "head"]:
            in_title = True
        if name == "outline":
            outlines += 1
            if outlines > MAX_OUTLINES:
                raise _Refused(f"more than {MAX_OUTLINES} outlines")

    def end(name: str) -> None:
        nonlocal in_title
        element = stack.pop()
        if name == "title":
            in_title = False
        if name != "outline":
            return
        attrs: dict[str, str] = element["attrs"]  # type: ignore[assignment]
        line = int(element["line"])  # type: ignore[call-overload]
        url = (attrs.get("xmlUrl") or attrs.get("xmlurl") or "").strip()
        label = _clean(attrs.get("title")) or _clean(attrs.get("text"))
        if url:
            site = (attrs.get("htmlUrl") or "").strip()
            doc.feeds.append(OpmlFeed(url=url, title=label, site_url=site, line=line))
        elif not element["children"]:
            what = f"outline {label[:80]!r}" if label else "outline"
            doc.problems.append(OpmlProblem(line, f"{what} has no xmlUrl and no feeds inside; skipped"))

    def text(data: str) -> None:
        if in_title:
            title_parts.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise InputError(f"not imported: {exc}", source=source) from None
    except xml.parsers.expat.ExpatError as exc:
        raise InputError(f"not valid XML: {exc}", source=source) from None
    if not seen_root:
        raise InputError("empty document", source=source)
    doc.title = _clean("".join(title_parts))
    return doc


# XML 1.0 cannot carry most control characters at all, not even escaped: drop them.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _attr(value: str) -> str:
    value = _INVALID_XML.sub("", value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def export_opml(
    feeds: Iterable[OpmlFeed], *, now: dt.datetime, title: str = "Karachi monitor feeds"
) -> bytes:
    """An OPML 2.0 document listing ``feeds``; every attribute is escaped."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_attr(title)}</title>",
        f"    <dateCreated>{_attr(format_datetime(now.astimezone(dt.UTC), usegmt=True))}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    for feed in feeds:
        title = " ".join(_INVALID_XML.sub("", feed.title).split())
        parts = [f'type="rss" text="{_attr(title or feed.url)}"']
        if title:
            parts.append(f'title="{_attr(title)}"')
        parts.append(f'xmlUrl="{_attr(feed.url)}"')
        if feed.site_url:
            parts.append(f'htmlUrl="{_attr(feed.site_url)}"')
        lines.append(f"    <outline {' '.join(parts)}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")
