"""Plain records that cross from the pipeline to its worker processes.

Standard library only, on purpose: a worker unpickles these before it does anything, and a worker
whose feeds all answer 304 should never pay for importing the database layer, the parser or the model.
"""

from __future__ import annotations

from dataclasses import dataclass


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
