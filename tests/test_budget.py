"""The byte budget for bodies in flight (check/budget.py): bounded, first come first served, never a
deadlock, and a check's own time limit stops while it waits for memory."""

from __future__ import annotations

import asyncio

from archiver.check.budget import ByteBudget
from archiver.check.fetch import FetchSettings, check_urls, make_client
from tests.hostile import HostileWeb

MIB = 1 << 20


def test_a_take_over_the_limit_waits_until_bytes_come_back() -> None:
    async def go():
        budget = ByteBudget(100)
        first, second = budget.lease(), budget.lease()
        await first.take(60)
        await second.take(30)
        third = budget.lease()
        blocked = asyncio.ensure_future(third.take(20))  # 110 > 100, and third holds nothing yet
        await asyncio.sleep(0.05)
        waited = not blocked.done()
        second.release()
        await asyncio.wait_for(blocked, 1)
        return waited, budget.used, budget.peak

    waited, used, peak = asyncio.run(go())
    assert waited
    assert (used, peak) == (80, 90)


def test_the_oldest_holder_always_proceeds_so_no_deadlock() -> None:
    """Two half-read bodies both want more than is left: the older one goes on over the limit, the
    younger waits until the older is done. A single body larger than the budget reads alone."""
    async def go():
        budget = ByteBudget(100)
        old, young = budget.lease(), budget.lease()
        await old.take(50)
        await young.take(40)
        later = asyncio.ensure_future(young.take(40))
        await asyncio.wait_for(old.take(80), 1)  # over the limit: the oldest holder is never held
        await asyncio.sleep(0.05)
        young_waited = not later.done()
        old.release()
        await asyncio.wait_for(later, 1)
        young.release()
        alone = budget.lease()
        await asyncio.wait_for(alone.take(500), 1)  # five times the budget, nobody else holds bytes
        return young_waited, budget.used

    young_waited, used = asyncio.run(go())
    assert young_waited
    assert used == 500


def test_waiters_are_served_first_come_first_served() -> None:
    async def go():
        budget = ByteBudget(10)
        holder = budget.lease()
        await holder.take(10)
        order: list[str] = []

        async def want(name: str, n: int) -> None:
            await budget.lease().take(n)
            order.append(name)

        tasks = [asyncio.ensure_future(want("big", 8)), asyncio.ensure_future(want("small", 1))]
        await asyncio.sleep(0.05)
        holder.release()
        await asyncio.wait_for(asyncio.gather(*tasks), 1)
        return order

    assert asyncio.run(go()) == ["big", "small"]  # the small take did not overtake the one before it


def test_waiting_for_the_budget_does_not_count_against_the_checks_time() -> None:
    async def go():
        budget = ByteBudget(10)
        holder = budget.lease()
        await holder.take(10)
        loop = asyncio.get_running_loop()
        loop.call_later(0.5, holder.release)
        async with asyncio.timeout(0.2) as timer:  # would expire while waiting
            lease = budget.lease(timer)
            await lease.take(5)
        return budget.used

    assert asyncio.run(go()) == 5


def test_a_cancelled_waiter_leaves_the_queue() -> None:
    async def go():
        budget = ByteBudget(10)
        holder = budget.lease()
        await holder.take(10)
        gone = asyncio.ensure_future(budget.lease().take(5))
        await asyncio.sleep(0.05)
        gone.cancel()
        await asyncio.gather(gone, return_exceptions=True)
        after = budget.lease()
        nxt = asyncio.ensure_future(after.take(5))
        holder.release()
        await asyncio.wait_for(nxt, 1)
        return budget.used

    assert asyncio.run(go()) == 5


def test_check_urls_holds_at_most_the_budget_plus_one_body() -> None:
    """Ten 4 MB pages read at once with a 6 MiB budget: every page is read whole and judged as
    before, and the bodies held at once never pass the budget plus one body twice (its pieces and
    their joined copy, both counted) plus a read's piece. Without the budget all ten (40 MiB) would
    be held together."""
    settings = FetchSettings(allow_private=True, retries=0, concurrency=10, per_host=10, per_host_max=10,
                             max_body=4 * MIB, body_budget=6 * MIB, probe_soft404=False)
    with HostileWeb(catch_all=4) as web:
        async def go():
            budget = ByteBudget(settings.body_budget)
            async with make_client(settings) as client:
                urls = [web.url(f"/page/{i}") for i in range(10)]
                results = [r async for r in check_urls(client, urls, settings, budget=budget)]
            return results, budget

        results, budget = asyncio.run(go())
    assert [r.status for r in results] == ["ok"] * 10
    assert all(r.snapshot.size > 4_000_000 and not r.snapshot.truncated for r in results)
    assert budget.peak <= settings.body_budget + 2 * settings.max_body + MIB, budget.peak / MIB
    assert budget.used == 0  # every result handed on gave its bytes back
