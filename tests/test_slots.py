"""A check waiting to retry gives its global slot back (check/slots.py): against the loopback test
web, and the slot accounting itself."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from archiver.check.fetch import FetchSettings, _Run, check_urls, make_client
from archiver.check.slots import Slots, Ticket
from tests.web import TestWeb


def unique(prefix: str) -> str:
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


def test_a_url_waiting_out_retry_after_lets_another_url_finish_first() -> None:
    """Concurrency 1: the 429 URL's Retry-After wait does not hold the only slot, and its host is
    not asked again before the wait is over (a second 429 would leave it rate-limited)."""
    settings = FetchSettings(allow_private=True, concurrency=1, probe_soft404=False, total_timeout=30)
    limited = unique("/ratelimit")

    async def go(web):
        urls = [web.url(limited + "?after=1"), web.url("/page/a"), web.url("/page/b", "other")]
        async with make_client(settings) as client:
            return [(r.url, r.status, time.monotonic()) async for r in check_urls(client, urls, settings)]

    with TestWeb() as web:
        started = time.monotonic()
        results = asyncio.run(go(web))
        hits = web.hits(limited)
        peaks = (web.peak_in_flight("main"), web.peak_in_flight("other"))
    assert [url.split("/", 3)[-1] for url, _, _ in results] == ["page/a", "page/b", limited[1:] + "?after=1"]
    assert {status for _, status, _ in results} == {"ok"}
    assert hits == 2  # the 429, then the 200: not asked again before its Retry-After
    assert results[-1][2] - started >= 1.0
    assert peaks == (1, 1)  # still one request at a time


def test_the_host_that_said_wait_stays_backed_off_while_its_url_waits() -> None:
    """The slot goes to another host's URL; the 429 host's adaptive limit has halved meanwhile."""
    settings = FetchSettings(allow_private=True, per_host=2, per_host_max=8, probe_soft404=False)
    limited = unique("/ratelimit")

    async def go(web):
        slots = Slots(1)
        async with make_client(settings) as client:
            run = _Run(client, settings, slots=slots)
            a, b = Ticket(), Ticket()
            await slots.take(a)
            waiting = asyncio.ensure_future(run.check(web.url(limited + "?after=1"), ticket=a))
            await slots.take(b)  # only once `a` gave its slot back for the wait
            other = await run.check(web.url("/page/x", "other"), ticket=b)
            mid = (waiting.done(), run.hosts.limit_of(web.url("/", "main").rstrip("/")))
            slots.give(b)
            first = await waiting
            await run.close()
        return first, other, mid, a.held

    with TestWeb() as web:
        first, other, (done_mid, limit_mid), held = asyncio.run(go(web))
        hits = web.hits(limited)
    assert other.status == "ok" and not done_mid  # another host's URL finished while it waited
    assert limit_mid == 1.0  # 2 halved by the 429 (and Retry-After)
    assert first.status == "ok" and hits == 2
    assert held  # it took a slot back for its retry


def test_waiting_for_a_slot_after_the_wait_does_not_count_against_the_url_time_limit() -> None:
    async def go():
        slots, a, b = Slots(1), Ticket(), Ticket()
        await slots.take(a)

        async def limited():
            async with asyncio.timeout(0.5) as timer:
                await slots.pause(a, 0.0, timer)
                return "resumed"

        task = asyncio.ensure_future(limited())
        await slots.take(b)  # a's slot, given back for its wait
        await asyncio.sleep(1.0)  # held twice as long as a's time limit
        slots.give(b)
        return await task, a.held

    assert asyncio.run(go()) == ("resumed", True)


def test_a_check_back_from_its_wait_goes_before_new_urls() -> None:
    async def go():
        slots = Slots(1)
        a, new, back = Ticket(), Ticket(), Ticket()
        await slots.take(a)
        order = []

        async def take(ticket, name, back_=False):
            await slots.take(ticket, back=back_)
            order.append(name)

        tasks = [asyncio.ensure_future(take(new, "new")), asyncio.ensure_future(take(back, "back", True))]
        await asyncio.sleep(0)
        slots.give(a)
        await asyncio.sleep(0)
        slots.give(back)
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(go()) == ["back", "new"]


@pytest.mark.parametrize("granted", [False, True])
def test_a_cancelled_wait_for_a_slot_loses_no_slot(granted: bool) -> None:
    async def go():
        slots, a, b = Slots(1), Ticket(), Ticket()
        await slots.take(a)
        task = asyncio.ensure_future(slots.take(b))
        await asyncio.sleep(0)
        if granted:
            slots.give(a)  # b is granted the slot, then cancelled before it runs
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        slots.give(a)
        return slots.free, b.held

    assert asyncio.run(go()) == (1, False)


def test_a_worker_keeps_its_slot_for_its_next_url_unless_a_check_is_back_from_its_wait() -> None:
    async def go():
        slots = Slots(1)
        a, back = Ticket(), Ticket()
        await slots.take(a)
        await slots.renew(a)  # nobody back: kept, no wait
        kept = a.held
        waiting = asyncio.ensure_future(slots.take(back, back=True))
        await asyncio.sleep(0)
        renewing = asyncio.ensure_future(slots.renew(a))
        await asyncio.sleep(0)
        order = (back.held, a.held)
        slots.give(back)
        await asyncio.gather(waiting, renewing)
        return kept, order, a.held

    assert asyncio.run(go()) == (True, (True, False), True)


def test_urls_waiting_at_a_busy_host_let_another_hosts_urls_finish_first() -> None:
    """Concurrency 2, one request at a time per host: the slow host's later URLs wait for its turn
    without a global slot, so the fast host's URLs finish meanwhile (they waited behind them before)."""
    settings = FetchSettings(allow_private=True, concurrency=2, per_host=1, per_host_max=1,
                             probe_soft404=False, total_timeout=30)

    async def go(web):
        slow = [web.url(f"/slow?delay=1.5&n={i}") for i in range(3)]
        fast = [web.url(f"/page/{i}", "other") for i in range(3)]
        async with make_client(settings) as client:
            return [(r.url, r.status) async for r in check_urls(client, slow + fast, settings)]

    with TestWeb() as web:
        results = asyncio.run(go(web))
        peaks = (web.peak_in_flight("main"), web.peak_in_flight("other"))
    assert {status for _, status in results} == {"ok"}
    assert ["/page/" in url for url, _ in results] == [True] * 3 + [False] * 3
    assert peaks == (1, 1)  # the host's limit is kept


def test_a_wait_away_from_the_slot_counts_against_the_time_limit() -> None:
    """As before the change: the wait at the host is the URL's time; the slot is not lost."""
    async def go():
        slots, a = Slots(1), Ticket()
        await slots.take(a)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2) as timer:
                await slots.away(a, asyncio.sleep(5), timer)
        return slots.free, a.held

    assert asyncio.run(go()) == (1, False)


def test_at_most_limit_checks_wait_without_a_slot() -> None:
    """Beyond `limit` checks away, one more waits holding its slot, as before."""
    async def go():
        slots, a, b = Slots(1), Ticket(), Ticket()
        gate = asyncio.Event()
        await slots.take(a)
        away = asyncio.ensure_future(slots.away(a, gate.wait()))
        await slots.take(b)  # a's slot, given back for its wait
        second = asyncio.ensure_future(slots.away(b, asyncio.sleep(0.05, "b")))
        await asyncio.sleep(0.01)
        kept = (b.held, slots.free)
        assert await second == "b"
        gate.set()
        slots.give(b)
        await away
        return kept, a.held

    assert asyncio.run(go()) == ((True, 0), True)


def test_a_check_cancelled_before_its_slot_is_back_leaves_the_host() -> None:
    async def go():
        slots, a, b = Slots(1), Ticket(), Ticket()
        await slots.take(a)
        left = []
        task = asyncio.ensure_future(slots.away(a, asyncio.sleep(0, "host"), undo=left.append))
        await slots.take(b)  # keeps the slot: a waits for it after its wait
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        slots.give(b)
        return left, slots.free, a.held

    assert asyncio.run(go()) == (["host"], 1, False)
