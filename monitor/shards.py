"""A large polling round split over worker processes: they fetch, parse and score; the pipeline stores.

    shards = plan_shards(feeds, workers, per_host)          # pure: which worker polls which feeds
    await ShardPool(settings, shards, now, model, concurrency).run(handle)
        # handle(FeedDone) is awaited once per feed, as each finishes (storing it, in the pipeline)

Why processes: fetching (httpx), parsing (feedparser) and scoring are all Python and hold one
interpreter lock per process; in one process a round over a thousand feeds used one CPU however many
the machine had. Each worker runs its own event loop, :class:`~monitor.fetch.Fetcher` and parse thread
(:func:`monitor.fetch_parse.fetch_and_parse`) and sends one result per feed down its own pipe; the
pipeline's process only stores (one writer, as before).

Limits still hold for the round as a whole: a host's feeds go to at most ``per_host`` workers and its
per-host limit is divided between them; the global limit is divided between the workers.

Starting: workers are forked when the calling process runs no other thread (``monitor poll --once``
and a job process at the start of a round): a forked worker starts in milliseconds with the modules
already imported, where a spawned one takes a fifth of a second of CPU to import them again, which
decided how fast a round of unchanged (304) feeds could be. Before forking, ``gc.freeze()`` keeps
the children's collector away from what they inherited (the database engine and its connections
among it: a child never touches them, not even to close them), and each child closes the pipeline's
pipe ends it inherited (its own and its siblings'), so that its lifeline closes when the pipeline
dies. With other threads running (the pool started from a thread, tests with an in-process server,
restarts during a round) fork is unsafe, and workers are spawned instead.

Faults: a worker that dies (killed, out of memory) is noticed when its pipe closes. The feed it was
parsing, if any, is reported as the cause (``parse_crash``); the feeds it had not finished go to a new
worker, at most :data:`MAX_RESTARTS` times per share, then they are reported as ``worker_crash``.
Nothing is stored by a worker, so a dead one loses no data: its feeds keep their validators and are
fetched again. Workers ignore SIGINT (the pipeline decides when a round ends) and exit as soon as the
pipeline's process is gone (their lifeline pipe closes), so a killed round leaves no fetchers behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from monitor.fetch import Fetcher, host_key
from monitor.fetch_parse import Failure, FeedDone, poll_all
from monitor.records import DueFeed, FetchLimits, ModelSpec

if TYPE_CHECKING:
    from monitor.config import Settings

log = logging.getLogger(__name__)

#: How often one share of a round is given to a new worker after its worker died.
MAX_RESTARTS = 3
_END = ("end",)


@dataclass
class Shard:
    feeds: list[DueFeed] = field(default_factory=list)
    #: This worker's share of each host's per-host limit.
    host_limits: dict[str, int] = field(default_factory=dict)


def plan_shards(feeds: Sequence[DueFeed], workers: int, per_host: int) -> list[Shard]:
    """Share ``feeds`` between at most ``workers`` workers, keeping every host within ``per_host``.

    Hosts with the most feeds are placed first, each on the least-loaded workers; a host is spread over
    at most ``per_host`` workers and its limit divided between them (the shares add up to ``per_host``).
    """
    workers = max(1, workers)
    by_host: dict[str, list[DueFeed]] = {}
    for feed in feeds:
        by_host.setdefault(host_key(feed.fetch_url), []).append(feed)
    shards = [Shard() for _ in range(workers)]
    for host, group in sorted(by_host.items(), key=lambda item: (-len(item[1]), item[0])):
        spread = max(1, min(workers, per_host, len(group)))
        chosen = sorted(range(workers), key=lambda i: (len(shards[i].feeds), i))[:spread]
        share, extra = divmod(max(1, per_host), spread)
        for n, i in enumerate(chosen):
            shards[i].host_limits[host] = max(1, share + (1 if n < extra else 0))
        for n, feed in enumerate(group):
            shards[chosen[n % spread]].feeds.append(feed)
    return [shard for shard in shards if shard.feeds]


# --- in the worker process ------------------------------------------------------------------------------


def _watch(lifeline: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv()  # nothing is ever sent: this returns only when the pipeline's end closes
    os._exit(1)  # the pipeline is gone: nobody would store what we fetch


def _send_all(conn: Connection, outbox: queue.SimpleQueue[Any]) -> None:
    """Send what the event loop queued; resolve its future once sent (that frees its in-flight slot)."""
    while (item := outbox.get()) is not None:
        message, sent = item
        try:
            conn.send(message)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            os._exit(1)
        except Exception as exc:  # an unpicklable result: report the feed instead of losing it
            if not isinstance(message, FeedDone):
                raise
            failure = Failure("internal", f"result could not be passed on: {type(exc).__name__}: {exc}")
            conn.send(FeedDone(message.feed_id, message.seconds, failure=failure))
        if sent is not None:
            loop, future = sent
            loop.call_soon_threadsafe(future.set_result, None)


async def _poll_shard(
    limits: FetchLimits,
    shard: Shard,
    now: dt.datetime,
    model: ModelSpec | None,
    concurrency: int,
    outbox: queue.SimpleQueue[Any],
    marker: Any,
) -> None:
    loop = asyncio.get_running_loop()

    def parsing(feed_id: int | None) -> None:
        # Shared memory, read by the pipeline only if this process dies: no message per feed.
        marker.value = feed_id or 0

    async def send(_feed: DueFeed, done: FeedDone) -> None:
        # Resolved once the sender thread has passed it on: only then is the feed's slot free, so a
        # pipeline that falls behind (and stops reading) stops the fetching too.
        sent = loop.create_future()
        outbox.put((done, (loop, sent)))
        await sent

    async with Fetcher(limits, concurrency=concurrency, host_limits=shard.host_limits) as fetcher:
        await poll_all(
            fetcher,
            shard.feeds,
            concurrency=concurrency,
            clock=lambda: now,
            deliver=send,
            model=model,
            on_parsing=parsing,
        )


def worker_main(
    limits: FetchLimits,
    shard: Shard,
    now: dt.datetime,
    model: ModelSpec | None,
    concurrency: int,
    conn: Connection,
    lifeline: Connection,
    marker: Any,
    inherited: Sequence[Connection] = (),
) -> None:
    """Entry point of a worker process: poll ``shard`` and send a FeedDone per feed, then ``("end",)``.

    ``marker``: a shared integer holding the id of the feed being parsed (0: none), for the pipeline to
    blame if this process dies.

    ``inherited``: the pipeline's ends of this worker's pipes and of its siblings', which a forked worker
    holds copies of; they are closed first, or the lifeline would never close, nor would a sibling's
    pipe when that sibling dies.
    """
    for other in inherited:
        other.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherits the parent's handlers
    threading.Thread(target=_watch, args=(lifeline,), name="lifeline", daemon=True).start()
    outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(conn, outbox), name="sender")
    sender.start()
    try:
        asyncio.run(_poll_shard(limits, shard, now, model, concurrency, outbox, marker))
        outbox.put((_END, None))
    finally:
        outbox.put(None)
        sender.join()
        conn.close()


# --- in the pipeline's process -------------------------------------------------------------------------

_SPAWN = multiprocessing.get_context("spawn")
_FORK = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def fork_or_spawn() -> str:
    """ "fork" when it is safe here (a platform with fork, no other thread in this process), else "spawn".

    spawn rather than a fork server otherwise: a fork server would add two resident helper processes
    (its own and the resource tracker) for little gain.
    """
    return "fork" if _FORK is not None and threading.active_count() == 1 else "spawn"


@dataclass(eq=False)
class _Worker:
    shard: Shard
    restarts: int
    process: multiprocessing.process.BaseProcess
    conn: Connection
    lifeline: Connection
    pending: set[int]
    marker: Any  #: shared with the worker: the id of the feed it is parsing, 0 when none
    ended: bool = False

    @property
    def parsing(self) -> int | None:
        return int(self.marker.value) or None


class ShardPool:
    """Runs the shards in worker processes; ``await pool.run(handle)`` calls ``handle`` once per feed.

    At most ``backlog`` results wait for their ``handle`` to finish (storing them, typically): past that
    the pool stops reading, the workers' sends block and their fetching stops, so memory stays bounded
    however far the store falls behind.
    """

    def __init__(
        self,
        settings: Settings,
        shards: Sequence[Shard],
        now: dt.datetime,
        model: ModelSpec | None,
        concurrency: int,
        backlog: int = 100,
    ) -> None:
        self.limits = FetchLimits.of(settings)
        self.shards = list(shards)
        self.now = now
        self.model = model
        # Each worker's share of the global limit.
        self.concurrency = max(1, -(-concurrency // max(1, len(self.shards))))
        self._slots = threading.BoundedSemaphore(max(1, backlog))
        self._live: set[_Worker] = set()
        self._started: list[_Worker] = []
        #: How the first workers were started ("fork" or "spawn"), once :meth:`start` has run.
        self.start_method: str | None = None

    def start(self) -> None:
        """Start one worker per shard now; :meth:`run` does it itself if this was not called.

        Call it before starting threads (before the event loop runs the round, typically) so that the
        workers can be forked; see the module docstring.
        """
        if self.start_method is not None:
            return
        self.start_method = fork_or_spawn()
        ctx = multiprocessing.get_context(self.start_method)
        frozen = self.start_method == "fork"
        if frozen:
            gc.freeze()
        try:
            for shard in self.shards:
                self._started.append(self._launch(ctx, shard, 0))
        finally:
            if frozen:
                gc.unfreeze()

    def _launch(self, ctx: Any, shard: Shard, restarts: int) -> _Worker:
        receive, send = ctx.Pipe(duplex=False)
        give, keep = ctx.Pipe(duplex=False)  # the lifeline: the worker gets the receiving end
        # A forked child holds copies of the pipeline's ends of its own pipes and of the workers started
        # before it: its lifeline would never close while it holds the other end itself.
        inherited = []
        if ctx is _FORK:
            inherited = [receive, keep, *(e for w in self._started for e in (w.conn, w.lifeline))]
        marker = ctx.RawValue("q", 0)
        process = ctx.Process(
            target=worker_main,
            args=(self.limits, shard, self.now, self.model, self.concurrency, send, give, marker, inherited),
            name="monitor-poll-worker",
            daemon=True,
        )
        process.start()
        send.close()
        give.close()
        return _Worker(shard, restarts, process, receive, keep, {f.id for f in shard.feeds}, marker)

    def _read_in_thread(self, worker: _Worker, inbox: Callable[[_Worker, Any], None]) -> _Worker:
        threading.Thread(target=self._read, args=(worker, inbox), name="shard-reader", daemon=True).start()
        return worker

    def _restart(self, shard: Shard, restarts: int, inbox: Callable[[_Worker, Any], None]) -> _Worker:
        # Threads run by now (the readers at least), so a new worker is spawned, never forked.
        return self._read_in_thread(self._launch(_SPAWN, shard, restarts), inbox)

    def _read(self, worker: _Worker, inbox: Callable[[_Worker, Any], None]) -> None:
        while True:
            self._slots.acquire()
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                self._slots.release()
                break
            except Exception as exc:  # a half-written message from a worker that died mid-send
                self._slots.release()
                log.error("unreadable message from a poll worker: %s", exc)
                break
            if not isinstance(message, FeedDone):
                self._slots.release()
            inbox(worker, message)
        worker.process.join()
        inbox(worker, ("exit", worker.process.exitcode))

    async def run(self, handle: Callable[[FeedDone], Awaitable[None]]) -> None:
        loop = asyncio.get_running_loop()
        messages: asyncio.Queue[tuple[_Worker, Any]] = asyncio.Queue()
        tasks: set[asyncio.Task[None]] = set()

        def inbox(worker: _Worker, message: Any) -> None:
            loop.call_soon_threadsafe(messages.put_nowait, (worker, message))

        async def settle(done: FeedDone, slot: bool) -> None:
            try:
                await handle(done)
            except Exception:  # a bug in storing one feed must not end the round for the others
                log.exception("handling the result of feed %s failed", done.feed_id)
            finally:
                if slot:
                    self._slots.release()

        def deliver(done: FeedDone, slot: bool) -> None:
            task = asyncio.create_task(settle(done, slot))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        self.start()
        live = self._live
        live.update(self._read_in_thread(worker, inbox) for worker in self._started)
        try:
            while live:
                worker, message = await messages.get()
                if isinstance(message, FeedDone):
                    worker.pending.discard(message.feed_id)
                    deliver(message, True)
                elif message == _END:
                    worker.ended = True
                elif message[0] == "exit":
                    live.discard(worker)
                    worker.conn.close()
                    worker.lifeline.close()
                    for done in self._after_exit(worker, message[1]):
                        deliver(done, False)
                    if worker.pending and worker.restarts < MAX_RESTARTS:
                        rest = [f for f in worker.shard.feeds if f.id in worker.pending]
                        again = Shard(rest, worker.shard.host_limits)
                        live.add(self._restart(again, worker.restarts + 1, inbox))
                    else:
                        reason = f"the poll worker died {worker.restarts + 1} times before this feed was done"
                        for feed_id in sorted(worker.pending):
                            deliver(FeedDone(feed_id, 0.0, failure=Failure("worker_crash", reason)), False)
            while tasks:
                await asyncio.gather(*list(tasks))
        finally:
            for worker in {*live, *self._started}:  # stopped early: no fetcher outlives the round
                if worker.process.is_alive():
                    worker.process.kill()
                worker.lifeline.close()

    def state(self) -> list[tuple[int | None, int | None]]:
        """(process id, id of the feed it is parsing or None) of each running worker, for diagnostics."""
        return [(w.process.pid, w.parsing) for w in list(self._live)]

    @staticmethod
    def _after_exit(worker: _Worker, code: int | None) -> list[FeedDone]:
        if worker.ended and not worker.pending:
            return []
        log.error(
            "a poll worker ended with status %s with %d feeds not done; %s",
            code,
            len(worker.pending),
            "restarting them" if worker.restarts < MAX_RESTARTS else "giving up on them this round",
        )
        parsing = worker.parsing
        if parsing is None or parsing not in worker.pending:
            return []
        worker.pending.discard(parsing)
        message = f"the parser process died (exit status {code}) on this document"
        return [FeedDone(parsing, 0.0, failure=Failure("parse_crash", message, parse=True))]
