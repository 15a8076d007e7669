"""Who polls which feed in a round shared between worker processes: the plan, and the dispatcher that
hands feeds out as the workers ask for them. Pure bookkeeping: no processes, no network.

    plan = plan_round(feeds, workers, per_host)      # each host on at most per_host workers, its limit
                                                     # divided between them
    dispatcher = Dispatcher(plan)
    dispatcher.take(slot, n)                         # up to n feeds for worker slot ``slot``

Feeds are not split between workers up front: each host's feeds go into a *lane* shared by the workers
allowed to poll that host, and a worker takes from its lanes as it finishes feeds. A worker that gets
the lighter feeds, or more of the CPU, simply takes more, so all of them finish together instead of
one working alone at the end. Within a lane, hosts take turns (one feed of each host, then the next),
so that a host's per-host limit does not hold up the feeds of the others.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain

from monitor.fetch import host_key
from monitor.records import DueFeed


@dataclass
class Slot:
    """One worker's place in the round (a replacement for a dead worker takes the same slot)."""

    #: This worker's share of each of its hosts' per-host limit.
    host_limits: dict[str, int] = field(default_factory=dict)
    #: The lanes it takes feeds from: its own first, then those it shares with other workers.
    lanes: list[int] = field(default_factory=list)


@dataclass
class RoundPlan:
    feeds: list[DueFeed]
    lanes: list[list[DueFeed]]
    slots: list[Slot]


def plan_round(feeds: Sequence[DueFeed], workers: int, per_host: int) -> RoundPlan:
    """Place every host on at most ``min(workers, per_host)`` workers (the least loaded ones, hosts with
    the most feeds first) and divide its per-host limit between them (the shares add up to ``per_host``).
    Workers that got no host are left out."""
    workers = max(1, workers)
    by_host: dict[str, list[DueFeed]] = {}
    for feed in feeds:
        by_host.setdefault(host_key(feed.fetch_url), []).append(feed)
    load = [0.0] * workers
    limits: list[dict[str, int]] = [{} for _ in range(workers)]
    lanes: dict[frozenset[int], list[list[DueFeed]]] = {}
    for host, group in sorted(by_host.items(), key=lambda item: (-len(item[1]), item[0])):
        spread = max(1, min(workers, per_host, len(group)))
        chosen = sorted(range(workers), key=lambda i: (load[i], i))[:spread]
        share, extra = divmod(max(1, per_host), spread)
        for n, i in enumerate(chosen):
            limits[i][host] = max(1, share + (1 if n < extra else 0))
            load[i] += len(group) / spread
        lanes.setdefault(frozenset(chosen), []).append(group)
    used = sorted({i for holders in lanes for i in holders})
    renumber = {old: new for new, old in enumerate(used)}
    keys = sorted(lanes, key=lambda holders: (len(holders), sorted(holders)))  # exclusive lanes first
    slots = [Slot(host_limits=limits[old]) for old in used]
    for number, holders in enumerate(keys):
        for old in sorted(holders):
            slots[renumber[old]].lanes.append(number)
    return RoundPlan(list(feeds), [list(chain.from_iterable(lanes[k])) for k in keys], slots)


class _Lane:
    """The feeds of a lane, host by host; hosts take turns."""

    def __init__(self, feeds: Iterable[DueFeed]) -> None:
        self.hosts: dict[str, deque[DueFeed]] = {}
        for feed in feeds:
            self.hosts.setdefault(host_key(feed.fetch_url), deque()).append(feed)
        self.turns = deque(self.hosts)  # hosts with feeds left, next one first

    def take(self, room: Callable[[str], bool]) -> DueFeed | None:
        """The next feed of the first host in turn that ``room(host)`` allows, or None."""
        for _ in range(len(self.turns)):
            host = self.turns[0]
            self.turns.rotate(-1)
            if room(host):
                waiting = self.hosts[host]
                feed = waiting.popleft()
                if not waiting:
                    self.turns.pop()  # the host just moved to the end of the turns
                return feed
        return None

    def drain(self) -> list[DueFeed]:
        rest = [f for host in self.turns for f in self.hosts[host]]
        self.turns.clear()
        return rest


class Dispatcher:
    """Hands out a plan's feeds: each feed once, to a slot allowed to poll its host, and never more of a
    host's feeds at a time than that slot's share of the host's limit (a worker holding more would only
    keep them waiting, while another could poll them: a hanging server holds up none but its own)."""

    def __init__(self, plan: RoundPlan) -> None:
        self.plan = plan
        self._lanes = [_Lane(lane) for lane in plan.lanes]
        self._returned: list[deque[DueFeed]] = [deque() for _ in plan.slots]
        self._held: list[Counter[str]] = [Counter() for _ in plan.slots]

    def take(self, slot: int, n: int) -> list[DueFeed]:
        """Up to ``n`` feeds for ``slot``: those given back for it first, then from its lanes in order.
        Fewer (even none) when its hosts' shares are in use: ask again when a feed is :meth:`done`."""
        out: list[DueFeed] = []
        held, limits = self._held[slot], self.plan.slots[slot].host_limits
        returned = self._returned[slot]
        while returned and len(out) < n:
            out.append(returned.popleft())
            held[host_key(out[-1].fetch_url)] += 1
        for i in self.plan.slots[slot].lanes:
            while len(out) < n and (feed := self._lanes[i].take(lambda h: held[h] < limits[h])) is not None:
                out.append(feed)
                held[host_key(feed.fetch_url)] += 1
        return out

    def done(self, slot: int, feed: DueFeed) -> None:
        """``slot`` finished ``feed`` (or lost it): its share of the host is free again."""
        self._held[slot][host_key(feed.fetch_url)] -= 1

    def exhausted(self, slot: int) -> bool:
        """Nothing is left that ``slot`` may poll, now or later (unless feeds are given back to it)."""
        lanes = self.plan.slots[slot].lanes
        return not self._returned[slot] and not any(self._lanes[i].turns for i in lanes)

    def give_back(self, slot: int, feeds: Iterable[DueFeed]) -> None:
        """Feeds a dead worker did not finish: the worker that replaces it takes them first."""
        for feed in feeds:
            self.done(slot, feed)
            self._returned[slot].append(feed)

    def abandon(self, slot: int, live: Iterable[int]) -> list[DueFeed]:
        """``slot`` will get no new worker: its given-back feeds, and what is left of the lanes that no
        live slot can take from, are returned (to be reported as failed)."""
        out = list(self._returned[slot])
        self._returned[slot].clear()
        others = {lane for s in live if s != slot for lane in self.plan.slots[s].lanes}
        for lane in self.plan.slots[slot].lanes:
            if lane not in others:
                out.extend(self._lanes[lane].drain())
        return out
