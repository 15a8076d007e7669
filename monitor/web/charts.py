"""Pure SVG rendering of the daily incident counts, with spike episodes shaded.

Returns markup built only from numbers and escaped labels; it uses SVG presentation attributes, never
``style``, so it renders under the app's strict Content-Security-Policy (no inline styles).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from markupsafe import Markup, escape


def daily_chart(
    counts: Sequence[tuple[dt.date, int]],
    spikes: Sequence[tuple[dt.date, dt.date, str]] = (),
    *,
    width: int = 900,
    height: int = 220,
) -> Markup:
    """A bar chart of ``counts`` (one bar a day, oldest first); ``spikes`` are (start, end, label)."""
    pad_left, pad_bottom, pad_top = 36, 24, 10
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - pad_top
    if not counts:
        return Markup(  # noqa: S704 - numbers only, no outside text
            f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="no data">'
            f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle">No incidents yet</text></svg>'
        )
    peak = max(max(c for _, c in counts), 1)
    step = plot_w / len(counts)
    first = counts[0][0]
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Incidents per day, {escape(first.isoformat())} to {escape(counts[-1][0].isoformat())}">'
    ]
    for start, end, label in spikes:
        x0 = pad_left + max((start - first).days, 0) * step
        x1 = pad_left + min((end - first).days + 1, len(counts)) * step
        if x1 <= x0:
            continue
        parts.append(
            f'<rect class="spike" x="{x0:.1f}" y="{pad_top}" width="{x1 - x0:.1f}" height="{plot_h}" '
            f'fill="#f6c7c7"><title>{escape(label)}</title></rect>'
        )
    for index, (day, count) in enumerate(counts):
        bar_h = plot_h * count / peak
        x = pad_left + index * step
        parts.append(
            f'<rect class="bar" x="{x + step * 0.1:.1f}" y="{pad_top + plot_h - bar_h:.1f}" '
            f'width="{max(step * 0.8, 1):.1f}" height="{bar_h:.1f}" fill="#3b5b8c">'
            f"<title>{escape(day.isoformat())}: {count}</title></rect>"
        )
    for fraction in (0.0, 0.5, 1.0):
        value = round(peak * fraction)
        y = pad_top + plot_h - plot_h * fraction
        parts.append(
            f'<text x="{pad_left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{value}</text>'
            f'<line x1="{pad_left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
    label_every = max(len(counts) // 6, 1)
    for index in range(0, len(counts), label_every):
        x = pad_left + index * step
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" font-size="11">{escape(counts[index][0].isoformat())}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every outside string above went through escape()


def fill_days(rows: Sequence[tuple[dt.date, int]], start: dt.date, end: dt.date) -> list[tuple[dt.date, int]]:
    """Every day from ``start`` to ``end`` inclusive, with 0 where ``rows`` has no count."""
    by_day = dict(rows)
    days = (end - start).days + 1
    return [(start + dt.timedelta(days=i), by_day.get(start + dt.timedelta(days=i), 0)) for i in range(days)]
