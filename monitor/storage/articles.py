"""Article queries for polling: load what is known about a batch of entries, and apply a plan.

Writes are batched (one multi-row INSERT for all new articles, executemany updates), because a poll
of a thousand feeds must not pay one ORM flush per row. Functions take a Session and never commit.

New articles' ids: PostgreSQL returns them from one ``INSERT ... RETURNING`` in parameter order. SQLite
cannot promise that order, so SQLAlchemy would fall back to one INSERT per row there (a third of the
storing time of a large round); instead the ids are chosen here, after the largest one in use, which is
safe because the pipeline's SQLite write transactions hold the write lock from ``BEGIN IMMEDIATE`` on
(without it a concurrent insert would make ours fail on the primary key, never mix rows up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from monitor.decide import Known, KnownArticle, Plan, entry_keys, lookup_keys, title_key
from monitor.parse import ParsedEntry
from monitor.storage.models import Article, ArticleFeed

_CHUNK = 400  # bound parameters per IN (...) list: well under SQLite's limit


class VerdictLike(Protocol):
    @property
    def score(self) -> float: ...
    @property
    def flagged(self) -> bool: ...
    @property
    def reasons(self) -> list[str]: ...
    @property
    def model_version(self) -> str: ...


@dataclass(frozen=True)
class Applied:
    new_ids: list[int]
    changed_ids: list[int]


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# Built once: constructing and cache-keying these per call was most of load_known's cost in a round.
_COLS = (Article.id, Article.canonical_url, Article.content_hash)
_BY_URL = select(*_COLS).where(Article.canonical_url.in_(bindparam("values", expanding=True)))
_BY_KEY = (
    select(ArticleFeed.entry_key, *_COLS)
    .join(Article, Article.id == ArticleFeed.article_id)
    .where(
        ArticleFeed.feed_id == bindparam("feed_id"),
        ArticleFeed.entry_key.in_(bindparam("values", expanding=True)),
    )
)
_BY_TITLE = (
    select(Article.title, Article.published_at, *_COLS)
    .join(ArticleFeed, ArticleFeed.article_id == Article.id)
    .where(
        ArticleFeed.feed_id == bindparam("feed_id"), Article.title.in_(bindparam("values", expanding=True))
    )
)
_LINKED = select(ArticleFeed.article_id).where(
    ArticleFeed.feed_id == bindparam("feed_id"),
    ArticleFeed.article_id.in_(bindparam("values", expanding=True)),
)


def load_known(session: Session, feed_id: int, entries: Sequence[ParsedEntry]) -> Known:
    """Existing articles matching the entries' canonical URLs or this feed's entry keys."""
    known = Known()
    urls, keys = lookup_keys(entries)
    for chunk in _chunks(sorted(urls)):
        for aid, url, chash in session.execute(_BY_URL, {"values": list(chunk)}):
            if url:
                known.by_url[url] = KnownArticle(aid, url, chash)
    for chunk in _chunks(sorted(keys)):
        for key, aid, url, chash in session.execute(_BY_KEY, {"feed_id": feed_id, "values": list(chunk)}):
            known.by_key.setdefault(key, KnownArticle(aid, url, chash))
            known.linked.add(aid)
    # Link-less items whose GUID changed (or vanished) are found by title + date among this feed's articles.
    unmatched_titles = sorted(
        {
            e.title
            for e in entries
            if not e.canonical_url and e.title and not any(k in known.by_key for k in entry_keys(e))
        }
    )
    for chunk in _chunks(unmatched_titles):
        rows = session.execute(_BY_TITLE, {"feed_id": feed_id, "values": list(chunk)})
        for title, published, aid, url, chash in rows:
            probe = ParsedEntry("", "", None, title, "", "", published, None)
            known.by_key.setdefault(title_key(probe), KnownArticle(aid, url, chash))
            known.linked.add(aid)
    matched = sorted({a.id for a in known.by_url.values()} - known.linked)
    for chunk in _chunks(matched):
        known.linked.update(session.scalars(_LINKED, {"feed_id": feed_id, "values": list(chunk)}))
    return known


def _article_values(entry: ParsedEntry, now: dt.datetime, verdict: VerdictLike | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "url": entry.link,
        "title": entry.title,
        "summary": entry.summary,
        "author": entry.author,
        "content_hash": entry.content_hash,
        "published_at": entry.published_at,
        "updated_at": entry.updated_at,
        "last_changed_at": now,
        # A changed article is classified again; without a verdict it goes back to the queue.
        "score": verdict.score if verdict else None,
        "flagged": verdict.flagged if verdict else None,
        "model_version": verdict.model_version[:64] if verdict else None,
        "reasons": list(verdict.reasons) if verdict else None,
        "classified_at": now if verdict else None,
    }
    return values


_ARTICLES = cast(Table, Article.__table__)
_MAX_ID = select(func.max(Article.id))


def _insert_articles(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (Core, not the ORM bulk path); return their ids in the order of ``rows``."""
    if session.get_bind().dialect.name == "sqlite":
        first = (session.scalar(_MAX_ID) or 0) + 1
        ids = list(range(first, first + len(rows)))
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
        session.execute(insert(_ARTICLES), rows)
        return ids
    result = session.execute(insert(_ARTICLES).returning(_ARTICLES.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars().all())


def apply_plan(
    session: Session,
    feed_id: int,
    plan: Plan,
    now: dt.datetime,
    verdicts: dict[int, VerdictLike] | None = None,
) -> Applied:
    """Insert new articles, update changed ones, link them all to the feed.

    ``verdicts`` maps ``id(action)`` of new and changed actions to their classifier verdicts.
    """
    verdicts = verdicts or {}
    new_ids: list[int] = []
    if plan.new:
        rows = []
        for action in plan.new:
            values = _article_values(action.entry, now, verdicts.get(id(action)))
            values.update(canonical_url=action.entry.canonical_url, first_seen_at=now)
            rows.append(values)
        new_ids = _insert_articles(session, rows)
    changed_rows = []
    for action in plan.changed:
        values = _article_values(action.entry, now, verdicts.get(id(action)))
        values["id"] = action.article_id
        if action.new_canonical_url:
            values["canonical_url"] = action.new_canonical_url
        changed_rows.append(values)
    if changed_rows:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for values in changed_rows:
            groups.setdefault(tuple(sorted(values)), []).append(values)
        for rows in groups.values():
            session.execute(update(Article), rows)

    links = [
        {"article_id": aid, "feed_id": feed_id, "entry_key": a.key, "first_seen_at": now, "last_seen_at": now}
        for aid, a in zip(new_ids, plan.new, strict=True)
    ]
    touched = []
    for action in [*plan.changed, *plan.unchanged]:
        assert action.article_id is not None
        if action.link_feed:
            links.append(
                {
                    "article_id": action.article_id,
                    "feed_id": feed_id,
                    "entry_key": action.key,
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
            )
        else:
            touched.append(
                {
                    "article_id": action.article_id,
                    "feed_id": feed_id,
                    "entry_key": action.key,
                    "last_seen_at": now,
                }
            )
    if links:
        session.execute(insert(cast(Table, ArticleFeed.__table__)), links)
    if touched:
        session.execute(update(ArticleFeed), touched)
    return Applied(new_ids, [a.article_id for a in plan.changed if a.article_id is not None])

