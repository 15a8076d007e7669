"""One polling round over the due feeds: orchestration only, every decision lives elsewhere.

    feeds = storage.due_feeds(now)                        # one read
    for each feed, concurrently (global + per-host limits in fetch), in worker processes for a large
    round (monitor.shards: one share of the feeds per CPU), in this process for a handful of feeds:
        done = fetch_parse.fetch_and_parse(feed)          # fetch: deadline, caps, address checks;
                                                          # parse (and, in workers, score) in a thread
    back here, per feed as it finishes:
        if 304 or a fetch/parse error:
            outcome -> small batch written with other feeds' outcomes  (cheap path, no articles)
            continue
        queued for the single writer thread, which stores the feeds waiting in its queue (waiting up
        to GROUP_WAIT for GROUP of them) in one transaction, under one savepoint for the group (and,
        if a feed fails, again feed by feed, each under its OWN SAVEPOINT):
            known  = storage.load_known(entries)
            plan   = decide.plan_entries(parsed, known)   # new / changed / unchanged
            verdicts += classifier.classify(missing)      # new/changed the worker did not score
            storage.apply_plan(plan, verdicts)            # articles + article_feeds
        any exception -> that feed's savepoint is rolled back and it becomes the feed's recorded error;
        the other feeds go on
        storage.record_polls(stored outcomes + cheap ones)  # validators, next poll, poll log: one
                                                          # batch, same transaction as the articles

A feed's articles and its new validators reach the disk in the same commit, so a crash at any point keeps
both or neither: the next poll then fetches the same body again and finds the articles it stored, so
nothing is lost and nothing is duplicated. Sharing a commit between the feeds that are ready at the same
moment (group commit) is what keeps an fsync'd SQLite commit per feed from capping a round at a few dozen
feeds per second. A 304 carries no articles, so its bookkeeping is batched too.

Without a classifier, articles are stored with ``classified_at`` NULL ("queued", never "not flagged").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from monitor import decide
from monitor.classify import classify_text
from monitor.config import Settings
from monitor.errors import FeedError, FetchError, RetryLaterError
from monitor.fetch import Fetcher, FetchResult
from monitor.fetch_parse import FeedDone, poll_all
from monitor.parse import ParsedFeed
from monitor.records import ModelSpec
from monitor.round_plan import plan_round
from monitor.shards import ShardPool
from monitor.storage import articles as article_store
from monitor.storage import polling as poll_store
from monitor.storage.db import Database

log = logging.getLogger(__name__)

#: How many cheap outcomes (304s, errors) are written per transaction.
BATCH = 200
#: Rounds of at most this many feeds parse in a thread instead of starting worker processes.
SMALL_ROUND = 4
#: At most this many parsed feeds share one transaction (each in its own savepoint): one fsync'd
#: commit per feed would cap a round at a few dozen feeds per second.
GROUP = 50
#: How long the writer waits for a group to fill once its first feed is ready. A writer that keeps up
#: with the fetchers would otherwise commit feed by feed (measured: 820 transactions for 1,000 feeds),
#: paying a transaction's fixed cost and an fsync each time; a feed's articles reach the disk at most
#: this much later.
GROUP_WAIT = 0.25


@dataclass
class _StoreJob:
    feed: poll_store.DueFeed
    parsed: ParsedFeed
    outcome: poll_store.PollOutcome
    done: asyncio.Future[poll_store.PollOutcome]
    #: Scored by the parse worker, by content hash.
    verdicts: Mapping[str, Verdict]


class Verdict(Protocol):
    """What the classifier returns per item (read-only attributes, so frozen dataclasses fit)."""

    @property
    def score(self) -> float: ...
    @property
    def flagged(self) -> bool: ...
    @property
    def reasons(self) -> list[str]: ...
    @property
    def model_version(self) -> str: ...


class Classifier(Protocol):
    def classify(self, items: Sequence[tuple[str, str]]) -> Sequence[Verdict]: ...


@dataclass
class PollSummary:
    feeds: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    new_articles: int = 0
    updated_articles: int = 0
    entries: int = 0
    duration_seconds: float = 0.0

    def add(self, outcome: poll_store.PollOutcome) -> None:
        if outcome.status == "ok":
            self.ok += 1
        elif outcome.status == "not_modified":
            self.not_modified += 1
        else:
            self.failed += 1
        self.new_articles += outcome.new_articles
        self.updated_articles += outcome.updated_articles
        self.entries += outcome.entries


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_workers(settings: Settings) -> int:
    return settings.polling.parse_workers or os.cpu_count() or 1


class Poller:
    """Poll feeds once: ``Poller(settings, db).run_once()``.

    ``on_feed`` is called (in the event loop) after each feed's outcome is settled, e.g. to move a
    progress bar; ``clock`` gives the current UTC time (tests may pass a fixed one).
    """

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        classifier: Classifier | None = None,
        on_feed: Callable[[poll_store.PollOutcome], None] | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.settings = settings
        self.db = db
        self.classifier = classifier
        self.on_feed = on_feed
        self.clock = clock
        self._rng = random.Random()  # jitter only: spreads next polls, no security role
        # Worker processes can score only a model they can load themselves (not one built in memory).
        spec = getattr(classifier, "spec", None)
        self._model_spec: ModelSpec | None = spec if isinstance(spec, ModelSpec) else None

    # --- entry points -------------------------------------------------------------------------------

    def due(self, *, include_all: bool = False) -> list[poll_store.DueFeed]:
        with self.db.transaction() as session:
            return poll_store.due_feeds(session, self.clock(), include_all=include_all)

    def run_once(
        self, *, include_all: bool = False, feeds: list[poll_store.DueFeed] | None = None
    ) -> PollSummary:
        """Poll every due feed (every enabled feed with ``include_all``) and record each outcome."""
        started = time.monotonic()
        if feeds is None:
            feeds = self.due(include_all=include_all)
        # Worker processes are started before the event loop and the writer thread exist, so that they
        # can be forked (see monitor.shards).
        pool = self._pool(feeds)
        if pool is not None:
            pool.start()
        summary = asyncio.run(self._run(feeds, pool))
        summary.duration_seconds = time.monotonic() - started
        return summary

    def _pool(self, feeds: list[poll_store.DueFeed]) -> ShardPool | None:
        """The worker processes for a large round; None when a handful of feeds are polled here."""
        # A handful of feeds are polled faster here than it takes to start worker processes.
        workers = min(parse_workers(self.settings), len(feeds)) if len(feeds) > SMALL_ROUND else 1
        if workers <= 1:
            return None
        p = self.settings.polling
        plan = plan_round(feeds, workers, p.per_host_concurrency)
        model = self._model_spec
        return ShardPool(self.settings, plan, self.clock(), model, p.concurrency, backlog=2 * GROUP)

    # --- the round ------------------------------------------------------------------------------------

    async def _run(self, feeds: list[poll_store.DueFeed], pool: ShardPool | None) -> PollSummary:
        summary = PollSummary(feeds=len(feeds))
        if not feeds:
            return summary
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self._pending: list[poll_store.PollOutcome] = []
        self._queue: asyncio.Queue[_StoreJob | None] = asyncio.Queue()
        self._awaiting = len(feeds)  # feeds whose result has not reached _settle yet
        writer = asyncio.create_task(self._writer_loop())
        try:
            if pool is not None:
                await self._run_in_workers(feeds, pool, summary)
            else:
                await self._run_here(feeds, summary)
            await self._flush()
        finally:
            await self._queue.put(None)
            await writer
            self._writer.shutdown(wait=True)
        return summary

    def _count(self, summary: PollSummary, outcome: poll_store.PollOutcome) -> None:
        summary.add(outcome)
        if self.on_feed is not None:
            self.on_feed(outcome)

    async def _run_here(self, feeds: list[poll_store.DueFeed], summary: PollSummary) -> None:
        """Fetch in this event loop, parse in one thread; the classifier scores in the writer."""

        async def store(feed: poll_store.DueFeed, done: FeedDone) -> None:
            self._count(summary, await self._settle(feed, done))

        async with Fetcher(self.settings) as fetcher:
            await poll_all(
                fetcher, feeds, concurrency=self.settings.polling.concurrency, clock=self.clock, deliver=store
            )

    async def _run_in_workers(
        self, feeds: list[poll_store.DueFeed], pool: ShardPool, summary: PollSummary
    ) -> None:
        """Fetch, parse and score in worker processes (:mod:`monitor.shards`); store here."""
        by_id = {feed.id: feed for feed in feeds}

        async def handle(done: FeedDone) -> None:
            self._count(summary, await self._settle(by_id[done.feed_id], done))

        await pool.run(handle)

    async def _settle(self, feed: poll_store.DueFeed, done: FeedDone) -> poll_store.PollOutcome:
        """Turn one feed's result into its recorded outcome, storing its entries if it has any."""
        self._awaiting -= 1
        finished = self.clock()
        started = finished - dt.timedelta(seconds=done.seconds)
        status = done.result.status if done.result is not None else None
        if done.failure is not None:
            error = done.failure.error(feed.url)
            return await self._cheap(self._failure(feed, started, error, status=status))
        assert done.result is not None
        if done.parsed is None:
            return await self._cheap(self._success(feed, started, done.result, None))
        outcome = self._success(feed, started, done.result, done.parsed)
        store = _StoreJob(
            feed, done.parsed, outcome, asyncio.get_running_loop().create_future(), done.verdicts
        )
        await self._queue.put(store)
        try:
            return await store.done
        except Exception as exc:
            log.exception("storing %s failed", feed.url, extra={"feed": feed.url})
            error = FetchError(feed.url, f"storing failed: {type(exc).__name__}: {exc}", kind="storage")
            return await self._cheap(self._failure(feed, started, error, status=status))

    # --- outcomes -------------------------------------------------------------------------------------

    def _interval(self, feed: poll_store.DueFeed) -> float:
        return feed.interval_minutes or self.settings.polling.interval_minutes

    def _success(
        self, feed: poll_store.DueFeed, started: dt.datetime, result: FetchResult, parsed: ParsedFeed | None
    ) -> poll_store.PollOutcome:
        now = self.clock()
        schedule = decide.schedule_success(now, self._interval(feed), self._rng.random())
        outcome = poll_store.PollOutcome(
            feed_id=feed.id,
            started_at=started,
            finished_at=now,
            status="not_modified" if parsed is None else "ok",
            next_poll_at=schedule.next_poll_at,
            consecutive_failures=0,
            http_status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            set_validators=parsed is not None,
            redirect_url=result.permanent_redirect,
        )
        if parsed is not None:
            outcome.entries = len(parsed.entries)
            if parsed.warnings:
                outcome.message = "; ".join(parsed.warnings)[:1000]
            if not feed.title and parsed.title:
                outcome.feed_title = parsed.title
            if not feed.site_url and parsed.link and parsed.link != result.final_url:
                outcome.site_url = parsed.link
        return outcome

    def _failure(
        self, feed: poll_store.DueFeed, started: dt.datetime, exc: FeedError, status: int | None = None
    ) -> poll_store.PollOutcome:
        now = self.clock()
        retry_after = exc.retry_after_seconds if isinstance(exc, RetryLaterError) else None
        schedule = decide.schedule_failure(
            now, feed.consecutive_failures, self.settings.polling, self._rng.random(), retry_after
        )
        http_status = getattr(exc, "status", None) or status
        log.warning(
            "poll failed: %s",
            exc,
            extra={"feed": feed.url, "kind": exc.kind, "failures": schedule.consecutive_failures},
        )
        return poll_store.PollOutcome(
            feed_id=feed.id,
            started_at=started,
            finished_at=now,
            status="retry_later" if retry_after is not None else "error",
            next_poll_at=schedule.next_poll_at,
            consecutive_failures=schedule.consecutive_failures,
            error_kind=exc.kind,
            message=exc.message,
            http_status=http_status,
        )

    async def _cheap(self, outcome: poll_store.PollOutcome) -> poll_store.PollOutcome:
        self._pending.append(outcome)
        if len(self._pending) >= BATCH:
            await self._flush()
        return outcome

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._writer, self._write_outcomes, batch)

    def _write_outcomes(self, batch: list[poll_store.PollOutcome]) -> None:
        with self.db.transaction() as session:
            poll_store.record_polls(session, batch)

    # --- the per-feed transaction (runs in the writer thread) ------------------------------------------

    async def _writer_loop(self) -> None:
        """Store parsed feeds: every job waiting in the queue goes into one transaction (group commit)."""
        loop = asyncio.get_running_loop()
        finished = False
        while not finished:
            first = await self._queue.get()
            if first is None:
                break
            group = [first]
            deadline = loop.time() + GROUP_WAIT
            while len(group) < GROUP:
                if self._queue.empty():
                    left = deadline - loop.time()
                    if left <= 0 or not self._awaiting:  # (nothing else can come this round)
                        break
                    try:
                        job = await asyncio.wait_for(self._queue.get(), left)
                    except TimeoutError:
                        break
                else:
                    job = self._queue.get_nowait()
                if job is None:
                    finished = True
                    break
                group.append(job)
            cheap, self._pending = self._pending, []
            try:
                results = await loop.run_in_executor(self._writer, self._store_group, group, cheap)
            except Exception as exc:  # the commit failed: nothing of the group was stored
                self._pending.extend(cheap)
                for job in group:
                    job.done.set_exception(exc)
                continue
            for job, result in zip(group, results, strict=True):
                if isinstance(result, BaseException):
                    job.done.set_exception(result)
                else:
                    job.done.set_result(result)

    def _store_group(
        self, group: list[_StoreJob], cheap: list[poll_store.PollOutcome]
    ) -> list[poll_store.PollOutcome | Exception]:
        """One transaction for several feeds (see :meth:`_store_all` for the savepoints).

        A feed's articles and its new validators are committed together; a feed that fails is rolled back
        alone and reported as its error. The outcomes of the feeds that were stored
        (validators, next poll, poll log) are written after the savepoints in one batch, in the same
        transaction: one statement per group instead of two per feed.
        """
        with self.db.transaction() as session:
            results = self._store_all(session, group)
            stored = [r for r in results if isinstance(r, poll_store.PollOutcome)]
            poll_store.record_polls(session, [*stored, *cheap])
        return results

    def _store_all(
        self, session: Session, group: list[_StoreJob]
    ) -> list[poll_store.PollOutcome | Exception]:
        # Optimistic: the whole group under one savepoint (two statements per feed fewer). A feed that
        # fails undoes it, and the group is stored again feed by feed, each under its own savepoint,
        # so that only the failing feed is lost (to its recorded error).
        if len(group) > 1:
            try:
                with session.begin_nested():
                    return [self._store(session, job) for job in group]
            except Exception:
                log.info("a feed of a group of %d failed to store; storing them one by one", len(group))
        results: list[poll_store.PollOutcome | Exception] = []
        for job in group:
            try:
                with session.begin_nested():
                    results.append(self._store(session, job))
            except Exception as exc:
                log.exception("storing %s failed", job.feed.url, extra={"feed": job.feed.url})
                results.append(exc)
        return results

    def _store(self, session: Session, job: _StoreJob) -> poll_store.PollOutcome:
        feed, outcome = job.feed, job.outcome
        now = outcome.finished_at
        known = article_store.load_known(session, feed.id, job.parsed.entries)
        plan = decide.plan_entries(job.parsed.entries, known)
        verdicts = self._classify([*plan.new, *plan.changed], feed, job.verdicts)
        applied = article_store.apply_plan(session, feed.id, plan, now, verdicts)
        outcome.new_articles = len(applied.new_ids)
        outcome.updated_articles = len(applied.changed_ids)
        return outcome

    def _classify(
        self, actions: list[decide.EntryAction], feed: poll_store.DueFeed, scored: Mapping[str, Verdict]
    ) -> dict[int, Verdict]:
        """Verdicts by ``id(action)``: the worker's where it scored the same text, ours for the rest."""
        if self.classifier is None or not actions:
            return {}
        found = {id(a): scored[a.entry.content_hash] for a in actions if a.entry.content_hash in scored}
        missing = [a for a in actions if id(a) not in found]
        if not missing:
            return found
        try:
            verdicts = self.classifier.classify(
                [classify_text(a.entry.title, a.entry.summary) for a in missing]
            )
        except Exception:
            # Stored unclassified ("queued") rather than lost: a broken model must not stop ingestion.
            log.exception("classifier failed; articles stay queued", extra={"feed": feed.url})
            return found
        if len(verdicts) != len(missing):
            log.error(
                "classifier returned %d verdicts for %d items; articles stay queued",
                len(verdicts),
                len(missing),
            )
            return found
        found.update((id(a), v) for a, v in zip(missing, verdicts, strict=True))
        return found
