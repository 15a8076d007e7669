"""Analysts' accounts, the review queue and their verdicts. Every function takes a Session, none commits.

The queue shows flagged articles with their latest verdict. A verdict is append-only (``reviews`` keeps
every one, with who and when); the latest counts. Reviewed articles are also the training examples the
classifier learns from (:func:`reviewed_examples`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from monitor.storage.models import Article, ArticleFeed, Feed, Incident, Review, User

VERDICTS = ("confirmed", "rejected", "unsure")


# --- users ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    is_active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


def _user_info(user: User) -> UserInfo:
    return UserInfo(user.id, user.username, user.is_active, user.created_at, user.last_login_at)


def add_user(session: Session, username: str, password_hash: str, now: dt.datetime) -> UserInfo:
    user = User(username=username, password_hash=password_hash, is_active=True, created_at=now)
    session.add(user)
    session.flush()
    return _user_info(user)


def find_user(session: Session, username: str) -> tuple[UserInfo, str] | None:
    """The user and their password hash, or None."""
    user = session.scalar(select(User).where(User.username == username))
    return (_user_info(user), user.password_hash) if user else None


def get_user(session: Session, user_id: int) -> UserInfo | None:
    user = session.get(User, user_id)
    return _user_info(user) if user else None


def list_users(session: Session) -> list[UserInfo]:
    return [_user_info(u) for u in session.scalars(select(User).order_by(User.username))]


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.password_hash = password_hash


def set_active(session: Session, username: str, active: bool) -> bool:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return False
    user.is_active = active
    return True


def record_login(session: Session, user_id: int, now: dt.datetime) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.last_login_at = now


# --- the queue ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    verdict: str = "unreviewed"  # unreviewed, confirmed, rejected, unsure, any
    query: str = ""
    place: str = ""
    feed_id: int | None = None
    min_score: float | None = None
    max_score: float | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    order: str = "newest"  # newest, oldest, uncertain, score
    threshold: float = 0.5  # for "uncertain": distance of the score from the threshold
    include_unflagged: bool = False


@dataclass(frozen=True)
class QueueItem:
    id: int
    title: str
    summary: str
    url: str
    published_at: dt.datetime | None
    first_seen_at: dt.datetime
    score: float | None
    flagged: bool | None
    reasons: list[Any]
    model_version: str | None
    verdict: str | None
    verdict_note: str
    incident_id: int | None
    incident_place: str | None
    incident_deaths: int | None
    outlets: list[str] = field(default_factory=list)


def _latest_review_subquery() -> Any:
    latest = (
        select(Review.article_id, func.max(Review.id).label("review_id"))
        .group_by(Review.article_id)
        .subquery("latest_review")
    )
    return latest


def _latest_verdict(article_id: Any) -> Any:
    """Correlated scalar subquery: the article's latest verdict (uses the reviews index)."""
    return (
        select(Review.verdict)
        .where(Review.article_id == article_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(flt: QueueFilter) -> list[Any]:
    """WHERE conditions for the queue; each works row by row along an index-ordered scan."""
    conditions: list[Any] = []
    if not flt.include_unflagged:
        conditions.append(Article.flagged.is_(True))
    if flt.verdict == "unreviewed":
        conditions.append(~select(Review.id).where(Review.article_id == Article.id).exists())
    elif flt.verdict in VERDICTS:
        conditions.append(_latest_verdict(Article.id) == flt.verdict)
    if flt.query:
        pattern = _like(flt.query.lower())
        conditions.append(
            or_(
                func.lower(Article.title).like(pattern, escape="\\"),
                func.lower(Article.summary).like(pattern, escape="\\"),
            )
        )
    if flt.place:
        place = select(Incident.id).where(
            Incident.id == Article.incident_id,
            func.lower(Incident.place_name).like(_like(flt.place.lower()), escape="\\"),
        )
        conditions.append(place.exists())
    if flt.feed_id is not None:
        carried = select(ArticleFeed.article_id).where(
            ArticleFeed.feed_id == flt.feed_id, ArticleFeed.article_id == Article.id
        )
        conditions.append(carried.exists())
    if flt.min_score is not None:
        conditions.append(Article.score >= flt.min_score)
    if flt.max_score is not None:
        conditions.append(Article.score <= flt.max_score)
    published = func.coalesce(Article.published_at, Article.first_seen_at)
    if flt.since is not None:
        conditions.append(published >= dt.datetime.combine(flt.since, dt.time(), dt.UTC))
    if flt.until is not None:
        end = dt.datetime.combine(flt.until + dt.timedelta(days=1), dt.time(), dt.UTC)
        conditions.append(published < end)
    return conditions


def _queue_ids(session: Session, flt: QueueFilter, limit: int, offset: int) -> list[int]:
    """Phase one: only ids, in queue order, so the database can walk an index and stop early."""
    conditions = _conditions(flt)
    if flt.order == "uncertain":
        # Closest to the threshold first, as two index range scans (just above, just below) merged:
        # sorting every flagged article by |score - threshold| would not scale.
        wanted = offset + limit
        above = session.execute(
            select(Article.id, Article.score)
            .where(Article.score >= flt.threshold, *conditions)
            .order_by(Article.score.asc(), Article.id.desc())
            .limit(wanted)
        ).all()
        below = session.execute(
            select(Article.id, Article.score)
            .where(Article.score < flt.threshold, *conditions)
            .order_by(Article.score.desc(), Article.id.desc())
            .limit(wanted)
        ).all()
        merged = sorted([*above, *below], key=lambda row: (abs((row[1] or 0.0) - flt.threshold), -row[0]))
        return [row[0] for row in merged[offset : offset + limit]]
    stmt = select(Article.id).where(*conditions)
    if flt.order == "score":
        stmt = stmt.order_by(Article.score.desc(), Article.id.desc())
    elif flt.order == "oldest":
        stmt = stmt.order_by(Article.first_seen_at.asc(), Article.id.asc())
    else:
        stmt = stmt.order_by(Article.first_seen_at.desc(), Article.id.desc())
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def _load(session: Session, article_ids: list[int]) -> list[QueueItem]:
    """Phase two: the shown rows, with latest verdicts, incidents and outlets, in the given order."""
    if not article_ids:
        return []
    latest = (
        select(Review.article_id, func.max(Review.id).label("review_id"))
        .where(Review.article_id.in_(article_ids))
        .group_by(Review.article_id)
        .subquery("latest_review")
    )
    review = aliased(Review)
    rows = session.execute(
        select(Article, review.verdict, review.note, Incident.place_name, Incident.deaths)
        .outerjoin(latest, latest.c.article_id == Article.id)
        .outerjoin(review, review.id == latest.c.review_id)
        .outerjoin(Incident, Incident.id == Article.incident_id)
        .where(Article.id.in_(article_ids))
    ).all()
    by_id = {row[0].id: row for row in rows}
    return _items(session, [by_id[i] for i in article_ids if i in by_id])


def _items(session: Session, rows: Any) -> list[QueueItem]:
    outlets = _outlets(session, [row[0].id for row in rows])
    return [
        QueueItem(
            id=a.id,
            title=a.title,
            summary=a.summary,
            url=a.url,
            published_at=a.published_at,
            first_seen_at=a.first_seen_at,
            score=a.score,
            flagged=a.flagged,
            reasons=list(a.reasons or []),
            model_version=a.model_version,
            verdict=verdict,
            verdict_note=note or "",
            incident_id=a.incident_id,
            incident_place=place,
            incident_deaths=deaths,
            outlets=outlets.get(a.id, []),
        )
        for a, verdict, note, place, deaths in rows
    ]


def queue(session: Session, flt: QueueFilter, *, limit: int = 50, offset: int = 0) -> list[QueueItem]:
    """A page of the queue: newest first by default (by when we first saw the article)."""
    return _load(session, _queue_ids(session, flt, limit, offset))


def queue_count(session: Session, flt: QueueFilter) -> int:
    return int(session.scalar(select(func.count()).select_from(Article).where(*_conditions(flt))) or 0)


def get_article(session: Session, article_id: int) -> QueueItem | None:
    """One article with its latest verdict, flagged or not."""
    items = _load(session, [article_id])
    return items[0] if items else None


def _outlets(session: Session, article_ids: list[int]) -> dict[int, list[str]]:
    if not article_ids:
        return {}
    rows = session.execute(
        select(ArticleFeed.article_id, Feed.title, Feed.url)
        .join(Feed, Feed.id == ArticleFeed.feed_id)
        .where(ArticleFeed.article_id.in_(article_ids))
        .order_by(ArticleFeed.first_seen_at)
    ).all()
    result: dict[int, list[str]] = {}
    for article_id, title, url in rows:
        result.setdefault(article_id, []).append(title or url)
    return result


# --- verdicts ----------------------------------------------------------------------------------------


def record_review(
    session: Session, article_id: int, user_id: int | None, verdict: str, note: str, now: dt.datetime
) -> int:
    """Append a verdict; returns its id. Raises ValueError for an unknown verdict or article."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}")
    if session.get(Article, article_id) is None:
        raise ValueError(f"no article {article_id}")
    review = Review(article_id=article_id, user_id=user_id, verdict=verdict, note=note[:2000], created_at=now)
    session.add(review)
    session.flush()
    return review.id


def review_history(session: Session, article_id: int) -> list[tuple[str, str, str, dt.datetime]]:
    """(username, verdict, note, when) for every verdict on the article, oldest first."""
    rows = session.execute(
        select(User.username, Review.verdict, Review.note, Review.created_at)
        .outerjoin(User, User.id == Review.user_id)
        .where(Review.article_id == article_id)
        .order_by(Review.id)
    ).all()
    return [(u or "(deleted user)", v, n, c) for u, v, n, c in rows]


def review_counts(session: Session, since: dt.datetime | None = None) -> dict[str, int]:
    """Latest verdict per article, counted: {"confirmed": n, "rejected": n, "unsure": n}."""
    latest = _latest_review_subquery()
    stmt = select(Review.verdict, func.count()).join(latest, latest.c.review_id == Review.id)
    if since is not None:
        stmt = stmt.where(Review.created_at >= since)
    counts = dict(session.execute(stmt.group_by(Review.verdict)).all())
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


@dataclass(frozen=True)
class ReviewedExample:
    article_id: int
    title: str
    text: str
    label: int  # 1 confirmed, 0 rejected
    reviewed_at: dt.datetime
    score: float | None


def reviewed_examples(session: Session) -> list[ReviewedExample]:
    """Articles whose latest verdict is confirmed (label 1) or rejected (label 0), oldest review first."""
    latest = _latest_review_subquery()
    rows = session.execute(
        select(Article, Review.verdict, Review.created_at)
        .join(latest, latest.c.article_id == Article.id)
        .join(Review, Review.id == latest.c.review_id)
        .where(Review.verdict.in_(("confirmed", "rejected")))
        .order_by(Review.created_at, Review.id)
    ).all()
    return [
        ReviewedExample(a.id, a.title, a.summary, 1 if v == "confirmed" else 0, when, a.score)
        for a, v, when in rows
    ]
