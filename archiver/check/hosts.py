"""Per-host limits for the checker: how many requests one host gets at once, learnt as the run goes.

The policy is AIMD, as TCP's congestion window, so the defaults are both fast and polite: a run over
many hosts reaches the global concurrency, while one host that slows down or pushes back is never
hammered (see HostGate).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["HostGate"]


class _Host:
    """One host's adaptive limit (see HostGate) and the requests waiting for it."""

    def __init__(self, limit: int, cap: int):
        self.limit, self.cap = float(limit), cap
        self.adaptive = cap > limit  # a limit set at or above the cap is fixed
        self.active = 0
        self.waiters: collections.deque[asyncio.Future] = collections.deque()
        self.next_start = 0.0
        self.backed_off = False  # slow start (+1 per fast answer) ends at the first back-off
        self.last_back_off = float("-inf")

    def answered(self, status: int, retry_after: bool, seconds: float, now: float, fast: float) -> None:
        if not self.adaptive:
            return
        if status in (429, 503) or retry_after:
            self.back_off(now, seconds)
        elif seconds < fast and self.limit < self.cap:
            self.limit = min(self.cap, self.limit + (1.0 / self.limit if self.backed_off else 1.0))
            self.wake()

    def back_off(self, now: float, seconds: float) -> None:
        """Halve the limit, once per round trip (the requests in flight failing together count once)."""
        if self.adaptive and now - self.last_back_off >= max(seconds, 0.1):
            self.limit, self.backed_off, self.last_back_off = max(1.0, self.limit / 2), True, now

    def wake(self) -> None:
        free = int(self.limit) - self.active
        while free > 0 and self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1


class HostGate:
    """Per-host concurrency, adaptive (AIMD, as TCP's congestion window), and a minimum interval
    between request starts.

    Policy: a host starts at `per_host` requests in flight. Each answer that comes within
    `per_host_fast` seconds, and is neither 429 nor 503 nor carries Retry-After, raises its limit by
    one (slow start), up to `per_host_max`. A 429, a 503, a Retry-After header or a timeout halves
    it (at least 1), once per round trip; from then on it grows by one per window of answers
    (1/limit per answer). Many hosts thus reach the global concurrency, and a single host that
    slows down or pushes back is never hammered. A `per_host` at or above `per_host_max` is a
    fixed limit (no adaptation: for runs against one's own servers).
    """

    def __init__(self, per_host: int, per_host_max: int, fast: float, interval: float,
                 monotonic: Callable[[], float] = time.monotonic, max_hosts: int = 4096):
        self._start = max(per_host, 1)
        self._cap = max(per_host_max, self._start)
        self._fast = fast
        self._interval = interval
        self._monotonic = monotonic
        self._max_hosts = max_hosts
        self._hosts: OrderedDict[str, _Host] = OrderedDict()  # learnt limits, least recently used first

    def limit_of(self, key: str) -> float:
        host = self._hosts.get(key)
        return host.limit if host else float(self._start)

    def busy(self, key: str) -> bool:
        """Whether a request to `key` would wait for its turn now (all its limit in flight)."""
        host = self._hosts.get(key)
        return host is not None and host.active >= int(host.limit)

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(self._start, self._cap)
            if len(self._hosts) > self._max_hosts:
                idle = next((k for k, h in self._hosts.items() if not h.active and not h.waiters), None)
                if idle is not None:
                    del self._hosts[idle]
        else:
            self._hosts.move_to_end(key)
        return host

    async def enter(self, key: str, first: bool = False) -> _Host:
        """Wait for a request's turn at `key`; the caller must `leave` the host it gets. `first` (the
        soft-404 probe, which the host's pages wait for) may be one request over the limit and, when
        even that is taken, goes before the requests already waiting: the pages holding the host's
        turns may be waiting for the probe themselves (for the byte budget, behind the oldest page,
        which waits for its probe), and the probe is one request per host per run.
        A free host is entered without suspending (the hot path: no context manager, no future)."""
        host = self._host(key)
        while host.active >= int(host.limit) + first:
            waiter = asyncio.get_running_loop().create_future()
            if first:
                host.waiters.appendleft(waiter)
            else:
                host.waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    host.wake()  # pass the wake-up on
                raise
        host.active += 1
        if self._interval > 0:
            try:
                now = self._monotonic()
                start = max(now, host.next_start)
                host.next_start = start + self._interval
                if start > now:
                    await asyncio.sleep(start - now)
            except BaseException:
                self.leave(host)
                raise
        return host

    def leave(self, host: _Host) -> None:
        host.active -= 1
        host.wake()

    @contextlib.asynccontextmanager
    async def slot(self, key: str, first: bool = False):
        """`enter` and `leave` as a context manager."""
        host = await self.enter(key, first)
        try:
            yield host
        finally:
            self.leave(host)

    def answered(self, host: _Host, status: int, retry_after: bool, started: float) -> None:
        now = self._monotonic()
        host.answered(status, retry_after, now - started, now, self._fast)

    def timed_out(self, host: _Host, started: float) -> None:
        now = self._monotonic()
        host.back_off(now, now - started)
