"""Incidents in the database: the extraction-and-grouping job, and the daily counts spike detection reads.

    update_incidents(db, settings, now)
      repeat, one transaction per batch, until nothing is pending:
        flagged articles with no extraction, or edited since it  -> extract (monitor.extract)
        tally?                    -> keep the extraction, never an incident
        already in an incident?   -> refresh that incident's facts (an analyst's move is never undone)
        else                      -> candidates: active incidents of the same country within the window
                                     -> monitor.incidents.best_match -> join one, or create one
        recount articles and independent outlets of every touched incident

The grouping decisions are made by the pure :mod:`monitor.incidents`; this module only loads candidate
incidents as :class:`~monitor.incidents.IncidentState` and writes back what changed. Fields listed in
``incidents.locked_fields`` (an analyst's corrections) are never written. Query functions take a Session
and never commit; :func:`update_incidents` owns its transactions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from monitor import incidents as grouping
from monitor.config import Settings
from monitor.extract import Facts, extract
from monitor.extract.gazetteer import load as load_gazetteer
from monitor.storage.db import Database
from monitor.storage.models import Article, ArticleFeed, Extraction, Feed, Incident

log = logging.getLogger(__name__)

BATCH_SIZE = 200
#: Fact columns shared by grouping states and incident rows.
_COLUMNS = (
    "occurred_on",
    "title",
    "place_key",
    "place_name",
    "place_precision",
    "city",
    "province",
    "country",
    "deaths",
    "injured",
    "victim_group",
    "method",
)


@dataclass
class Summary:
    extracted: int = 0
    tallies: int = 0
    created: int = 0
    joined: int = 0
    refreshed: int = 0
    batches: int = 0

    def __str__(self) -> str:
        return (
            f"{self.extracted} articles extracted: {self.created} new incidents, {self.joined} joined an "
            f"incident, {self.refreshed} refreshed their incident, {self.tallies} tallies"
        )


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def pending_articles(session: Session, limit: int) -> list[Article]:
    """Flagged articles never extracted, or changed after their extraction; oldest first."""
    stmt = (
        select(Article)
        .outerjoin(Extraction, Extraction.article_id == Article.id)
        .where(
            Article.flagged.is_(True),
            or_(Extraction.article_id.is_(None), Extraction.extracted_at < Article.last_changed_at),
        )
        .order_by(func.coalesce(Article.published_at, Article.first_seen_at), Article.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def _outlets(session: Session, articles: list[Article]) -> dict[int, str]:
    """Each article's outlet: its link's host, else the host of a feed that carried it."""
    out = {a.id: host_of(a.url) for a in articles if a.url}
    missing = [a.id for a in articles if a.id not in out or not out[a.id]]
    if missing:
        rows = session.execute(
            select(ArticleFeed.article_id, Feed.site_url, Feed.url)
            .join(Feed, Feed.id == ArticleFeed.feed_id)
            .where(ArticleFeed.article_id.in_(missing))
            .order_by(ArticleFeed.article_id, Feed.id)
        )
        for article_id, site_url, feed_url in rows:
            if not out.get(article_id):
                out[article_id] = host_of(site_url or feed_url)
    return out


def _report(article: Article, outlet: str, facts: Facts) -> grouping.Report:
    published = article.published_at or article.first_seen_at
    return grouping.Report(article.id, outlet, article.title, article.summary[:400], published, facts)


def _facts(article: Article) -> Facts:
    published = article.published_at or article.first_seen_at
    return extract(article.summary or "", article.title or "", published)


def _save_extraction(session: Session, article: Article, facts: Facts, now: dt.datetime) -> None:
    row = session.get(Extraction, article.id) or Extraction(article_id=article.id)
    for name in (
        "deaths",
        "injured",
        "place_key",
        "place_name",
        "place_precision",
        "city",
        "province",
        "country",
        "victim_group",
        "method",
        "incident_date",
        "is_tally",
    ):
        value = getattr(facts, name)
        setattr(row, name, value[:256] if isinstance(value, str) else value)
    row.details = dict(facts.details)
    row.extracted_at = now
    session.add(row)


def load_state(session: Session, incident: Incident) -> grouping.IncidentState:
    """An incident row as grouping sees it, with its first reports' texts, outlets and groups."""
    members = list(
        session.scalars(select(Article).where(Article.incident_id == incident.id).order_by(Article.id))
    )
    outlets = _outlets(session, members)
    groups: set[str] = set()
    precise = False
    history: list[tuple[int, int | None, int | None]] = []
    if members:
        for row in session.scalars(
            select(Extraction).where(Extraction.article_id.in_([a.id for a in members]))
        ):
            groups |= grouping.report_groups(_facts_of(row))
            precise = precise or (
                row.incident_date == incident.occurred_on and grouping.date_precise(_facts_of(row))
            )
            history.append((row.article_id, row.deaths, row.injured))
    state = grouping.IncidentState(
        id=incident.id,
        title=incident.title,
        occurred_on=incident.occurred_on,
        outlets={o for o in outlets.values() if o},
        groups=groups,
        article_ids=[a.id for a in members],
        texts=[f"{a.title}. {a.summary[:400]}" for a in members[: grouping.MAX_TEXTS]],
        locked=frozenset(str(f) for f in (incident.locked_fields or [])),
        first_reported_at=incident.first_reported_at,
        last_updated_at=incident.last_updated_at,
        toll_history=history,
        date_precise=precise,
    )
    for name in _COLUMNS:
        setattr(state, name, getattr(incident, name))
    return state


def _facts_of(row: Extraction) -> Facts:
    return Facts(victim_group=row.victim_group, details=row.details or {})


def candidate_incidents(
    session: Session, *, country: str | None, day: dt.date, window_hours: float
) -> list[Incident]:
    """Active incidents that could be the same event: same country (or unknown), dates within the window."""
    days = int(window_hours // 24) + 1
    stmt = select(Incident).where(
        Incident.status == "active",
        Incident.occurred_on >= day - dt.timedelta(days=days),
        Incident.occurred_on <= day + dt.timedelta(days=days),
    )
    if country is not None:
        stmt = stmt.where(or_(Incident.country == country, Incident.country.is_(None)))
    return list(session.scalars(stmt.order_by(Incident.id)))


def _write(incident: Incident, state: grouping.IncidentState, fields: list[str] | None = None) -> None:
    locked = set(state.locked)
    for name in fields if fields is not None else _COLUMNS:
        if name in _COLUMNS and name not in locked:
            setattr(incident, name, getattr(state, name))


def recount(session: Session, incident: Incident) -> None:
    members = list(session.scalars(select(Article).where(Article.incident_id == incident.id)))
    outlets = {o for o in _outlets(session, members).values() if o}
    incident.article_count = len(members)
    incident.outlet_count = len(outlets) or (1 if members else 0)


def process_article(
    session: Session, article: Article, settings: Settings, now: dt.datetime, summary: Summary
) -> None:
    facts = _facts(article)
    _save_extraction(session, article, facts, now)
    summary.extracted += 1
    if facts.is_tally:
        summary.tallies += 1
        return  # a tally never becomes an incident (an analyst may still move it by hand)
    outlet = _outlets(session, [article]).get(article.id, "")
    report = _report(article, outlet, facts)
    if article.incident_id is not None:
        incident = session.get(Incident, article.incident_id)
        if incident is not None:
            state = load_state(session, incident)
            changed = grouping.apply(state, report)
            _write(incident, state, changed)
            incident.last_updated_at = now
            recount(session, incident)
            summary.refreshed += 1
            return
    country = facts.country
    day = facts.incident_date or report.published_at.date()
    gaz = load_gazetteer()
    rows = [
        row
        for row in candidate_incidents(
            session, country=country, day=day, window_hours=settings.incidents.window_hours
        )
        if grouping.places_compatible(facts.place_key, row.place_key, gaz)  # cheap filter before loading
    ]
    states = [load_state(session, row) for row in rows]
    match = grouping.best_match(
        report,
        states,
        window_hours=settings.incidents.window_hours,
        threshold=settings.incidents.similarity,
        gaz=gaz,
    )
    if match.index is None:
        state = grouping.new_incident(report)
        incident = Incident(
            occurred_on=state.occurred_on,
            status="active",
            first_reported_at=now,
            last_updated_at=now,
            outlet_count=0,
            article_count=0,
            locked_fields=[],
        )
        _write(incident, state)
        session.add(incident)
        session.flush()
        summary.created += 1
    else:
        incident, state = rows[match.index], states[match.index]
        changed = grouping.apply(state, report)
        _write(incident, state, changed)
        incident.last_updated_at = now
        summary.joined += 1
    article.incident_id = incident.id
    session.flush()
    recount(session, incident)


def update_incidents(
    db: Database, settings: Settings, now: dt.datetime, *, batch_size: int = BATCH_SIZE
) -> Summary:
    """Extract and group every pending flagged article; one transaction per batch."""
    summary = Summary()
    while True:
        with db.transaction() as session:
            batch = pending_articles(session, batch_size)
            for article in batch:
                process_article(session, article, settings, now, summary)
        if not batch:
            break
        summary.batches += 1
        if len(batch) < batch_size:
            break
    log.info("incidents updated", extra={"summary": str(summary)})
    return summary


# --- counts for spike detection --------------------------------------------------------------------------


def _root_town(key: str) -> str:
    """Neighbourhoods count towards their town ("pk/karachi/qasba-colony" -> "pk/karachi/orangi-town")."""
    gaz = load_gazetteer()
    place = gaz.by_key.get(key)
    seen = 0
    while place is not None and place.parent_key and seen < 10:
        seen += 1
        key = place.parent_key
        place = gaz.by_key.get(key)
    return key


def series_keys(place_key: str | None, precision: str | None, level: str) -> list[str]:
    """The series an incident counts in at ``level`` ('all', 'city' or 'town')."""
    if level == "all":
        return ["all"]
    if not place_key or precision not in {"town", "city"}:
        return []
    parts = place_key.split("/")
    if level == "city":
        return [f"city:{'/'.join(parts[:2])}"]
    if level == "town" and precision == "town":
        return [f"town:{_root_town(place_key)}"]
    return []


def daily_incident_counts(
    session: Session, start: dt.date, end: dt.date, level: str = "all"
) -> dict[str, list[tuple[dt.date, int]]]:
    """Active incidents per day (by ``occurred_on``) from ``start`` to ``end`` inclusive, per series.

    Every series has one entry per day, zeros included. Series: ``"all"``; ``"city:pk/karachi"`` for
    each city with at least one incident in the range (a town's incidents count for its city);
    ``"town:pk/karachi/orangi-town"`` for each Karachi town (neighbourhoods count for their town).
    Merged and dismissed incidents do not count; tallies never become incidents in the first place.
    """
    if level not in {"all", "city", "town"}:
        raise ValueError(f"level must be 'all', 'city' or 'town', not {level!r}")
    rows = session.execute(
        select(Incident.occurred_on, Incident.place_key, Incident.place_precision, func.count())
        .where(and_(Incident.status == "active", Incident.occurred_on >= start, Incident.occurred_on <= end))
        .group_by(Incident.occurred_on, Incident.place_key, Incident.place_precision)
    ).all()
    counts: dict[str, dict[dt.date, int]] = defaultdict(dict)
    if level == "all":
        counts["all"] = {}
    for day, key, precision, n in rows:
        for series in series_keys(key, precision, level):
            counts[series][day] = counts[series].get(day, 0) + int(n)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    return {series: [(d, by_day.get(d, 0)) for d in days] for series, by_day in sorted(counts.items())}
