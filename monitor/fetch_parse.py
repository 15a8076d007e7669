"""One feed's trip from the network to parsed, scored entries: what a polling round does per feed before
anything is stored.

    done = await fetch_and_parse(fetcher, feed, now, parse_in=executor, model=spec)
    done.failure        -> the fetch or the parse failed (plain data: it crosses process boundaries)
    done.parsed is None -> 304, nothing to store but the outcome
    otherwise           -> done.parsed (entries) and done.verdicts (by content hash, when ``model`` is set)

:func:`poll_all` does it for many feeds with bounded memory. It runs in the pipeline's own process for
small rounds and in the worker processes of :mod:`monitor.shards` for large ones; either way the caller
stores the result and decides the feed's next poll. Parsing (and scoring) runs in ``parse_in``, a
one-thread executor, so the event loop keeps fetching meanwhile. Nothing here touches the database or a
clock other than ``time.monotonic`` for the duration.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.errors import FeedError, FetchError, ParseError, RetryLaterError
from monitor.fetch import Fetcher, FetchResult
from monitor.records import DueFeed, ModelSpec

if TYPE_CHECKING:
    from monitor.classify import Verdict
    from monitor.parse import ParsedFeed
    from monitor.parse_worker import WorkerResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    """A FeedError as plain data (our exceptions do not survive pickling)."""

    kind: str
    message: str
    status: int | None = None
    retry_after_seconds: float | None = None
    parse: bool = False

    @classmethod
    def of(cls, exc: FeedError, status: int | None = None) -> Failure:
        return cls(
            kind=exc.kind,
            message=exc.message,
            status=getattr(exc, "status", None) or status,
            retry_after_seconds=getattr(exc, "retry_after_seconds", None),
            parse=isinstance(exc, ParseError),
        )

    def error(self, url: str) -> FeedError:
        if self.retry_after_seconds is not None:
            return RetryLaterError(
                url, self.message, retry_after_seconds=self.retry_after_seconds, status=self.status
            )
        if self.parse:
            return ParseError(url, self.message, kind=self.kind)
        return FetchError(url, self.message, kind=self.kind, status=self.status)


@dataclass(frozen=True)
class FeedDone:
    """What became of one feed this round, before storing."""

    feed_id: int
    seconds: float  #: how long the fetch (and parse) took
    result: FetchResult | None = None  #: the answer, body dropped once parsed
    parsed: ParsedFeed | None = None
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    failure: Failure | None = None


async def fetch_and_parse(
    fetcher: Fetcher,
    feed: DueFeed,
    now: dt.datetime,
    *,
    parse_in: Executor,
    model: ModelSpec | None = None,
    on_parsing: Callable[[int | None], None] | None = None,
) -> FeedDone:
    """Fetch ``feed`` and, if it changed, parse (and score) its body; never raises for a feed's fault.

    ``on_parsing(feed_id)`` is called in the parsing thread just before the parser starts and
    ``on_parsing(None)`` once it is done, so a process that dies while parsing can be blamed on the
    right feed.
    """
    started = time.monotonic()

    def took() -> float:
        return time.monotonic() - started

    try:
        result = await fetcher.fetch(feed.fetch_url, etag=feed.etag, last_modified=feed.last_modified)
    except FeedError as exc:
        return FeedDone(feed.id, took(), failure=Failure.of(exc))
    except Exception as exc:  # a bug must not stop the other feeds
        log.exception("unexpected error fetching %s", feed.fetch_url, extra={"feed": feed.url})
        return FeedDone(feed.id, took(), failure=Failure("internal", repr(exc)))
    if result.not_modified:
        return FeedDone(feed.id, took(), result=result)

    def parse() -> WorkerResult | tuple[str, str]:
        # Imported here: a worker whose feeds all answer 304 never loads the parser or the model.
        from monitor.parse_worker import job

        if on_parsing is None:
            return job(result.body, result.final_url, now, result.content_type, model)
        on_parsing(feed.id)
        try:
            return job(result.body, result.final_url, now, result.content_type, model)
        finally:
            on_parsing(None)

    loop = asyncio.get_running_loop()
    head = dataclasses.replace(result, body=b"")  # the body is not needed once parsed
    try:
        parsed = await loop.run_in_executor(parse_in, parse)
    except Exception as exc:
        failure = Failure("parse", f"{type(exc).__name__}: {exc}", status=result.status, parse=True)
        return FeedDone(feed.id, took(), result=head, failure=failure)
    if isinstance(parsed, tuple):
        failure = Failure(*parsed, status=result.status, parse=True)
        return FeedDone(feed.id, took(), result=head, failure=failure)
    return FeedDone(feed.id, took(), result=head, parsed=parsed.parsed, verdicts=parsed.verdicts)


async def poll_all(
    fetcher: Fetcher,
    feeds: Sequence[DueFeed] | Callable[[], Awaitable[DueFeed | None]],
    *,
    concurrency: int,
    clock: Callable[[], dt.datetime],
    deliver: Callable[[DueFeed, FeedDone], Awaitable[None]],
    model: ModelSpec | None = None,
    on_parsing: Callable[[int | None], None] | None = None,
) -> None:
    """Fetch and parse every feed, at most ``concurrency`` at a time, awaiting ``deliver`` for each.

    ``feeds`` is a list, or a coroutine function giving the next feed and then None (a worker's feeds
    arrive as it asks for them). A feed's slot is held until ``deliver`` returns (it stores the result,
    or sends it to the process that stores), so the bodies and results held in memory stay bounded when
    the consumer falls behind: fetching would run ahead of parsing and storing otherwise. Parsing runs
    in one thread.
    """
    if callable(feeds):
        next_feed = feeds
    else:
        waiting = deque(feeds)

        async def next_feed() -> DueFeed | None:
            return waiting.popleft() if waiting else None

    parse_in = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse")

    async def slot() -> None:
        while (feed := await next_feed()) is not None:
            done = await fetch_and_parse(
                fetcher, feed, clock(), parse_in=parse_in, model=model, on_parsing=on_parsing
            )
            await deliver(feed, done)

    try:
        await asyncio.gather(*(slot() for _ in range(max(1, concurrency))))
    finally:
        parse_in.shutdown(wait=True)
