"""Storage queries for classifier verdicts: which articles need (re)scoring, saving a verdict, and the
analysts' reviews as training examples. Functions take a Session and never commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from monitor.storage.models import Article, Review


@dataclass(frozen=True)
class ArticleText:
    id: int
    title: str
    summary: str


def needing_verdict(
    session: Session, *, version: str, include_all: bool, after_id: int, limit: int
) -> list[ArticleText]:
    """The next ``limit`` articles by id after ``after_id`` that are queued or were scored by another
    model version (every article when ``include_all``)."""
    query = select(Article.id, Article.title, Article.summary).where(Article.id > after_id)
    if not include_all:
        query = query.where(
            or_(
                Article.classified_at.is_(None),
                Article.model_version.is_(None),
                Article.model_version != version,
            )
        )
    rows = session.execute(query.order_by(Article.id).limit(limit)).all()
    return [ArticleText(id=r.id, title=r.title or "", summary=r.summary or "") for r in rows]


def save_verdict(
    session: Session,
    article_id: int,
    *,
    score: float,
    flagged: bool,
    reasons: list[str],
    model_version: str,
    now: dt.datetime,
) -> None:
    session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(
            score=score,
            flagged=flagged,
            reasons=list(reasons),
            model_version=model_version,
            classified_at=now,
        )
    )


def count_needing_verdict(session: Session, *, version: str) -> int:
    query = (
        select(func.count())
        .select_from(Article)
        .where(
            or_(
                Article.classified_at.is_(None),
                Article.model_version.is_(None),
                Article.model_version != version,
            )
        )
    )
    return int(session.execute(query).scalar_one())


def reviewed_examples(session: Session) -> list[tuple[str, str, int]]:
    """(title, text, label) for every article whose latest review is "confirmed" (1) or "rejected" (0)."""
    latest = (
        select(Review.article_id, func.max(Review.id).label("review_id"))
        .group_by(Review.article_id)
        .subquery()
    )
    rows = session.execute(
        select(Article.title, Article.summary, Review.verdict)
        .join(latest, latest.c.article_id == Article.id)
        .join(Review, Review.id == latest.c.review_id)
        .where(Review.verdict.in_(("confirmed", "rejected")))
        .order_by(Article.id)
    ).all()
    return [(r.title or "", r.summary or "", 1 if r.verdict == "confirmed" else 0) for r in rows]
