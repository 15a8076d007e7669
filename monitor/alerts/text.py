"""Escaping and cleaning of third-party text for each place it ends up: mail headers, plain text,
HTML, Slack mrkdwn and links. Pure.

Titles, outlet names and URLs come from feeds anyone can publish; every one of them passes through one of
these functions before a person sees it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from markupsafe import Markup, escape

# C0 and C1 controls, DEL, and Unicode line/paragraph separators and bidi overrides that can disguise text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ALL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean_text(text: object, limit: int = 2000) -> str:
    """Plain text with control characters removed (newlines and tabs kept), cut at ``limit``."""
    value = _CONTROL.sub("", str(text or ""))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def one_line(text: object, limit: int = 300) -> str:
    """A single line: every control character (CR and LF included) becomes a space, runs collapse."""
    value = _ALL_CONTROL.sub(" ", str(text or ""))
    value = re.sub(r"\s+", " ", value).strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def header_value(text: object, limit: int = 200) -> str:
    """A mail header value: one line, no CR/LF (no header injection), length-limited.

    Encoding of non-ASCII text is left to ``email.policy`` when the message is built.
    """
    return one_line(text, limit)


def safe_url(url: object) -> str | None:
    """The URL when it is an absolute http(s) URL without spaces or controls; else None (not linked)."""
    value = str(url or "").strip()
    if not value or len(value) > 2048 or _ALL_CONTROL.search(value) or " " in value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def html(text: object) -> Markup:
    """HTML-escaped text (markupsafe): ``<script>`` in a title stays visible text."""
    return escape(clean_text(text))


def html_link(url: object, label: object) -> Markup:
    """An ``<a>`` for safe http(s) URLs; only the escaped label otherwise."""
    target = safe_url(url)
    if target is None:
        return html(label)
    return Markup('<a href="{}" style="color:#1a5fb4">{}</a>').format(target, clean_text(label))


def mrkdwn(text: object, limit: int = 500) -> str:
    """Slack mrkdwn: ``&``, ``<`` and ``>`` escaped, so ``<!channel>``, ``<@U123>`` or
    ``<http://x|label>`` inside a title are shown as text and never become mentions or links."""
    value = one_line(text, limit)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_link(url: object, label: object, limit: int = 200) -> str:
    """``<url|label>`` for safe URLs (``|`` and ``>`` in the URL percent-encoded); else the label."""
    target = safe_url(url)
    text = mrkdwn(label, limit)
    if target is None:
        return text
    target = target.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{target}|{text}>" if text else f"<{target}>"
