"""Pacing for rate-limited services: a strict-spacing token bucket and a 429 backoff, both on an
injected clock and sleep so tests and benchmarks can run on scaled time.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable

__all__ = ["Backoff", "Breaker", "Pacer", "Clock", "Sleep"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Backoff:
    """60 s after a 429, doubling per repeat, capped (30 min), with additive jitter."""

    def __init__(self, initial: float = 60.0, cap: float = 1800.0, jitter: float = 0.1,
                 rng: random.Random | None = None):
        self.initial, self.cap, self.jitter = initial, cap, jitter
        self.rng = rng or random.Random()
        self.trips = 0

    def next_delay(self) -> float:
        base = min(self.initial * (2 ** self.trips), self.cap)
        self.trips += 1
        return min(base * (1 + self.jitter * self.rng.random()), self.cap) if base < self.cap else self.cap

    def reset(self) -> None:
        self.trips = 0


class Pacer:
    """A strict-spacing token bucket (burst 1) with a pause switch, on an injected clock and sleep.

    Spacing every call by 60/rate seconds means no 60-second window holds more than `rate` calls,
    which is what the server counts. Exactly 60/rate would put call N+1 exactly 60 s after call 1,
    so a few milliseconds of network jitter could land N+1 calls in one window: `margin` (2%) widens
    the spacing to absorb that.
    """

    def __init__(self, per_minute: float, clock: Clock, sleep: Sleep, backoff: Backoff | None = None,
                 margin: float = 0.02):
        self.interval = 60.0 / per_minute * (1 + margin) if per_minute and per_minute > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.backoff = backoff or Backoff()
        self.paused_until = 0.0
        self._next = -math.inf
        self._lock: asyncio.Lock | None = None
        self.calls = 0
        self.on_wait: Callable[[float], None] | None = None  # told each wait for a slot, in seconds

    async def acquire(self, then: Callable[[], Awaitable[bool]] | None = None) -> bool:
        """Wait for this call's slot; `then()` (a store write before the call, which may veto it by
        returning False) runs inside the slot, so the next slot is spaced from when it ended.
        False when `then` vetoed the call (its slot is given back)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                now = self.clock()
                due = max(self._next, self.paused_until)
                if now >= due:
                    break
                if self.on_wait:
                    self.on_wait(due - now)
                await self.sleep(due - now)
            if then is not None and not await then():
                return False
            self._next = self.clock() + self.interval
            self.calls += 1
            return True

    def trip(self) -> float:
        """A 429 arrived: pause this family; returns the time it may resume."""
        self.paused_until = max(self.paused_until, self.clock() + self.backoff.next_delay())
        return self.paused_until

    def pause_until(self, when: float) -> None:
        self.paused_until = max(self.paused_until, when)

    def ok(self) -> None:
        self.backoff.reset()


class Breaker:
    """A circuit breaker for one endpoint family: after `threshold` consecutive outage-like failures
    (transport errors, HTTP 500/502/503/504) with no answer in between, it opens and stays open for
    the rest of the run, so a Wayback Machine that is down costs seconds, not minutes per URL.
    Any real answer (including 4xx and 429) closes the count again while it is still closed.

    It also opens, at once, when the server asks for a pause longer than a run should wait (`hold`):
    then `until` says when the work may be tried again."""

    OUTAGE_STATUSES = frozenset({500, 502, 503, 504})

    def __init__(self, name: str, threshold: int = 5):
        self.name, self.threshold = name, threshold
        self.failures = 0
        self.reason: str | None = None  # set when open
        self.until: float | None = None  # set when the server asked us to come back then

    @property
    def open(self) -> bool:
        return self.reason is not None

    def record(self, status: int | None, error: str | None = None) -> None:
        """One reply: `status` None for a transport error (`error` says which)."""
        if self.open:
            return
        if status is not None and status not in self.OUTAGE_STATUSES:
            self.failures = 0
            return
        self.failures += 1
        if self.failures >= self.threshold:
            last = error if status is None else f"HTTP {status}"
            self.reason = f"no usable answer to {self.failures} {self.name} requests in a row (last: {last})"

    def hold(self, until: float, reason: str) -> None:
        """The server asked for a pause longer than the run waits: nothing more is sent in this run."""
        if not self.open:
            self.reason, self.until = reason, until
