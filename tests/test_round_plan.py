"""Planning a round shared between workers (monitor.round_plan): every host within its limit across the
workers, every feed handed out once, hosts taking turns, and what a dead worker leaves behind."""

from __future__ import annotations

from monitor.records import DueFeed
from monitor.round_plan import Dispatcher, plan_round


def due(i: int, url: str) -> DueFeed:
    return DueFeed(i, url, None, None, None, None, 0, "", "")


def mixed() -> list[DueFeed]:
    feeds = [due(i, f"https://a.example.org/{i}") for i in range(10)]
    feeds += [due(100 + i, f"https://b.example.org/{i}") for i in range(3)]
    feeds.append(due(200, "https://c.example.org/feed"))
    return feeds


def drain(dispatcher: Dispatcher, slot: int) -> list[DueFeed]:
    """Everything ``slot`` gets when it finishes each batch before asking again."""
    out = []
    while batch := dispatcher.take(slot, 3):
        out += batch
        for feed in batch:
            dispatcher.done(slot, feed)
    assert dispatcher.exhausted(slot)
    return out


def test_each_host_stays_within_its_limit_across_workers() -> None:
    plan = plan_round(mixed(), workers=2, per_host=3)
    assert len(plan.slots) == 2
    for host in ("a.example.org", "b.example.org", "c.example.org"):
        assert sum(s.host_limits.get(host, 0) for s in plan.slots) <= 3
    # A worker may take a feed only from a lane of hosts it holds a share of the limit for.
    for slot in plan.slots:
        for lane in slot.lanes:
            assert all(f.fetch_url.split("/")[2] in slot.host_limits for f in plan.lanes[lane])


def test_a_host_with_limit_one_stays_with_one_worker() -> None:
    feeds = [due(i, f"https://a.example.org/{i}") for i in range(6)]
    feeds += [due(10 + i, f"https://{i}.example.net/") for i in range(6)]
    plan = plan_round(feeds, workers=3, per_host=1)
    holders = [s for s in plan.slots if "a.example.org" in s.host_limits]
    assert len(holders) == 1 and holders[0].host_limits["a.example.org"] == 1
    assert len(plan.slots) == 3


def test_every_feed_is_handed_out_once_whoever_asks() -> None:
    feeds = mixed()
    dispatcher = Dispatcher(plan_round(feeds, workers=2, per_host=3))
    taken = []
    for _ in range(20):  # the workers ask in turns and finish what they got
        for slot, n in ((0, 2), (1, 1)):
            batch = dispatcher.take(slot, n)
            taken += batch
            for feed in batch:
                dispatcher.done(slot, feed)
    assert sorted(f.id for f in taken) == sorted(f.id for f in feeds)
    assert dispatcher.exhausted(0) and dispatcher.exhausted(1)


def test_a_faster_worker_takes_more_of_a_shared_lane() -> None:
    feeds = [due(i, f"https://a.example.org/{i}") for i in range(30)]
    dispatcher = Dispatcher(plan_round(feeds, workers=2, per_host=4))
    fast = []
    for _ in range(3):  # it finishes its feeds three times while the other is still busy
        batch = dispatcher.take(0, 3)
        fast += batch
        for feed in batch:
            dispatcher.done(0, feed)
    slow = dispatcher.take(1, 3)
    assert len(fast) == 6 and len(slow) == 2  # each holds at most its share (2) of the host's limit
    assert len(drain(dispatcher, 0)) == 22
    assert dispatcher.exhausted(1) and not dispatcher.take(1, 3)


def test_a_worker_holds_no_more_of_a_host_than_its_share_of_the_limit() -> None:
    # A hanging server keeps its worker's share busy; its other feeds stay free for the others.
    feeds = [due(i, f"https://slow.example.org/{i}") for i in range(6)]
    feeds += [due(10 + i, f"https://fast.example.org/{i}") for i in range(6)]
    dispatcher = Dispatcher(plan_round(feeds, workers=2, per_host=2))
    first = dispatcher.take(0, 10)
    assert sorted(f.fetch_url.split("/")[2] for f in first) == ["fast.example.org", "slow.example.org"]
    assert dispatcher.take(0, 10) == []  # both its shares in use
    second = dispatcher.take(1, 10)
    assert len(second) == 2 and not dispatcher.exhausted(0)


def test_hosts_take_turns_within_a_lane() -> None:
    feeds = [due(i, f"https://a.example.org/{i}") for i in range(3)]
    feeds += [due(10 + i, f"https://b.example.org/{i}") for i in range(3)]
    dispatcher = Dispatcher(plan_round(feeds, workers=1, per_host=3))
    hosts = [f.fetch_url.split("/")[2][0] for f in dispatcher.take(0, 6)]
    assert hosts == ["a", "b", "a", "b", "a", "b"]


def test_a_workers_own_hosts_come_before_shared_ones() -> None:
    feeds = [due(i, f"https://shared.example.org/{i}") for i in range(4)]
    feeds += [due(10, "https://only.example.org/feed")]
    plan = plan_round(feeds, workers=2, per_host=2)
    owner = next(i for i, s in enumerate(plan.slots) if "only.example.org" in s.host_limits)
    first = Dispatcher(plan).take(owner, 1)
    assert [f.id for f in first] == [10]


def test_what_a_dead_worker_leaves_goes_to_its_replacement_or_is_abandoned() -> None:
    feeds = [due(i, f"https://shared.example.org/{i}") for i in range(6)]
    feeds += [due(10 + i, f"https://only{i}.example.org/feed") for i in range(3)]
    plan = plan_round(feeds, workers=2, per_host=2)
    # The shared host goes to both workers; the one-feed hosts to one each, turn about: 10, 12 | 11.
    owner = next(i for i, s in enumerate(plan.slots) if "only0.example.org" in s.host_limits)
    other = 1 - owner
    dispatcher = Dispatcher(plan)
    given = dispatcher.take(owner, 1)
    assert [f.id for f in given] == [10]  # its own hosts first
    dispatcher.give_back(owner, given)  # it died before finishing it
    assert dispatcher.take(owner, 1) == given  # its replacement gets it first
    dispatcher.give_back(owner, given)
    # No replacement this time: what only it could poll is abandoned, the shared lane stays for the other.
    lost = dispatcher.abandon(owner, live={other})
    assert {f.id for f in lost} == {10, 12}
    assert {f.id for f in drain(dispatcher, other)} == {*range(6), 11}
