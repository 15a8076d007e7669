"""Pure export of incidents and articles in an event-data layout, as CSV or JSON.

One record per incident: date, place with its precision, toll, victim group, method, and the sources
(outlet, title, link) that reported it. CSV cells that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return) are prefixed with an apostrophe, because these
files are opened in spreadsheets and the text comes from third-party feeds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Source:
    outlet: str
    title: str
    url: str
    published_at: str | None


@dataclass(frozen=True)
class IncidentRecord:
    incident_id: int
    date: str
    place: str | None
    place_precision: str | None
    city: str | None
    province: str | None
    country: str | None
    deaths: int | None
    injured: int | None
    victim_group: str | None
    method: str | None
    outlets: int
    title: str
    sources: list[Source] = field(default_factory=list)


@dataclass(frozen=True)
class ArticleRecord:
    article_id: int
    published_at: str | None
    title: str
    url: str
    score: float | None
    flagged: bool | None
    verdict: str | None
    incident_id: int | None
    outlets: list[str] = field(default_factory=list)


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


INCIDENT_COLUMNS = (
    "incident_id", "date", "place", "place_precision", "city", "province", "country",
    "deaths", "injured", "victim_group", "method", "outlets", "title", "source_urls", "source_outlets",
)  # fmt: skip


def incidents_csv(records: Iterable[IncidentRecord]) -> str:
    return _csv(
        INCIDENT_COLUMNS,
        (
            (
                r.incident_id,
                r.date,
                r.place,
                r.place_precision,
                r.city,
                r.province,
                r.country,
                r.deaths,
                r.injured,
                r.victim_group,
                r.method,
                r.outlets,
                r.title,
                " | ".join(s.url for s in r.sources),
                " | ".join(s.outlet for s in r.sources),
            )
            for r in records
        ),
    )


ARTICLE_COLUMNS = (
    "article_id",
    "published_at",
    "title",
    "url",
    "score",
    "flagged",
    "verdict",
    "incident_id",
    "outlets",
)


def articles_csv(records: Iterable[ArticleRecord]) -> str:
    return _csv(
        ARTICLE_COLUMNS,
        (
            (
                r.article_id,
                r.published_at,
                r.title,
                r.url,
                "" if r.score is None else f"{r.score:.4f}",
                r.flagged,
                r.verdict,
                r.incident_id,
                " | ".join(r.outlets),
            )
            for r in records
        ),
    )


def to_json(records: Iterable[Any], *, kind: str, generated_at: dt.datetime) -> str:
    items = [asdict(r) for r in records]
    return json.dumps(
        {"kind": kind, "generated_at": generated_at.isoformat(), "count": len(items), "items": items},
        ensure_ascii=False,
        indent=1,
    )
