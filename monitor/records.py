"""Plain records that cross from the pipeline to its worker processes.

Standard library only, on purpose: a worker unpickles these before it does anything, and a worker
whose feeds all answer 304 should never pay for importing the database layer, the settings' validation
(pydantic), the parser or the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.config import Settings


@dataclass(frozen=True)
class DueFeed:
    """What polling needs to know of a feed (read from its row by ``storage.polling.due_feeds``)."""

    id: int
    url: str
    redirect_url: str | None
    etag: str | None
    last_modified: str | None
    interval_minutes: float | None
    consecutive_failures: int
    title: str
    site_url: str

    @property
    def fetch_url(self) -> str:
        """Where to poll: the target of the last permanent redirect, else the URL as the user gave it."""
        return self.redirect_url or self.url


@dataclass(frozen=True)
class ModelSpec:
    """Enough to load the same classifier in another process and check that it is the same one."""

    directory: str
    threshold: float
    version: str


@dataclass(frozen=True)
class FetchLimits:
    """The settings a fetcher obeys, taken from :class:`monitor.config.Settings` by :meth:`of`."""

    timeout_seconds: float
    connect_timeout_seconds: float
    max_body_bytes: int
    max_redirects: int
    concurrency: int
    per_host_concurrency: int
    max_retry_after_hours: float
    user_agent: str
    allow_private_networks: bool

    @classmethod
    def of(cls, settings: Settings) -> FetchLimits:
        p = settings.polling
        return cls(
            timeout_seconds=p.timeout_seconds,
            connect_timeout_seconds=p.connect_timeout_seconds,
            max_body_bytes=p.max_body_bytes,
            max_redirects=p.max_redirects,
            concurrency=p.concurrency,
            per_host_concurrency=p.per_host_concurrency,
            max_retry_after_hours=p.max_retry_after_hours,
            user_agent=p.user_agent,
            allow_private_networks=settings.allow_private_networks,
        )
