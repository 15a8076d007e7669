"""Rendering and escaping of alerts (pure): mail headers, HTML, Slack mrkdwn, and the outbox rules."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import random
from typing import Any

import pytest

from monitor.alerts import render, rules
from monitor.alerts import text as t
from monitor.alerts.digest_render import ascii_chart, render_digest
from monitor.alerts.email import build_message

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
HOSTILE = (
    "Bank <!channel> <@U123> <http://evil.example|click> <script>alert(1)</script>\r\nBcc: leak@evil.example"
)


def payload(
    title: str = HOSTILE, label: str = "Karachi", url: str = "https://news.example.org/a?x=1&y=2"
) -> dict[str, Any]:
    return {
        "kind": "spike_start",
        "series_key": "city:pk/karachi",
        "series_label": label,
        "started_on": "2026-11-19",
        "level": 1,
        "count": 7,
        "expected": 1.25,
        "incident_total": 1,
        "incidents": [
            {
                "id": 42,
                "title": title,
                "occurred_on": "2026-11-19",
                "place_name": "Lyari",
                "victim_group": "shopkeeper",
                "deaths": 2,
                "injured": 1,
                "articles": [
                    {"title": title, "url": url, "outlet": "Dawn <b>"},
                    {"title": "x", "url": "javascript:alert(1)", "outlet": "Evil"},
                ],
            }
        ],
        "thread_key": "spike:city:pk/karachi:2026-11-19:1",
    }


def parse(raw: bytes) -> email.message.EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def test_crlf_in_a_title_cannot_inject_headers() -> None:
    rendered = render.render_spike(payload(label="Karachi\r\nBcc: leak@evil.example\r\n\r\nbody"), "http://x")
    assert "\r" not in rendered.subject and "\n" not in rendered.subject
    msg = build_message(
        rendered,
        key="spike:city:pk/karachi:2026-11-19:1",
        sender="m@example.org",
        recipient="a@example.org",
        now=NOW,
    )
    parsed = parse(msg.as_bytes())
    assert parsed["Bcc"] is None
    assert parsed.get_all("To") == ["a@example.org"]
    assert "Karachi Bcc: leak@evil.example body" in str(parsed["Subject"])  # stays text, in the subject
    assert b"\r\nBcc:" not in msg.as_bytes().split(b"\r\n\r\n")[0]
    assert len(str(parsed["Subject"])) <= 200


def test_message_headers_and_parts() -> None:
    rendered = render.render_spike(payload(), "http://127.0.0.1:8080")
    key = "spike:city:pk/karachi:2026-11-19:2"
    msg = build_message(
        rendered,
        key=key,
        sender="m@example.org",
        recipient="a@example.org",
        now=NOW,
        thread_key="spike:city:pk/karachi:2026-11-19:1",
    )
    parsed = parse(msg.as_bytes())
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"] == rules.message_id(key, "m@example.org")
    assert parsed["In-Reply-To"] == rules.message_id("spike:city:pk/karachi:2026-11-19:1", "m@example.org")
    assert parsed["Date"] is not None
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_non_ascii_subject_is_encoded_and_round_trips() -> None:
    title = "کراچی میں فائرنگ"
    rendered = render.render_spike(payload(label=title), "http://x")
    raw = build_message(
        rendered, key="k", sender="m@example.org", recipient="a@example.org", now=NOW
    ).as_bytes()
    assert raw.isascii() or b"=?utf-8?" in raw
    assert title in str(parse(raw)["Subject"])


def test_html_escapes_titles_and_refuses_javascript_links() -> None:
    html = render.render_spike(payload(), "http://127.0.0.1:8080").html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html
    assert "Dawn &lt;b&gt;" in html
    assert 'href="https://news.example.org/a?x=1&amp;y=2"' in html
    assert 'href="http://127.0.0.1:8080/incidents/42"' in html
    assert 'href="http://127.0.0.1:8080/review"' in html


def test_text_part_has_the_facts_and_links() -> None:
    text = render.render_spike(payload(), "http://127.0.0.1:8080/").text
    assert "7 incidents against about 1.2 expected" in text
    assert "Dawn <b>: https://news.example.org/a?x=1&y=2" in text
    assert "Evil: (no usable link)" in text
    assert "http://127.0.0.1:8080/incidents/42" in text and "http://127.0.0.1:8080/review" in text


def _mrkdwn_texts(blob: Any) -> list[str]:
    found: list[str] = []
    if isinstance(blob, dict):
        if blob.get("type") == "mrkdwn":
            found.append(blob["text"])
        for value in blob.values():
            found += _mrkdwn_texts(value)
    elif isinstance(blob, list):
        for value in blob:
            found += _mrkdwn_texts(value)
    return found


def test_slack_control_sequences_stay_text() -> None:
    slack = render.render_spike(payload(), "http://127.0.0.1:8080").slack
    texts = [*_mrkdwn_texts(slack), slack["text"]]
    joined = "\n".join(texts)
    for bad in ("<!channel>", "<@U123>", "<http://evil.example|click>", "<script>"):
        assert bad not in joined
    assert "&lt;!channel&gt;" in joined and "&lt;@U123&gt;" in joined
    # Our own links are real links; javascript: is not linked.
    assert "<https://news.example.org/a?x=1&y=2|Dawn &lt;b&gt;>" in joined
    assert "<http://127.0.0.1:8080/incidents/42|review>" in joined
    assert "javascript:" not in joined
    json.dumps(slack)  # serialisable as sent


def test_mrkdwn_link_cannot_break_out_of_its_url() -> None:
    link = t.mrkdwn_link("https://x.example/a|b>c", "label")
    assert link == "<https://x.example/a%7Cb%3Ec|label>"


def test_every_kind_renders() -> None:
    for kind, body in [
        ("test", {"text": "hello <b>"}),
        ("dead_letter", {"channel": "slack", "error": "HTTP 404 no_service", "failed_subject": "<!here>"}),
        ("mystery", {}),
    ]:
        out = render.render_alert(kind, "", body, "http://x")
        assert out.subject and out.text and "<b>" not in out.html
        assert "<!here>" not in json.dumps(out.slack)


def test_digest_chart_scales_to_the_busiest_day() -> None:
    days = [{"date": f"2026-11-{16 + i}", "weekday": "Mon", "count": c} for i, c in enumerate([0, 2, 4])]
    lines = ascii_chart(days, width=8)
    assert lines[0].endswith("| 0") and lines[1].endswith("#### 2") and lines[2].endswith("######## 4")
    out = render_digest(
        {"week": "2026-W47", "per_day": days, "largest": [{"id": 1, "title": "<script>", "articles": []}]},
        "http://x",
    )
    assert "<script>" not in out.html and 'bgcolor="#c01c28"' in out.html


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    rng = random.Random(1)
    delays = [rules.backoff_seconds(n, base=30, cap=3600, rng=rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        exp = min(3600, 30 * 2 ** (n - 1))
        assert exp / 2 <= delay <= exp
    assert rules.backoff_seconds(1, base=30, cap=3600, retry_after=120, rng=rng) >= 120
    assert rules.backoff_seconds(1, base=30, cap=3600, retry_after=10**9, rng=rng) == 3600


def test_retry_after_as_seconds_or_date() -> None:
    assert rules.parse_retry_after("17", NOW) == 17
    assert rules.parse_retry_after("Fri, 20 Nov 2026 09:01:00 GMT", NOW) == 60
    assert rules.parse_retry_after("soon", NOW) is None
    assert rules.parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    ("field", "value", "muted"),
    [
        ("place", "karachi", True),
        ("place", "Lyari", False),  # one town of the city series: the wave still alerts
        ("victim_group", "shopkeeper", True),
        ("victim_group", "journalist", False),
        ("keyword", "bank", True),  # in every incident title
        ("keyword", "channel", True),
        ("keyword", "orangi", False),
    ],
)
def test_silence_matching(field: str, value: str, muted: bool) -> None:
    facts = rules.facts_from_payload(payload())
    rule = rules.SilenceRule(1, field, value, NOW + dt.timedelta(hours=1))
    assert rules.silence_matches(rule, facts) is muted
    expired = rules.SilenceRule(2, field, value, NOW - dt.timedelta(seconds=1))
    assert rules.first_matching_silence([expired], facts, NOW) is None
