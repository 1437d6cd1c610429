"""The global concurrency of a check run as slots, which a check gives back while it waits to retry.

Why: a URL that answered 429 with Retry-After, a 5xx, or a connection error waits (the server's
Retry-After, else an exponential backoff) before it tries again. If it kept its slot while it slept,
that slot would fetch nothing: 2 % of rate-limited URLs with Retry-After: 1 cost 0.6 s of a 2,000-URL
run at concurrency 64 (benchmarks/inflight.py). So a check holds a slot only while it works: it
gives the slot back for the wait (`pause`), another URL's request proceeds meanwhile, and after the
wait it takes a slot again before any URL that has not started yet (it has a deadline running).

Bounds: at most `concurrency` checks hold a slot, so at most that many requests of the run's pages
are in flight. check_urls runs `concurrency` more workers than slots, so at most `concurrency` checks
wait without a slot at once (a check that would be one more still waits, holding its slot, as
before). A waiting check holds no body (its lease of the byte budget is given back first) and no
connection: 2 x `concurrency` checks at most, whatever the number of URLs.

Politeness does not change: the waiting URL is not asked again before its Retry-After, and its
host's adaptive limit (check/hosts.py) has already backed off on the 429 or 503.
"""

from __future__ import annotations

import asyncio
import collections

__all__ = ["Slots", "Ticket"]


class Ticket:
    """One check's claim on a slot: `held` while it may send requests."""

    __slots__ = ("held",)

    def __init__(self) -> None:
        self.held = False


class Slots:
    """`limit` slots, handed out first to checks coming back from a wait, then to new ones."""

    def __init__(self, limit: int):
        self.free = max(1, limit)
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
        """Sleep `seconds` without a slot, then take one back. Waiting for the slot is the run's
        queue, not the server's delay: `timer` (the check's time limit) stops meanwhile."""
        self.give(ticket)
        await asyncio.sleep(seconds)
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
