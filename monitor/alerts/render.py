"""What an alert says: subject, plain text, HTML and Slack Block Kit for spike, test and dead-letter
alerts (the digest has ``digest_render``). Pure: takes the alert's stored payload and the base URL.

An alert is rendered from its payload at delivery time, so a retry or a duplicate says exactly what the
first attempt said. Every third-party string goes through ``monitor.alerts.text`` for its context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from monitor.alerts import text as t

PREFIX = "[Karachi monitor]"
MAX_INCIDENTS_SHOWN = 15
MAX_ARTICLES_SHOWN = 5
SLACK_SECTION_LIMIT = 2900  # Slack refuses section text over 3000 characters


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    slack: dict[str, Any]


def _link(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _count_phrase(payload: Mapping[str, Any]) -> str:
    count = int(payload.get("count") or 0)
    expected = float(payload.get("expected") or 0.0)
    return f"{count} incident{'s' if count != 1 else ''} against about {expected:.1f} expected"


def spike_subject(payload: Mapping[str, Any]) -> str:
    verb = "Spike growing" if payload.get("kind") == "spike_growth" else "Spike started"
    label = payload.get("series_label") or payload.get("series_key") or "all places"
    level = int(payload.get("level") or 1)
    tail = f" (level {level})" if level > 1 else ""
    return t.header_value(f"{PREFIX} {verb} in {t.one_line(label, 80)}: {_count_phrase(payload)}{tail}")


def _incident_facts(incident: Mapping[str, Any]) -> list[str]:
    facts = [str(incident.get("occurred_on") or "")]
    if incident.get("place_name"):
        facts.append(t.one_line(incident["place_name"], 80))
    if incident.get("deaths") is not None:
        facts.append(f"{int(incident['deaths'])} killed")
    if incident.get("injured"):
        facts.append(f"{int(incident['injured'])} injured")
    if incident.get("victim_group"):
        facts.append(t.one_line(incident["victim_group"], 60))
    return [f for f in facts if f]


def _spike_text(payload: Mapping[str, Any], base_url: str) -> str:
    label = t.one_line(payload.get("series_label") or payload.get("series_key") or "all places", 120)
    lines = [
        t.one_line(spike_subject(payload).removeprefix(PREFIX), 400),
        "",
        f"Where: {label} (series {t.one_line(payload.get('series_key'), 120)})",
        f"Episode started on {payload.get('started_on')}, now at level {int(payload.get('level') or 1)}.",
        f"Count: {_count_phrase(payload)}.",
        "",
    ]
    incidents = list(payload.get("incidents") or [])
    total = int(payload.get("incident_total") or len(incidents))
    lines.append(f"Incidents of this episode ({total}):")
    for number, incident in enumerate(incidents[:MAX_INCIDENTS_SHOWN], start=1):
        lines.append(f"{number}. {' · '.join(_incident_facts(incident))}")
        lines.append(f"   {t.one_line(incident.get('title'), 300)}")
        for article in list(incident.get("articles") or [])[:MAX_ARTICLES_SHOWN]:
            url = t.safe_url(article.get("url")) or "(no usable link)"
            lines.append(f"   - {t.one_line(article.get('outlet'), 80)}: {url}")
        lines.append(f"   Review: {_link(base_url, '/incidents/' + str(int(incident['id'])))}")
    if total > MAX_INCIDENTS_SHOWN:
        lines.append(f"... and {total - MAX_INCIDENTS_SHOWN} more in the review app.")
    lines += ["", f"Review queue: {_link(base_url, '/review')}", "", _FOOTER]
    return "\n".join(lines) + "\n"


_FOOTER = "Sent automatically by the Karachi monitor. Silence with `monitor silences add`."

_CSS_CELL = "padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top"


def _spike_html(payload: Mapping[str, Any], base_url: str) -> str:
    label = payload.get("series_label") or payload.get("series_key") or "all places"
    parts: list[Markup] = [
        Markup('<h2 style="font-family:sans-serif;margin:0 0 8px">{}</h2>').format(
            t.one_line(spike_subject(payload).removeprefix(PREFIX), 400)
        ),
        Markup('<p style="font-family:sans-serif">Where: <b>{}</b> (series <code>{}</code>)<br>').format(
            t.html(t.one_line(label, 120)), t.html(t.one_line(payload.get("series_key"), 120))
        ),
        Markup("Episode started on {}, now at level {}.<br>Count: <b>{}</b>.</p>").format(
            str(payload.get("started_on")), int(payload.get("level") or 1), _count_phrase(payload)
        ),
    ]
    incidents = list(payload.get("incidents") or [])
    total = int(payload.get("incident_total") or len(incidents))
    parts.append(
        Markup('<h3 style="font-family:sans-serif">Incidents of this episode ({})</h3>').format(total)
    )
    rows: list[Markup] = []
    for incident in incidents[:MAX_INCIDENTS_SHOWN]:
        links = Markup("<br>").join(
            Markup("{}: {}").format(
                t.html(a.get("outlet")),
                t.html_link(a.get("url"), t.one_line(a.get("title") or a.get("url"), 120)),
            )
            for a in list(incident.get("articles") or [])[:MAX_ARTICLES_SHOWN]
        )
        review = t.html_link(_link(base_url, f"/incidents/{int(incident['id'])}"), "review")
        rows.append(
            Markup(
                '<tr><td style="{s}">{facts}</td><td style="{s}"><b>{title}</b><br>{links}</td>'
                '<td style="{s}">{review}</td></tr>'
            ).format(
                s=_CSS_CELL,
                facts=Markup("<br>").join(t.html(f) for f in _incident_facts(incident)),
                title=t.html(t.one_line(incident.get("title"), 300)),
                links=links,
                review=review,
            )
        )
    parts.append(
        Markup(
            '<table style="border-collapse:collapse;font-family:sans-serif;font-size:14px">{}</table>'
        ).format(Markup("").join(rows))
    )
    if total > MAX_INCIDENTS_SHOWN:
        parts.append(Markup("<p>… and {} more in the review app.</p>").format(total - MAX_INCIDENTS_SHOWN))
    parts.append(
        Markup(
            '<p style="font-family:sans-serif">{}</p>'
            '<p style="font-family:sans-serif;color:#666;font-size:12px">{}</p>'
        ).format(t.html_link(_link(base_url, "/review"), "Open the review queue"), _FOOTER)
    )
    return _page(Markup("").join(parts))


def _page(body: Markup) -> str:
    return str(
        Markup('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{}</body></html>').format(body)
    )


def _spike_slack(payload: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    subject = spike_subject(payload).removeprefix(PREFIX).strip()
    label = payload.get("series_label") or payload.get("series_key") or "all places"
    summary = (
        f"*{t.mrkdwn(label, 120)}*: {t.mrkdwn(_count_phrase(payload))}; episode started "
        f"{t.mrkdwn(payload.get('started_on'))}, level {int(payload.get('level') or 1)}."
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t.one_line(subject, 150), "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": summary}},
    ]
    incidents = list(payload.get("incidents") or [])
    lines = []
    for incident in incidents[:10]:
        outlets = ", ".join(
            t.mrkdwn_link(a.get("url"), a.get("outlet") or "link", 60)
            for a in list(incident.get("articles") or [])[:3]
        )
        review = t.mrkdwn_link(_link(base_url, f"/incidents/{int(incident['id'])}"), "review")
        facts = t.mrkdwn(" · ".join(_incident_facts(incident)), 200)
        lines.append(f"• {facts}: {t.mrkdwn(incident.get('title'), 200)} ({outlets}) {review}")
    blocks += _sections("\n".join(lines))
    total = int(payload.get("incident_total") or len(incidents))
    more = f"{total} incidents in this episode. " if total else ""
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": more + t.mrkdwn_link(_link(base_url, "/review"), "Open the review queue"),
                }
            ],
        }
    )
    return {"text": t.mrkdwn(subject, 300), "blocks": blocks}


def _sections(body: str) -> list[dict[str, Any]]:
    """Split mrkdwn into section blocks under Slack's per-block limit, on line boundaries."""
    blocks: list[dict[str, Any]] = []
    chunk = ""
    for line in body.splitlines():
        line = line[:SLACK_SECTION_LIMIT]
        if chunk and len(chunk) + len(line) + 1 > SLACK_SECTION_LIMIT:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return blocks[:45]


def render_spike(payload: Mapping[str, Any], base_url: str) -> Rendered:
    return Rendered(
        subject=spike_subject(payload),
        text=_spike_text(payload, base_url),
        html=_spike_html(payload, base_url),
        slack=_spike_slack(payload, base_url),
    )


def render_simple(subject: str, lines: list[str]) -> Rendered:
    """Test and dead-letter messages: a subject and a few lines of (escaped) text."""
    clean = [t.one_line(line, 1000) for line in lines]
    body = Markup("").join(Markup('<p style="font-family:sans-serif">{}</p>').format(line) for line in clean)
    return Rendered(
        subject=t.header_value(subject),
        text="\n".join(clean) + "\n",
        html=_page(body),
        slack={
            "text": t.mrkdwn(subject, 300),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": t.one_line(subject, 150)}},
                *_sections("\n".join(t.mrkdwn(line, 1000) for line in clean)),
            ],
        },
    )


def render_alert(kind: str, subject: str, payload: Mapping[str, Any], base_url: str) -> Rendered:
    """Dispatch on the alert kind; unknown kinds still render (subject and a note), never crash."""
    if kind in ("spike_start", "spike_growth"):
        return render_spike(payload, base_url)
    if kind == "digest":
        from monitor.alerts.digest_render import render_digest

        return render_digest(payload, base_url)
    if kind == "dead_letter":
        return render_simple(
            subject or f"{PREFIX} An alert could not be delivered",
            [
                f"An alert could not be delivered on {payload.get('channel')} "
                f"to {payload.get('recipient') or 'the webhook'} after {payload.get('attempts')} attempt(s).",
                f"Alert: {payload.get('failed_subject')} (key {payload.get('failed_key')})",
                f"Last answer: {payload.get('error')}",
                "Fix the channel's settings, then re-queue it with "
                f"`monitor alerts retry {payload.get('delivery_id')}`. "
                "See `monitor alerts list --status dead`.",
            ],
        )
    if kind == "test":
        return render_simple(
            subject or f"{PREFIX} Test message",
            [str(payload.get("text") or "This is a test message from the Karachi monitor.")],
        )
    return render_simple(subject or f"{PREFIX} Alert", [f"Alert of kind {kind}."])
