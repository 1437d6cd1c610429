"""The global concurrency of a check run as slots, which a check gives back while it waits to retry.

Why: a URL that answered 429 with Retry-After, a 5xx, or a connection error waits (the server's
Retry-After, else an exponential backoff) before it tries again. If it kept its slot while it slept,
that slot would fetch nothing: 2 % of rate-limited URLs with Retry-After: 1 cost 0.6 s of a 2,000-URL
run at concurrency 64 (benchmarks/inflight.py). So a check holds a slot only while it works: it
gives the slot back for the wait (`pause`), another URL's request proceeds meanwhile, and after the
wait it takes a slot again before any URL that has not started yet (it has a deadline running).

The same holds for a check that must wait for its host's turn (check/hosts.py: the host has its
adaptive limit in flight): it gives its slot to another host's URL meanwhile (`away`), so one slow
host does not hold the run's slots; that wait still counts against the URL's time limit.

Bounds: at most `concurrency` checks hold a slot, so at most that many requests of the run's pages
are in flight. At most `concurrency` checks wait without a slot at once (`away` counts them; a
check that would be one more waits holding its slot, as before), and check_urls runs `concurrency`
more workers than slots. A waiting check holds no body (its lease of the byte budget is given back first) and no
connection: 2 x `concurrency` checks at most, whatever the number of URLs.

Politeness does not change: the waiting URL is not asked again before its Retry-After, and its
host's adaptive limit (check/hosts.py) has already backed off on the 429 or 503.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["Slots", "Ticket"]

T = TypeVar("T")


class Ticket:
    """One check's claim on a slot: `held` while it may send requests."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held = False


class Slots:
    """`limit` slots, handed out first to checks coming back from a wait, then to new ones."""

    def __init__(self, limit: int):
        self.free = self._limit = max(1, limit)
        self._away = 0  # checks waiting without their slot (`away`), at most `limit`
        self._back: collections.deque[tuple[Ticket, asyncio.Future]] = collections.deque()
        self._new: collections.deque[tuple[Ticket, asyncio.Future]] = collections.deque()

    async def take(self, ticket: Ticket, back: bool = False) -> None:
        """Wait for a slot for `ticket` (`back`: a check resuming after a wait goes first)."""
        if self.free > 0 and not self._back and (back or not self._new):
            self.free -= 1
            ticket.held = True
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (ticket, waiter)
        (self._back if back else self._new).append(entry)
        try:
            await waiter  # _wake marks the ticket held before it wakes us
        except asyncio.CancelledError:
            if not waiter.done():
                (self._back if back else self._new).remove(entry)
            self.give(ticket)  # granted as we were cancelled: pass it on
            raise

    def give(self, ticket: Ticket) -> None:
        """Give back `ticket`'s slot, if it holds one."""
        if ticket.held:
            ticket.held = False
            self.free += 1
            self._wake()

    async def renew(self, ticket: Ticket) -> None:
        """Keep `ticket`'s slot for its next URL, unless a check back from its wait is queued for one
        (then it goes first). The idle workers queued for a slot need not be woken for nothing."""
        if self._back or not ticket.held:
            self.give(ticket)
            await self.take(ticket)

    def _wake(self) -> None:
        while self.free > 0 and (self._back or self._new):
            ticket, waiter = (self._back or self._new).popleft()
            if not waiter.done():
                self.free -= 1
                ticket.held = True
                waiter.set_result(None)

    async def pause(self, ticket: Ticket, seconds: float, timer: asyncio.Timeout | None = None) -> None:
        """Sleep `seconds` without a slot, then take one back (see `away`)."""
        await self.away(ticket, asyncio.sleep(seconds), timer)

    async def away(self, ticket: Ticket, wait: Awaitable[T], timer: asyncio.Timeout | None = None,
                   undo: Callable[[T], object] | None = None) -> T:
        """Await `wait` (a retry's sleep, a turn at a busy host) without a slot, then take one back
        before new URLs. `wait` counts against `timer` (the check's time limit); waiting for the
        slot afterwards is the run's queue, not the server's delay: the timer stops meanwhile. If
        `limit` checks are away already, this one awaits `wait` holding its slot. `undo(result)`
        runs if the check is cancelled before it has its slot back (to leave the host it entered)."""
        if self._away >= self._limit or not ticket.held:
            return await wait
        self.give(ticket)
        self._away += 1
        try:
            result = await wait
        finally:
            self._away -= 1
        try:
            await self._take_back(ticket, timer)
        except BaseException:
            if undo is not None:
                undo(result)
            raise
        return result

    async def _take_back(self, ticket: Ticket, timer: asyncio.Timeout | None) -> None:
        if self.free > 0 and not self._back:
            await self.take(ticket, back=True)  # no wait: the timer need not stop
            return
        when = timer.when() if timer is not None else None
        loop = asyncio.get_running_loop()
        if timer is not None and when is not None:
            timer.reschedule(None)
        started = loop.time()
        try:
            await self.take(ticket, back=True)
        finally:
            if timer is not None and when is not None:
                timer.reschedule(when + loop.time() - started)
