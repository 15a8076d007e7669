"""Turn the raw bytes of a feed into safe UTF-8 bytes for feedparser: charset repair and entity defusing.

Two things feedparser gets wrong on hostile input are fixed here, before it sees the document:

1. **Charsets.** One invalid byte in a document declared UTF-8 makes feedparser re-decode the *whole*
   document with another codec (the valid Urdu text of every other item turns into mojibake). We decide
   the encoding ourselves: byte-order mark, then UTF-16 without BOM, then strict UTF-8 (valid UTF-8 is
   almost never meant as anything else, whatever the header or declaration says), then the declared
   charsets, and for bytes that are *mostly* UTF-8 a UTF-8 decode that replaces only the bad bytes;
   documents whose non-ASCII bytes are mostly invalid UTF-8 are windows-1252 (what "latin-1" means on
   the web). Bogus charset names are ignored.
2. **Entities.** feedparser's fallback parser expands internal entities itself, so a 200 KB document
   with one 50 KB entity referenced 50,000 times costs gigabytes. We remove the DOCTYPE (its internal
   subset, every ``<!ENTITY>``, external ``SYSTEM`` references, hence XXE) and resolve entity
   references ourselves: the five XML ones stay, HTML names (``&nbsp;``) become characters, short plain
   internal entities are substituted within a fixed budget, anything else is dropped.

The result is re-encoded as UTF-8 with a matching XML declaration. Pure: no I/O.
"""

from __future__ import annotations

import codecs
import html.entities
import re
from dataclasses import dataclass, field

_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_XML_DECL_TEXT = re.compile(r"^\s*<\?xml\b[^>]*\?>")
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_DTD_TOKENS = re.compile(r"\"[^\"]*\"|'[^']*'|\[|\]|>")
_ENTITY_DECL = re.compile(r"""<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(?:"([^"&%<]*)"|'([^'&%<]*)')\s*>""")
_ENTITY_REF = re.compile(r"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z_][A-Za-z0-9._-]*);")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)

#: Entities resolved from the document's own internal subset: plain text only, short, within a budget.
MAX_ENTITY_VALUE = 64
ENTITY_BUDGET = 1_000_000  # characters added by substitution per document

_ALIASES = {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}


@dataclass
class Prepared:
    data: bytes
    encoding: str
    warnings: list[str] = field(default_factory=list)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    return _ALIASES.get(canonical, canonical)


def charset_from_content_type(content_type: str) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1) if match else None


def decode(data: bytes, content_type: str = "") -> tuple[str, str, list[str]]:
    """Return (text, encoding used, warnings) for a feed document's bytes."""
    warnings: list[str] = []
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace"), name, warnings
    head = data[:4]
    if head[:2] == b"<\x00" and head[3:4] == b"\x00":
        return data.decode("utf-16-le", errors="replace"), "utf-16-le", warnings
    if head[:1] == b"\x00" and head[1:2] == b"<":
        return data.decode("utf-16-be", errors="replace"), "utf-16-be", warnings
    try:
        return data.decode("utf-8"), "utf-8", warnings
    except UnicodeDecodeError:
        pass
    match = _XML_DECL.match(data[:512])
    declared = [
        n for n in (match.group(1).decode() if match else None, charset_from_content_type(content_type)) if n
    ]
    codecs_declared = [
        c for c in (_codec(n) for n in declared) if c and not c.startswith(("utf-16", "utf-32"))
    ]
    for name in codecs_declared:
        if name == "utf-8":
            continue
        try:
            return data.decode(name), name, warnings
        except UnicodeDecodeError:
            continue
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    # Characters decoded from valid multi-byte sequences; in a windows-1252 text they are rare accidents.
    good = len(text) - len(text.encode("ascii", errors="ignore")) - bad
    # A UTF-8 declaration confirmed by at least one valid multi-byte character is believed; otherwise
    # the majority decides.
    if good >= bad or ("utf-8" in codecs_declared and good > 0):
        warnings.append(f"invalid UTF-8: {bad} bad sequence(s) replaced")
        return text, "utf-8", warnings
    fallback = next((c for c in codecs_declared if c != "utf-8"), "cp1252")
    warnings.append(f"not UTF-8 despite {declared or 'no declaration'}; decoded as {fallback}")
    return data.decode(fallback, errors="replace"), fallback, warnings


def _strip_doctype(text: str, warnings: list[str]) -> tuple[str, dict[str, str]]:
    """Remove a DOCTYPE in the prolog; return the text and the safe internal entities it declared."""
    first = _FIRST_ELEMENT.search(text)
    limit = first.start() if first else len(text)
    found = _DOCTYPE.search(text, 0, limit)
    if not found:
        return text, {}
    depth = 0
    end = len(text)
    for token in _DTD_TOKENS.finditer(text, found.end()):
        t = token.group()
        if t == "[":
            depth += 1
        elif t == "]":
            depth = max(depth - 1, 0)
        elif t == ">" and depth == 0:
            end = token.end()
            break
    doctype = text[found.start() : end]
    entities: dict[str, str] = {}
    for m in _ENTITY_DECL.finditer(doctype):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if len(value) <= MAX_ENTITY_VALUE:
            entities.setdefault(m.group(1), value)
    if "<!ENTITY" in doctype:
        warnings.append("DOCTYPE with entity declarations removed")
    return text[: found.start()] + text[end:], entities


def _xml_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _resolve_entities(text: str, local: dict[str, str], warnings: list[str]) -> str:
    budget = [ENTITY_BUDGET]
    dropped = [0]

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        value = local.get(name)
        if value is None:
            value = html.entities.html5.get(name + ";")
        if value is None or budget[0] < len(value):
            dropped[0] += 1
            return ""
        budget[0] -= len(value)
        return _xml_escape(value)

    text = _ENTITY_REF.sub(replace, text)
    if dropped[0]:
        warnings.append(f"{dropped[0]} unknown or over-budget entity reference(s) dropped")
    return text


def prepare(data: bytes, content_type: str = "") -> Prepared:
    """Decode, defuse and re-encode a feed document as UTF-8 (see the module docstring)."""
    text, encoding, warnings = decode(data, content_type)
    text = text.lstrip("\ufeff \t\r\n")
    text, local = _strip_doctype(text, warnings)
    if "&" in text:
        text = _resolve_entities(text, local, warnings)
    text = _ILLEGAL_XML.sub("", text)
    declaration = '<?xml version="1.0" encoding="utf-8"?>'
    text, replaced = _XML_DECL_TEXT.subn(declaration, text, count=1)
    if not replaced:
        text = declaration + "\n" + text
    return Prepared(text.encode("utf-8", errors="replace"), encoding, warnings)
