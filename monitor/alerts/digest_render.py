"""The weekly digest as text and HTML (and a short Slack summary). Pure: takes the payload built by
``digest.collect_week`` and the review app's base URL.

The chart of incidents per day is an HTML table whose bars are table cells with a background colour and
a percentage width: no images, scripts or style sheets, which common mail clients strip or block. The
text part carries the same chart drawn with ``#``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from monitor.alerts import text as t
from monitor.alerts.render import PREFIX, Rendered, _page

BAR_WIDTH = 40
FONT = "font-family:Arial,Helvetica,sans-serif"
CELL = f"{FONT};font-size:14px;padding:3px 8px;border-bottom:1px solid #e5e5e5;vertical-align:top"


def digest_subject(payload: Mapping[str, Any]) -> str:
    totals = payload.get("totals") or {}
    n = int(totals.get("incidents") or 0)
    return t.header_value(
        f"{PREFIX} Weekly digest {payload.get('week')} ({payload.get('first_day')} to "
        f"{payload.get('last_day')}): {n} incident{'s' if n != 1 else ''}"
    )


def ascii_chart(per_day: Sequence[Mapping[str, Any]], width: int = BAR_WIDTH) -> list[str]:
    peak = max([int(d.get("count") or 0) for d in per_day] + [1])
    lines = []
    for day in per_day:
        count = int(day.get("count") or 0)
        bar = "#" * (round(count / peak * width) if count else 0)
        lines.append(f"{day.get('weekday')} {day.get('date')} | {bar}{' ' if bar else ''}{count}")
    return lines


def _pairs_text(title: str, pairs: Sequence[Sequence[Any]]) -> list[str]:
    lines = [title]
    lines += [f"  {t.one_line(name, 80)}: {int(n)}" for name, n in pairs] or ["  none"]
    return lines


def _text(payload: Mapping[str, Any], base_url: str) -> str:
    totals = payload.get("totals") or {}
    reviews = payload.get("reviews") or {}
    lines = [
        t.one_line(digest_subject(payload).removeprefix(PREFIX), 300),
        f"Days in {payload.get('timezone')}. Incidents: {totals.get('incidents', 0)}, killed: "
        f"{totals.get('deaths', 0)}, injured: {totals.get('injured', 0)}.",
        "",
        "Incidents per day:",
        *ascii_chart(payload.get("per_day") or []),
        "",
        *_pairs_text("Top places:", payload.get("top_places") or []),
        "",
        *_pairs_text("Victim groups:", payload.get("victim_groups") or []),
        "",
        "Largest incidents:",
    ]
    for incident in payload.get("largest") or []:
        deaths = incident.get("deaths")
        lines.append(
            f"- {incident.get('occurred_on')} {t.one_line(incident.get('place_name') or '', 60)}"
            f"{f' ({deaths} killed)' if deaths is not None else ''}: {t.one_line(incident.get('title'), 200)}"
        )
        for article in incident.get("articles") or []:
            lines.append(
                f"    {t.one_line(article.get('outlet'), 60)}: {t.safe_url(article.get('url')) or '-'}"
            )
        lines.append(f"    review: {base_url.rstrip('/')}/incidents/{int(incident['id'])}")
    if not payload.get("largest"):
        lines.append("  none")
    lines += ["", "Spike episodes:"]
    for spike in payload.get("spikes") or []:
        lines.append(f"- {_spike_line(spike)}")
    if not payload.get("spikes"):
        lines.append("  none")
    lines += [
        "",
        f"Reviews this week: {reviews.get('confirmed', 0)} confirmed, {reviews.get('rejected', 0)} rejected, "
        f"{reviews.get('unsure', 0)} unsure.",
        "",
        "Failing feeds:",
    ]
    for feed in payload.get("failing_feeds") or []:
        lines.append(f"- {_feed_line(feed)}")
    if not payload.get("failing_feeds"):
        lines.append("  none")
    lines += ["", f"Review queue: {base_url.rstrip('/')}/review"]
    return "\n".join(lines) + "\n"


def _spike_line(spike: Mapping[str, Any]) -> str:
    end = f"ended {spike.get('ended_on')}" if spike.get("ended_on") else "still open"
    return (
        f"{t.one_line(spike.get('series_label'), 80)}: from {spike.get('started_on')}, {end}; level "
        f"{spike.get('level')}, peak {spike.get('peak_count')} against "
        f"{float(spike.get('peak_expected') or 0):.1f} expected"
    )


def _feed_line(feed: Mapping[str, Any]) -> str:
    name = t.one_line(feed.get("title") or feed.get("url"), 80)
    return f"{name}: {feed.get('failures')} failures in a row; {t.one_line(feed.get('error'), 200)}"


def _html_chart(per_day: Sequence[Mapping[str, Any]]) -> Markup:
    peak = max([int(d.get("count") or 0) for d in per_day] + [1])
    rows = []
    for day in per_day:
        count = int(day.get("count") or 0)
        pct = max(1, round(count / peak * 100)) if count else 0
        bar = (
            Markup(
                '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>'
                '<td width="{p}%" bgcolor="#c01c28" style="background-color:#c01c28;height:14px;'
                'font-size:1px;line-height:1px">&nbsp;</td><td style="font-size:1px">&nbsp;</td></tr></table>'
            ).format(p=pct)
            if pct
            else Markup("")
        )
        rows.append(
            Markup(
                '<tr><td style="{c};white-space:nowrap">{wd} {d}</td><td width="300" style="{c};width:300px">'
                '{bar}</td><td style="{c};text-align:right">{n}</td></tr>'
            ).format(c=CELL, wd=str(day.get("weekday")), d=str(day.get("date")), bar=bar, n=count)
        )
    return Markup(
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
        'style="border-collapse:collapse">{}</table>'
    ).format(Markup("").join(rows))


def _html_pairs(title: str, pairs: Sequence[Sequence[Any]]) -> Markup:
    rows = Markup("").join(
        Markup('<tr><td style="{c}">{}</td><td style="{c};text-align:right">{}</td></tr>').format(
            t.html(name), int(n), c=CELL
        )
        for name, n in pairs
    )
    return Markup('<h3 style="{f}">{}</h3><table style="border-collapse:collapse">{}</table>').format(
        title, rows or Markup('<tr><td style="{}">none</td></tr>').format(CELL), f=FONT
    )


def _html_list(title: str, items: Sequence[Markup]) -> Markup:
    inner = Markup("").join(Markup("<li>{}</li>").format(i) for i in items) or Markup("<li>none</li>")
    return Markup('<h3 style="{f}">{}</h3><ul style="{f};font-size:14px">{}</ul>').format(
        title, inner, f=FONT
    )


def _html(payload: Mapping[str, Any], base_url: str) -> str:
    totals = payload.get("totals") or {}
    reviews = payload.get("reviews") or {}
    base = base_url.rstrip("/")
    largest = []
    for incident in payload.get("largest") or []:
        links = Markup(", ").join(
            t.html_link(a.get("url"), a.get("outlet") or "link") for a in incident.get("articles") or []
        )
        deaths = incident.get("deaths")
        largest.append(
            Markup("{} {}{}: <b>{}</b><br>{} · {}").format(
                str(incident.get("occurred_on")),
                t.html(incident.get("place_name") or ""),
                f" ({deaths} killed)" if deaths is not None else "",
                t.html(t.one_line(incident.get("title"), 200)),
                links or Markup("no links"),
                t.html_link(f"{base}/incidents/{int(incident['id'])}", "review"),
            )
        )
    body = Markup("").join(
        [
            Markup('<h2 style="{f}">{}</h2>').format(
                t.one_line(digest_subject(payload).removeprefix(PREFIX), 300), f=FONT
            ),
            Markup(
                '<p style="{f}">Days in {}. Incidents: <b>{}</b>, killed: <b>{}</b>, injured: {}.</p>'
            ).format(
                t.html(payload.get("timezone")),
                int(totals.get("incidents") or 0),
                int(totals.get("deaths") or 0),
                int(totals.get("injured") or 0),
                f=FONT,
            ),
            Markup('<h3 style="{f}">Incidents per day</h3>').format(f=FONT),
            _html_chart(payload.get("per_day") or []),
            _html_pairs("Top places", payload.get("top_places") or []),
            _html_pairs("Victim groups", payload.get("victim_groups") or []),
            _html_list("Largest incidents", largest),
            _html_list("Spike episodes", [t.html(_spike_line(s)) for s in payload.get("spikes") or []]),
            Markup(
                '<h3 style="{f}">Reviews this week</h3>'
                '<p style="{f}">{} confirmed, {} rejected, {} unsure</p>'
            ).format(
                int(reviews.get("confirmed") or 0),
                int(reviews.get("rejected") or 0),
                int(reviews.get("unsure") or 0),
                f=FONT,
            ),
            _html_list("Failing feeds", [t.html(_feed_line(f)) for f in payload.get("failing_feeds") or []]),
            Markup('<p style="{f}">{}</p>').format(
                t.html_link(f"{base}/review", "Open the review queue"), f=FONT
            ),
        ]
    )
    return _page(body)


def render_digest(payload: Mapping[str, Any], base_url: str) -> Rendered:
    subject = digest_subject(payload)
    text = _text(payload, base_url)
    chart = "\n".join(t.mrkdwn(line, 200) for line in ascii_chart(payload.get("per_day") or [], 20))
    slack = {
        "text": t.mrkdwn(subject, 300),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": t.one_line(subject.removeprefix(PREFIX), 150)},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": "```" + chart + "```"}},
        ],
    }
    return Rendered(subject=subject, text=text, html=_html(payload, base_url), slack=slack)
