"""SQLAlchemy 2 table definitions: the shape of everything the service keeps.

Only the schema lives here. Alembic migrations (``alembic/versions``) are the only way this schema is
created in a database; ``tests/test_migrations.py`` checks that migrations and these models agree.
Query functions live in the sibling modules of this package and take a ``Session``; they never commit.

Times are stored as UTC. ``UTCDateTime`` returns aware datetimes on every backend, because SQLite keeps
no time zone and mixing naive and aware values is a classic source of off-by-hours windows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned time-zone aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(dt.UTC)
        # SQLite stores text; keep it naive UTC so that string comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """The usual conversion, remembering the last value: storing a round binds the same ``now`` to
        most timestamp columns of every row (first seen, last changed, classified, ...), and on SQLite
        each conversion formats a string (a fifth of the storing time of a large round)."""
        convert = super().bind_processor(dialect)
        if convert is None:
            return None
        last: tuple[Any, Any] = (None, None)

        def process(value: Any) -> Any:
            nonlocal last
            seen = last  # one read, one write: threads sharing this function never mix pairs up
            if value is seen[0] and value is not None:
                return seen[1]
            result = convert(value)
            last = (value, result)
            return result

        return process


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


# --- feeds and polling -------------------------------------------------------------------------------


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    site_url: Mapped[str] = mapped_column(String(2048), default="")
    source: Mapped[str] = mapped_column(String(16), default="cli")  # config, cli, opml, demo
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[dt.datetime]
    interval_minutes: Mapped[float | None] = mapped_column(Float)
    # Validators for conditional GET; saved in the same transaction as the articles they cover.
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(256))
    #: Where a permanent redirect pointed last time; polls use it, the user's URL stays as typed.
    redirect_url: Mapped[str | None] = mapped_column(String(2048))
    last_polled_at: Mapped[dt.datetime | None]
    last_success_at: Mapped[dt.datetime | None]
    last_error_at: Mapped[dt.datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(32))
    last_error_kind: Mapped[str | None] = mapped_column(String(64))
    last_error_message: Mapped[str | None] = mapped_column(Text)
    last_http_status: Mapped[int | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class PollLog(Base):
    """One row per poll attempt of a feed: what happened, how long it took."""

    __tablename__ = "poll_log"
    __table_args__ = (Index("ix_poll_log_feed_started", "feed_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    started_at: Mapped[dt.datetime]
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(32))  # ok, not_modified, error, retry_later
    error_kind: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None]
    entries: Mapped[int] = mapped_column(Integer, default=0)
    new_articles: Mapped[int] = mapped_column(Integer, default=0)
    updated_articles: Mapped[int] = mapped_column(Integer, default=0)


# --- articles and verdicts -----------------------------------------------------------------------------


class Article(Base):
    """One story, however many feeds carried it and however often its GUID changed."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_flagged_published", "flagged", "published_at"),
        # The review queue walks these: newest flagged first, and nearest the threshold first.
        Index("ix_articles_flagged_first_seen", "flagged", "first_seen_at"),
        Index("ix_articles_flagged_score", "flagged", "score"),
        Index("ix_articles_classified_at", "classified_at"),
        Index("ix_articles_first_seen_at", "first_seen_at"),
        Index("ix_articles_incident_id", "incident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Canonical link (scheme and host lower-cased, tracking parameters and fragment dropped); unique.
    canonical_url: Mapped[str | None] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # plain text, extracted from sanitized HTML
    author: Mapped[str] = mapped_column(Text, default="")
    #: Hash of title + text, to tell an edited item from an unchanged one.
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    published_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime | None]
    first_seen_at: Mapped[dt.datetime]
    last_changed_at: Mapped[dt.datetime]
    # Classifier verdict; classified_at NULL means "queued", never "not flagged".
    score: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool | None] = mapped_column(Boolean)
    model_version: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[list[Any] | None]
    classified_at: Mapped[dt.datetime | None]
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))


class ArticleFeed(Base):
    """Which feeds carried an article, under which entry key (GUID, link or title hash)."""

    __tablename__ = "article_feeds"
    __table_args__ = (Index("ix_article_feeds_feed_entry", "feed_id", "entry_key"),)

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True)
    entry_key: Mapped[str] = mapped_column(String(2048))
    first_seen_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]


# --- facts and incidents -----------------------------------------------------------------------------


class Extraction(Base):
    """What an analyst would record from one flagged article."""

    __tablename__ = "extractions"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    deaths: Mapped[int | None]
    injured: Mapped[int | None]
    place_key: Mapped[str | None] = mapped_column(String(256))
    place_name: Mapped[str | None] = mapped_column(String(256))
    place_precision: Mapped[str | None] = mapped_column(String(16))  # town, city, province, country
    city: Mapped[str | None] = mapped_column(String(128))
    province: Mapped[str | None] = mapped_column(String(128))
    country: Mapped[str | None] = mapped_column(String(128))
    victim_group: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str | None] = mapped_column(String(64))
    incident_date: Mapped[dt.date | None] = mapped_column(Date)
    is_tally: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any] | None]
    extracted_at: Mapped[dt.datetime]


class Incident(Base):
    """One killing (or one attack on chosen targets), however many outlets reported it."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_occurred_on", "occurred_on"),
        Index("ix_incidents_place_key", "place_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    place_key: Mapped[str | None] = mapped_column(String(256))
    place_name: Mapped[str | None] = mapped_column(String(256))
    place_precision: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(128))
    province: Mapped[str | None] = mapped_column(String(128))
    country: Mapped[str | None] = mapped_column(String(128))
    deaths: Mapped[int | None]
    injured: Mapped[int | None]
    victim_group: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str | None] = mapped_column(String(64))
    outlet_count: Mapped[int] = mapped_column(Integer, default=0)
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active, merged, dismissed
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    #: Fields an analyst corrected; automatic updates leave them alone.
    locked_fields: Mapped[list[Any] | None]
    first_reported_at: Mapped[dt.datetime]
    last_updated_at: Mapped[dt.datetime]


class IncidentChange(Base):
    """Audit trail of analysts' corrections to incidents."""

    __tablename__ = "incident_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


# --- spikes and alerts ---------------------------------------------------------------------------------


class SpikeEpisode(Base):
    """One wave in one series (overall, a city or a Karachi town): start, growth, end."""

    __tablename__ = "spike_episodes"
    __table_args__ = (UniqueConstraint("series_key", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_key: Mapped[str] = mapped_column(String(256))  # "all", "city:karachi", "town:karachi/lyari"
    series_label: Mapped[str] = mapped_column(String(256), default="")
    started_on: Mapped[dt.date] = mapped_column(Date)
    last_alarm_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    level: Mapped[int] = mapped_column(Integer, default=1)  # rises with each escalation
    peak_count: Mapped[int] = mapped_column(Integer, default=0)
    peak_expected: Mapped[float] = mapped_column(Float, default=0.0)
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, closed
    details: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Alert(Base):
    """An outbox entry, written in the same transaction as the decision that caused it."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable identity ("spike:<series>:<start>:<level>", "digest:2026-W47"); also the email Message-ID.
    key: Mapped[str] = mapped_column(String(256), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # spike_start, spike_growth, digest, test, dead_letter
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("spike_episodes.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]


class AlertDelivery(Base):
    """One alert on one channel to one recipient; ends sent or dead, never vanishes."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel", "recipient"),
        Index("ix_alert_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))  # email, slack
    recipient: Mapped[str] = mapped_column(String(320), default="")
    # pending, sending, sent, dead, silenced
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Silence(Base):
    """Mute alerts matching a place, a victim group or a keyword until a given time."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(32))  # place, victim_group, keyword
    value: Mapped[str] = mapped_column(String(256))
    until: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime]


# --- people and their verdicts -------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None]


class Review(Base):
    """An analyst's verdict on a flagged article; append-only, the latest one counts."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_article_created", "article_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verdict: Mapped[str] = mapped_column(String(16))  # confirmed, rejected, unsure
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


# --- service bookkeeping -------------------------------------------------------------------------------


class SchedulerLease(Base):
    """Who runs the scheduler: one holder per database, renewed by heartbeat, taken over when expired."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(256))
    acquired_at: Mapped[dt.datetime]
    heartbeat_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class JobRun(Base):
    """One run of a scheduled job: who ran it, when, and how it ended (ok, error, overrun, cancelled)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(256))  # the scheduler (host:pid:token) that ran it
    started_at: Mapped[dt.datetime]
    deadline_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    #: running, ok, error, overrun (stopped at its time limit), cancelled (lease lost), abandoned (the
    #: scheduler running it died; closed by the next lease holder)
    status: Mapped[str] = mapped_column(String(16), default="running")
    message: Mapped[str | None] = mapped_column(Text)


class ModelVersion(Base):
    """Classifier versions trained here, their metrics, and which one is promoted."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]
    promoted_at: Mapped[dt.datetime | None]
    metrics: Mapped[dict[str, Any] | None]
