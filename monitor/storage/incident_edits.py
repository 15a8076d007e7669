"""Analysts' corrections to incidents: facts, and which articles belong to which incident.

Every change is written to ``incident_changes`` (who, when, old and new value) and the corrected field
is added to ``incidents.locked_fields`` so automatic updates never overwrite a person's correction.
Takes a Session, never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.storage.models import Article, ArticleFeed, Feed, Incident, IncidentChange, User

EDITABLE: dict[str, Callable[[str], Any]] = {
    "deaths": int,
    "injured": int,
    "place_name": str,
    "city": str,
    "country": str,
    "victim_group": str,
    "method": str,
    "occurred_on": dt.date.fromisoformat,
    "title": str,
}


@dataclass(frozen=True)
class IncidentArticle:
    id: int
    title: str
    url: str
    published_at: dt.datetime | None
    score: float | None
    outlets: list[str]


def list_incidents(
    session: Session, *, since: dt.date | None = None, place: str = "", limit: int = 100, offset: int = 0
) -> list[Incident]:
    stmt = select(Incident).where(Incident.status == "active")
    if since is not None:
        stmt = stmt.where(Incident.occurred_on >= since)
    if place:
        stmt = stmt.where(func.lower(Incident.place_name).contains(place.lower(), autoescape=True))
    rows = list(
        session.scalars(
            stmt.order_by(Incident.occurred_on.desc(), Incident.id.desc()).limit(limit).offset(offset)
        )
    )
    for row in rows:
        session.expunge(row)
    return rows


def incident_articles(session: Session, incident_id: int) -> list[IncidentArticle]:
    articles = list(
        session.scalars(select(Article).where(Article.incident_id == incident_id).order_by(Article.id))
    )
    outlets: dict[int, list[str]] = {}
    if articles:
        for article_id, title, url in session.execute(
            select(ArticleFeed.article_id, Feed.title, Feed.url)
            .join(Feed, Feed.id == ArticleFeed.feed_id)
            .where(ArticleFeed.article_id.in_([a.id for a in articles]))
        ):
            outlets.setdefault(article_id, []).append(title or url)
    return [
        IncidentArticle(a.id, a.title, a.url, a.published_at, a.score, outlets.get(a.id, []))
        for a in articles
    ]


def incident_history(
    session: Session, incident_id: int
) -> list[tuple[str, str, str | None, str | None, dt.datetime]]:
    rows = session.execute(
        select(
            User.username,
            IncidentChange.field,
            IncidentChange.old_value,
            IncidentChange.new_value,
            IncidentChange.created_at,
        )
        .outerjoin(User, User.id == IncidentChange.user_id)
        .where(IncidentChange.incident_id == incident_id)
        .order_by(IncidentChange.id)
    ).all()
    return [(u or "(system)", f, o, n, c) for u, f, o, n, c in rows]


def _lock(incident: Incident, field: str) -> None:
    locked = list(incident.locked_fields or [])
    if field not in locked:
        locked.append(field)
    incident.locked_fields = locked


def _log(
    session: Session, incident_id: int, user_id: int | None, field: str, old: Any, new: Any, now: dt.datetime
) -> None:
    session.add(
        IncidentChange(
            incident_id=incident_id,
            user_id=user_id,
            field=field,
            old_value=None if old is None else str(old),
            new_value=None if new is None else str(new),
            created_at=now,
        )
    )


def correct_incident(
    session: Session, incident_id: int, changes: dict[str, str], user_id: int | None, now: dt.datetime
) -> list[str]:
    """Apply the analyst's values (strings from a form); returns the fields that changed.

    Raises ValueError naming the field when a value does not parse (e.g. a toll that is not a number).
    """
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise ValueError(f"no incident {incident_id}")
    changed = []
    for field, raw in changes.items():
        if field not in EDITABLE:
            continue
        raw = raw.strip()
        try:
            value: Any = EDITABLE[field](raw) if raw else None
        except ValueError as exc:
            raise ValueError(f"{field}: {raw!r} is not valid") from exc
        if field in ("deaths", "injured") and value is not None and not 0 <= value <= 100000:
            raise ValueError(f"{field}: must be between 0 and 100000")
        if field in ("occurred_on", "title") and value is None:
            raise ValueError(f"{field}: cannot be empty")
        if isinstance(value, str):
            value = value[:256] if field != "title" else value[:1000]
        old = getattr(incident, field)
        if old == value:
            continue
        setattr(incident, field, value)
        _lock(incident, field)
        _log(session, incident_id, user_id, field, old, value, now)
        changed.append(field)
    if changed:
        incident.last_updated_at = now
    return changed


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host[4:] if host.startswith("www.") else host


def recount(session: Session, incident_id: int) -> None:
    """Refresh an incident's article and independent-outlet counts."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return
    articles = list(session.scalars(select(Article).where(Article.incident_id == incident_id)))
    incident.article_count = len(articles)
    hosts = {_host(a.url) for a in articles if a.url}
    incident.outlet_count = len(hosts) or (1 if articles else 0)


def move_article(
    session: Session, article_id: int, target_incident_id: int | None, user_id: int | None, now: dt.datetime
) -> int:
    """Move an article to another incident, or to a new one (``None``); returns the target id."""
    article = session.get(Article, article_id)
    if article is None:
        raise ValueError(f"no article {article_id}")
    source_id = article.incident_id
    if target_incident_id is None:
        template = session.get(Incident, source_id) if source_id else None
        target = Incident(
            title=article.title[:1000],
            occurred_on=(template.occurred_on if template else (article.published_at or now).date()),
            place_key=template.place_key if template else None,
            place_name=template.place_name if template else None,
            place_precision=template.place_precision if template else None,
            city=template.city if template else None,
            country=template.country if template else None,
            status="active",
            outlet_count=0,
            article_count=0,
            first_reported_at=now,
            last_updated_at=now,
            locked_fields=["articles"],
        )
        session.add(target)
        session.flush()
    else:
        found = session.get(Incident, target_incident_id)
        if found is None or found.status != "active":
            raise ValueError(f"no active incident {target_incident_id}")
        target = found
        _lock(target, "articles")
    article.incident_id = target.id
    _log(
        session,
        target.id,
        user_id,
        "articles",
        f"article {article_id} from incident {source_id}",
        f"article {article_id}",
        now,
    )
    if source_id is not None:
        source = session.get(Incident, source_id)
        if source is not None:
            _lock(source, "articles")
            _log(
                session,
                source_id,
                user_id,
                "articles",
                f"article {article_id}",
                f"moved to incident {target.id}",
                now,
            )
        session.flush()
        recount(session, source_id)
    session.flush()
    recount(session, target.id)
    return target.id
