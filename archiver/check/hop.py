"""One URL's hops: redirects followed by hand (each target through the guard, the chain recorded),
retries on connection errors, 5xx and 429, and each request at its host's turn, its body read under
the cap and the run's byte budget.

Time limits measure the server, not the queue: a URL's clock (`_Reading.timer`) stops while it
waits for its host's turn, for a global slot (check/slots.py) or for the byte budget
(check/budget.py); it runs while the request is on the wire and during retry backoffs."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from .budget import Lease
from .cookies import ChainCookies
from .failures import ProxyRefused, Skip, TooManyRedirects, retryable
from .guard import Guard
from .hosts import HostGate, _Host
from .http import Headers, Session, drain, read_capped
from .slots import Slots, Ticket
from .target import Target, join

if TYPE_CHECKING:
    from .settings import FetchSettings

__all__ = ["Hop", "Final", "Reading", "Hops", "REDIRECT_CODES", "parse_retry_after", "untimed"]

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
T = TypeVar("T")


@dataclass
class Hop:
    status: int
    headers: Headers
    location: str | None = None
    body: bytes = b""
    sha256: str = ""
    truncated: bool = False
    attempts: int = 1
    note: str | None = None


class Final(NamedTuple):
    """Where a check landed: the URL as followed, and its parsed form (for the host's probe)."""

    url: str
    target: Target


@dataclass
class Reading:
    """How one check reads bodies: a page up to max_body through its lease of the byte budget; the
    soft-404 probe only the `text_bytes` it is compared on, first in its host's queue, its clock
    (probe_clock) started once it has its turn there. `cookies`: what the hops of its redirect
    chain set, sent on its later hops (check/cookies.py; made at the first Set-Cookie). `ticket`:
    the check's global slot in a run, given back while it waits to retry (check/slots.py), and
    `timer` its time limit, stopped while it waits for its turn."""

    cap: int
    lease: Lease | None = None
    probe_clock: asyncio.Timeout | None = None
    cookies: ChainCookies | None = None
    ticket: Ticket | None = None
    timer: asyncio.Timeout | None = None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime  # an HTTP-date: rare, and email costs 4 ms to import

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        from datetime import UTC

        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


async def untimed(timer: asyncio.Timeout | None, wait: Awaitable[T]) -> T:
    """Await `wait` with `timer` stopped: the time left is the same after as before."""
    when = timer.when() if timer is not None else None
    if timer is None or when is None:
        return await wait
    loop = asyncio.get_running_loop()
    left = when - loop.time()
    timer.reschedule(None)
    try:
        return await wait
    finally:
        timer.reschedule(loop.time() + left)


class Hops:
    """The hop-level half of a run (fetch._Run): what it needs of the run is declared here."""

    client: Session
    settings: FetchSettings
    clock: Callable[[], datetime]
    monotonic: Callable[[], float]
    rng: random.Random
    slots: Slots | None
    hosts: HostGate
    guard: Guard
    _headers: dict[str, str]

    async def _follow(self, url: str, chain: list[dict], reading: Reading) -> tuple[Final, Hop]:
        seen, current = {(url, 0)}, url
        for _ in range(self.settings.max_redirects + 1):
            u, _addresses = await self.guard.check(current)
            hop = await self._fetch(u, reading)
            if hop.location is None:
                return Final(current, u), hop
            try:
                target = join(u, hop.location)
            except ValueError as e:  # httpx.InvalidURL
                raise Skip(f"malformed redirect target {hop.location!r}: {e}") from None
            chain.append({"url": current, "status": hop.status, "location": target})
            visit = (target, reading.cookies.version if reading.cookies else 0)  # new cookies: a new visit
            if visit in seen:
                raise TooManyRedirects(f"redirect loop back to {target}")
            seen.add(visit)
            current = target
        raise TooManyRedirects(f"more than {self.settings.max_redirects} redirects")

    async def _fetch(self, u: Target, reading: Reading) -> Hop:
        """One hop with retries on connection errors, 5xx and 429."""
        s = self.settings
        delay: float | None
        for attempt in range(s.retries + 1):
            last = attempt == s.retries
            if reading.lease is not None:
                reading.lease.release()  # an earlier attempt's body is dropped
            try:
                hop = await self._request(u, reading)
            except Exception as exc:
                if last or not retryable(exc):
                    raise
                delay = self._backoff(attempt)
            else:
                hop.attempts = attempt + 1
                delay = self._retry_delay(hop, attempt, last)
                if delay is None:
                    return hop
                del hop  # not kept while waiting
            await self._wait(delay, reading)
        raise AssertionError("unreachable")

    def _retry_delay(self, hop: Hop, attempt: int, last: bool) -> float | None:
        """Seconds to wait before asking again after `hop` (429 or 5xx), or None: `hop` is final."""
        s = self.settings
        if not (hop.status == 429 or 500 <= hop.status < 600 and hop.status != 501) or last:
            return None
        wait = parse_retry_after(hop.headers.get("retry-after"), self.clock())
        if wait is not None and wait > s.retry_after_cap:
            hop.note = f"Retry-After {wait:g} s is over the cap of {s.retry_after_cap:g} s"
            return None
        return self._backoff(attempt) if wait is None else wait + self.rng.uniform(0, 0.05)

    async def _wait(self, seconds: float, reading: Reading) -> None:
        """Wait before a retry holding no body and, in a run, no global slot: another URL's request
        proceeds meanwhile (check/slots.py). The URL itself is not asked again sooner."""
        if reading.lease is not None:
            reading.lease.release()
        if self.slots is None or reading.ticket is None:
            await asyncio.sleep(seconds)
        else:
            await self.slots.pause(reading.ticket, seconds, reading.timer)

    async def _enter(self, key: str, reading: Reading) -> _Host:
        """A turn at the host `key`, the URL's clock stopped while it waits. In a run, a check that
        must wait for it (the host has its limit in flight) gives its global slot to another host's
        URL meanwhile and takes one back before new URLs (check/slots.py)."""
        first = reading.probe_clock is not None
        turn = untimed(reading.timer, self.hosts.enter(key, first))
        if self.slots is None or reading.ticket is None or not self.hosts.busy(key):
            return await turn
        return await self.slots.away(reading.ticket, turn, reading.timer, self.hosts.leave)

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        return min(s.backoff_max, s.backoff_base * 2**attempt) + self.rng.uniform(0, s.backoff_base)

    async def _request(self, u: Target, reading: Reading) -> Hop:
        clock = reading.probe_clock
        host = await self._enter(u.key, reading)
        started = self.monotonic()
        cookie = reading.cookies.header(u.host, u.url) if reading.cookies is not None else None
        headers = self._headers if cookie is None else {**self._headers, "cookie": cookie}
        try:
            if clock is not None and clock.when() is None:
                clock.reschedule(asyncio.get_running_loop().time() + self.settings.probe_timeout)
            async with self.client.get(u.url, headers) as resp:
                if resp.status_code == 407 and self.client.proxy_for(u.url) is not None:
                    raise ProxyRefused("HTTP 407 Proxy Authentication Required")  # the proxy's answer, not the page's
                self.hosts.answered(host, resp.status_code, "retry-after" in resp.headers, started)
                if "set-cookie" in resp.headers:
                    reading.cookies = reading.cookies or ChainCookies()
                    reading.cookies.update(u.host, u.url, resp.headers.multi_items())
                location = resp.headers.get("location")
                if resp.status_code in REDIRECT_CODES and location:
                    await drain(resp.raw(), 64 * 1024)  # small bodies: keep the connection alive
                    return Hop(resp.status_code, resp.headers, location=location)
                body, digest, truncated = await read_capped(resp.raw(), resp.headers.get("content-encoding"),
                                                            reading.cap, reading.lease)
                return Hop(resp.status_code, resp.headers, body=body, sha256=digest, truncated=truncated)
        except TimeoutError:
            self.hosts.timed_out(host, started)
            raise
        finally:
            self.hosts.leave(host)
