"""A large polling round shared between worker processes: they fetch, parse and score; the pipeline stores.

    plan = plan_round(feeds, workers, per_host)             # pure: which workers may poll which host
    await ShardPool(settings, plan, now, model, concurrency).run(handle)
        # handle(FeedDone) is awaited once per feed, as each finishes (storing it, in the pipeline)

Why processes: fetching (httpx), parsing (feedparser) and scoring are all Python and hold one
interpreter lock per process; in one process a round over a thousand feeds used one CPU however many
the machine had. Each worker runs its own event loop, :class:`~monitor.fetch.Fetcher` and parse thread
(:func:`monitor.fetch_parse.fetch_and_parse`) and sends one result per feed down its own pipe; the
pipeline's process only stores (one writer, as before).

Feeds are handed out as the round goes (:class:`monitor.round_plan.Dispatcher`): each worker holds a
few more than it fetches at once and gets one more down its lifeline pipe for each result it sends
back, so a worker that is faster (lighter feeds, more of the CPU, no hanging server) polls more of them
and the workers finish together. Limits still hold for the round as a whole: a host's feeds go to at most
``per_host`` workers and its per-host limit is divided between them; the global limit is divided
between the workers.

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
parsing, if any, is reported as the cause (``parse_crash``); the feeds it had been given and not
finished go to a new worker in its place, at most :data:`MAX_RESTARTS` times per place, then they are
reported as ``worker_crash`` (with the feeds of hosts no other worker may poll). Nothing is stored by a
worker, so a dead one loses no data: its feeds keep their validators and are fetched again. Workers
ignore SIGINT (the pipeline decides when a round ends) and exit as soon as the pipeline's process is
gone (their lifeline pipe closes), so a killed round leaves no fetchers behind.
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

from monitor.fetch import Fetcher
from monitor.fetch_parse import Failure, FeedDone, poll_all
from monitor.records import DueFeed, FetchLimits, ModelSpec
from monitor.round_plan import Dispatcher, RoundPlan

if TYPE_CHECKING:
    from monitor.config import Settings

log = logging.getLogger(__name__)

#: How often one share of a round is given to a new worker after its worker died.
MAX_RESTARTS = 3
_END = ("end",)


# --- in the worker process ------------------------------------------------------------------------------


def _watch(lifeline: Connection, loop: asyncio.AbstractEventLoop, feeds: asyncio.Queue[Any]) -> None:
    """Queue the feeds the pipeline hands out (lists of feeds, then None) for the event loop; exit with
    the pipeline."""

    def put(message: list[DueFeed] | None) -> None:
        for feed in message if message is not None else [None]:
            feeds.put_nowait(feed)

    with contextlib.suppress(EOFError, OSError):
        while True:
            loop.call_soon_threadsafe(put, lifeline.recv())
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


async def _poll_share(
    limits: FetchLimits,
    host_limits: dict[str, int],
    now: dt.datetime,
    model: ModelSpec | None,
    concurrency: int,
    outbox: queue.SimpleQueue[Any],
    marker: Any,
    lifeline: Connection,
) -> None:
    loop = asyncio.get_running_loop()
    feeds: asyncio.Queue[DueFeed | None] = asyncio.Queue()
    threading.Thread(target=_watch, args=(lifeline, loop, feeds), name="lifeline", daemon=True).start()

    async def next_feed() -> DueFeed | None:
        feed = await feeds.get()
        if feed is None:
            feeds.put_nowait(None)  # the end, for the other fetch slots too
        return feed

    def parsing(feed_id: int | None) -> None:
        # Shared memory, read by the pipeline only if this process dies: no message per feed.
        marker.value = feed_id or 0

    async def send(_feed: DueFeed, done: FeedDone) -> None:
        # Resolved once the sender thread has passed it on: only then is the feed's slot free, so a
        # pipeline that falls behind (and stops reading) stops the fetching too.
        sent = loop.create_future()
        outbox.put((done, (loop, sent)))
        await sent

    async with Fetcher(limits, concurrency=concurrency, host_limits=host_limits) as fetcher:
        await poll_all(
            fetcher,
            next_feed,
            concurrency=concurrency,
            clock=lambda: now,
            deliver=send,
            model=model,
            on_parsing=parsing,
        )


def worker_main(
    limits: FetchLimits,
    host_limits: dict[str, int],
    now: dt.datetime,
    model: ModelSpec | None,
    concurrency: int,
    conn: Connection,
    lifeline: Connection,
    marker: Any,
    inherited: Sequence[Connection] = (),
) -> None:
    """Entry point of a worker process: poll the feeds the pipeline sends down ``lifeline`` (lists of
    feeds, then None), send a FeedDone per feed, then ``("end",)``.

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
    outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(conn, outbox), name="sender")
    sender.start()
    try:
        asyncio.run(_poll_share(limits, host_limits, now, model, concurrency, outbox, marker, lifeline))
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
    slot: int
    restarts: int
    process: multiprocessing.process.BaseProcess
    conn: Connection
    lifeline: Connection  #: the pipeline writes the feeds it hands out here
    marker: Any  #: shared with the worker: the id of the feed it is parsing, 0 when none
    #: Feeds handed to it and not yet done, by id.
    pending: dict[int, DueFeed] = field(default_factory=dict)
    input_closed: bool = False  #: told that no more feeds will come
    ended: bool = False

    @property
    def parsing(self) -> int | None:
        return int(self.marker.value) or None


class ShardPool:
    """Runs a round's plan in worker processes; ``await pool.run(handle)`` calls ``handle`` once per feed.

    At most ``backlog`` results wait for their ``handle`` to finish (storing them, typically): past that
    the pool stops reading, so no new feeds are handed out and the workers' sends block, and memory
    stays bounded however far the store falls behind.
    """

    def __init__(
        self,
        settings: Settings,
        plan: RoundPlan,
        now: dt.datetime,
        model: ModelSpec | None,
        concurrency: int,
        backlog: int = 100,
    ) -> None:
        self.limits = FetchLimits.of(settings)
        self.plan = plan
        self.dispatcher = Dispatcher(plan)
        self.now = now
        self.model = model
        # Each worker's share of the global limit, and how many feeds it holds at most: a few more than
        # it fetches at once, topped up one for one. Little more: a worker whose host slots are held
        # by hanging servers would sit on feeds the others could poll meanwhile.
        self.concurrency = max(1, -(-concurrency // max(1, len(plan.slots))))
        self.window = self.concurrency + 4
        self._backlog = threading.BoundedSemaphore(max(1, backlog))
        self._live: set[_Worker] = set()
        self._started: list[_Worker] = []
        #: How the first workers were started ("fork" or "spawn"), once :meth:`start` has run.
        self.start_method: str | None = None

    def start(self) -> None:
        """Start one worker per slot of the plan now; :meth:`run` does it itself if this was not called.

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
            for slot in range(len(self.plan.slots)):
                self._started.append(self._launch(ctx, slot, 0))
        finally:
            if frozen:
                gc.unfreeze()
        # The first feeds are dealt one at a time around the workers, so that a small round is shared
        # between them too instead of filling the first one's window.
        for _ in range(self.window):
            for worker in self._started:
                self._hand_out(worker, 1)

    def _launch(self, ctx: Any, slot: int, restarts: int) -> _Worker:
        receive, send = ctx.Pipe(duplex=False)
        give, keep = ctx.Pipe(duplex=False)  # the lifeline: the worker gets the receiving end
        # A forked child holds copies of the pipeline's ends of its own pipes and of the workers started
        # before it: its lifeline would never close while it holds the other end itself.
        inherited = []
        if ctx is _FORK:
            inherited = [receive, keep, *(e for w in self._started for e in (w.conn, w.lifeline))]
        marker = ctx.RawValue("q", 0)
        limits = self.plan.slots[slot].host_limits
        args = (self.limits, limits, self.now, self.model, self.concurrency, send, give, marker, inherited)
        process = ctx.Process(target=worker_main, args=args, name="monitor-poll-worker", daemon=True)
        process.start()
        send.close()
        give.close()
        return _Worker(slot, restarts, process, receive, keep, marker)

    def _hand_out(self, worker: _Worker, n: int) -> None:
        """Give ``worker`` up to ``n`` more feeds (those its host shares allow), or tell it that none will
        come."""
        if worker.input_closed:
            return
        feeds = self.dispatcher.take(worker.slot, n) if n > 0 else []
        worker.pending.update((f.id, f) for f in feeds)
        try:
            if feeds:
                worker.lifeline.send(feeds)
            if self.dispatcher.exhausted(worker.slot):
                worker.lifeline.send(None)
                worker.input_closed = True
        except OSError:  # it died: its exit is handled when its pipe closes
            worker.input_closed = True

    def _read_in_thread(self, worker: _Worker, inbox: Callable[[_Worker, Any], None]) -> _Worker:
        threading.Thread(target=self._read, args=(worker, inbox), name="shard-reader", daemon=True).start()
        return worker

    def _restart(self, slot: int, restarts: int, inbox: Callable[[_Worker, Any], None]) -> _Worker:
        # Threads run by now (the readers at least), so a new worker is spawned, never forked.
        worker = self._launch(_SPAWN, slot, restarts)
        self._hand_out(worker, self.window)
        return self._read_in_thread(worker, inbox)

    def _read(self, worker: _Worker, inbox: Callable[[_Worker, Any], None]) -> None:
        while True:
            self._backlog.acquire()
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                self._backlog.release()
                break
            except Exception as exc:  # a half-written message from a worker that died mid-send
                self._backlog.release()
                log.error("unreadable message from a poll worker: %s", exc)
                break
            if not isinstance(message, FeedDone):
                self._backlog.release()
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
                    self._backlog.release()

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
                    finished = worker.pending.pop(message.feed_id, None)
                    if finished is not None:
                        self.dispatcher.done(worker.slot, finished)
                    self._hand_out(worker, self.window - len(worker.pending))
                    deliver(message, True)
                elif message == _END:
                    worker.ended = True
                elif message[0] == "exit":
                    live.discard(worker)
                    worker.conn.close()
                    worker.lifeline.close()
                    for done in self._after_exit(worker, message[1]):
                        deliver(done, False)
                    if not worker.pending and worker.ended:
                        continue
                    if worker.restarts < MAX_RESTARTS:
                        self.dispatcher.give_back(worker.slot, worker.pending.values())
                        live.add(self._restart(worker.slot, worker.restarts + 1, inbox))
                        continue
                    rest = self.dispatcher.abandon(worker.slot, {w.slot for w in live})
                    lost = [*worker.pending.values(), *rest]
                    reason = f"the poll worker died {worker.restarts + 1} times before this feed was done"
                    for feed in lost:
                        deliver(FeedDone(feed.id, 0.0, failure=Failure("worker_crash", reason)), False)
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

    def _after_exit(self, worker: _Worker, code: int | None) -> list[FeedDone]:
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
        self.dispatcher.done(worker.slot, worker.pending.pop(parsing))
        message = f"the parser process died (exit status {code}) on this document"
        return [FeedDone(parsing, 0.0, failure=Failure("parse_crash", message, parse=True))]
