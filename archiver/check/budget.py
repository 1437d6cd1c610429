"""A byte budget for the response bodies a check run holds at once, so memory under attack is set by
the budget, not by concurrency x max body.

Why: 64 checks in flight may each read up to `max_body` (50 MiB): 3.2 GB if every page is large or a
compression bomb (issue 11 measured 3.9 GB). Each check holds a `Lease`, which takes the bytes of its
body from the run's `ByteBudget` as they arrive (check/transport.read_capped) and gives them all back
when the result leaves the checker (check/fetch.check_urls). A read that would go over the budget
waits, its connection paused, until bytes come back; waiting for memory is not the server's fault, so
the check's own time limit stops while it waits (`Lease.timer`).

Never a deadlock: the oldest lease still holding bytes always proceeds, over the budget if it must,
so a single body larger than the whole budget still reads up to its cap, and the holders finish one
by one. So at most `limit` + one body (`max_body`) of bodies are held, that body twice for a moment
(read in pieces, then joined: both copies are counted); the others queue first come, first served.
Bodies that left the checker for the run's writer stay counted until they are written
(check/recorder.py).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Generator

__all__ = ["ByteBudget", "Lease"]


class _Granted:
    """An awaitable that is already complete (bytes granted without waiting)."""

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        return iter(())  # type: ignore[return-value]


_GRANTED = _Granted()


class Lease:
    """The bytes one check holds; `timer` (the check's asyncio.timeout) is paused while it waits."""

    __slots__ = ("budget", "held", "timer")

    def __init__(self, budget: ByteBudget, timer: asyncio.Timeout | None = None):
        self.budget, self.held, self.timer = budget, 0, timer

    def take(self, n: int) -> Awaitable[None]:
        return self.budget.take(self, n)

    def give(self, n: int) -> None:
        """Give back `n` of the bytes held (a transient copy that is gone)."""
        self.budget.give(self, n)

    def release(self) -> None:
        self.budget.release(self)


class ByteBudget:
    """At most `limit` bytes held by all leases together, plus the oldest holder's body (see above)."""

    def __init__(self, limit: int):
        self.limit = max(1, limit)
        self.used = 0
        self.peak = 0  # the most ever held, for tests and benchmarks
        self._holders: dict[Lease, None] = {}  # in order of their first byte: the oldest first
        self._waiting: collections.deque[tuple[Lease, int, asyncio.Future]] = collections.deque()

    def lease(self, timer: asyncio.Timeout | None = None) -> Lease:
        return Lease(self, timer)

    def _oldest(self, lease: Lease) -> bool:
        """The oldest holder, or anyone when nobody holds anything (a body alone may exceed the limit)."""
        return next(iter(self._holders), lease) is lease

    def _grant(self, lease: Lease, n: int) -> None:
        self._holders.setdefault(lease)
        lease.held += n
        self.used += n
        self.peak = max(self.peak, self.used)

    def take(self, lease: Lease, n: int) -> Awaitable[None]:
        """`n` more bytes for `lease`; await the result. Bytes that fit are granted at once, and
        the awaitable returned then completes without a coroutine (the hot path: every chunk)."""
        if self._fits(lease, n):
            self._grant(lease, n)
            return _GRANTED
        return self._wait(lease, n)

    def force(self, lease: Lease, n: int) -> None:
        """Count `n` bytes for `lease` at once, over the limit if need be: bytes that already exist
        (a body the run's writer now holds) are counted, never waited for."""
        self._grant(lease, n)

    def _fits(self, lease: Lease, n: int) -> bool:
        return self._oldest(lease) or (not self._waiting and self.used + n <= self.limit)

    async def _wait(self, lease: Lease, n: int) -> None:
        if self._fits(lease, n):  # bytes came back between the call and the first step
            self._grant(lease, n)
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append((lease, n, waiter))
        timer = lease.timer
        when = timer.when() if timer is not None else None
        if timer is not None and when is not None:
            timer.reschedule(None)
        started = asyncio.get_running_loop().time()
        try:
            await waiter  # _wake grants the bytes before it wakes us
        except asyncio.CancelledError:
            if not waiter.done():
                self._waiting.remove((lease, n, waiter))
            self._wake()
            raise
        finally:
            if timer is not None and when is not None:
                timer.reschedule(when + asyncio.get_running_loop().time() - started)

    def give(self, lease: Lease, n: int) -> None:
        """Give back `n` of the bytes `lease` holds; it stays a holder, in its place in line."""
        n = min(n, lease.held)
        lease.held -= n
        self.used -= n
        self._wake()

    def release(self, lease: Lease) -> None:
        """Give back everything `lease` holds (its body is gone or handed on)."""
        if lease not in self._holders:
            return  # it holds nothing (a first attempt, a page without a body): nothing changes
        del self._holders[lease]
        self.used -= lease.held
        lease.held = 0
        self._wake()

    def _wake(self) -> None:
        oldest = next(iter(self._holders), None)
        for entry in [e for e in self._waiting if e[0] is oldest]:  # the oldest holder never waits
            self._waiting.remove(entry)
            self._admit(entry)
        while self._waiting and (not self._holders or self.used + self._waiting[0][1] <= self.limit):
            self._admit(self._waiting.popleft())

    def _admit(self, entry: tuple[Lease, int, asyncio.Future]) -> None:
        lease, n, waiter = entry
        if not waiter.done():
            self._grant(lease, n)
            waiter.set_result(None)
