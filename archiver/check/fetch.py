"""The async checker: one shared session (check/http/), bounded memory, outcomes as values.

A run (`_Run`) checks each URL through its hops (hop.py: redirects followed by hand so the whole
chain is recorded and each target passes the private-address guard, guard.py; retries; each
request at its host's turn) and judges where it landed (judge.py). Transport errors become statuses
in failures.py only. The session is injected (`make_client` builds it once per run).

Bodies are streamed, capped on DECODED bytes (a gzip bomb stops at the cap, however many layers)
and hashed while streaming, their bytes taken from the run's byte budget (check/budget.py) until the
result leaves `check_urls`. `check_urls` pulls URLs lazily (see _Feed) and yields results as they
complete, so memory does not grow with the number of URLs, and bodies in flight stay within
`body_budget` (plus one body) however many of them are large.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from ..clock import utcnow
from ..defaults import USER_AGENT
from ..errors import ConfigError
from ..models import CheckResult
from .budget import ByteBudget, Lease
from .classify import Probe, alive_of
from .failures import FAILURES, REFUSED_FOR_SAFETY, map_exception, proxy_refused, refused
from .guard import Guard, Resolver, system_resolver
from .hop import Hops, Reading, parse_retry_after
from .hosts import HostGate
from .http import Session, Timeout
from .judge import Judge
from .probe import PROBE_FAILED
from .settings import FetchSettings
from .slots import Slots, Ticket

__all__ = [
    "USER_AGENT",
    "FetchSettings",
    "Session",
    "check_one",
    "check_urls",
    "one_at_a_time",
    "make_client",
    "parse_retry_after",
    "system_resolver",
]


def make_client(settings: FetchSettings | None = None) -> Session:
    """The session the CLI should build once per run and pass to check_urls/check_one."""
    s = settings or FetchSettings()
    problem = s.network.problem()
    if problem is not None:
        raise ConfigError(problem)
    return Session(limit=2 * max(s.concurrency, s.per_host, 1), user_agent=s.user_agent,
                   timeout=Timeout(connect=s.connect_timeout, read=s.read_timeout), network=s.network)


# --------------------------------------------------------------- run ---

@dataclass
class _Run(Hops, Judge):
    """State shared by the checks of one run: host gates, probe cache, the guard's DNS cache."""

    client: Session
    settings: FetchSettings
    clock: Callable[[], datetime] = utcnow
    monotonic: Callable[[], float] = time.monotonic
    resolver: Resolver = system_resolver
    rng: random.Random = field(default_factory=random.Random)
    budget: ByteBudget | None = None  # None: one of settings.body_budget bytes for this run
    slots: Slots | None = None  # the run's global slots (check_urls); None: a check waits in place

    def __post_init__(self):
        self.hosts = HostGate(self.settings.per_host, self.settings.per_host_max, self.settings.per_host_fast,
                              self.settings.per_host_interval, self.monotonic)
        self.probes: OrderedDict[str, asyncio.Future] = OrderedDict()
        self.guard = Guard(self.client, self.resolver, self.settings.allow_private)
        self.budget = self.budget or ByteBudget(self.settings.body_budget)
        self._headers = {**self.client.headers, "user-agent": self.settings.user_agent}

    async def close(self) -> None:
        for task in self.probes.values():
            task.cancel()
        await asyncio.gather(*self.probes.values(), return_exceptions=True)
        self.probes.clear()

    async def check(self, url: str, lease: Lease | None = None, ticket: Ticket | None = None) -> CheckResult:
        """One URL; its body's bytes stay on `lease` until the caller releases it. `ticket` holds
        one of the run's `slots`, which the check gives back while it waits to retry."""
        started, checked_at = self.monotonic(), self.clock()
        chain: list[dict] = []
        base: dict[str, Any] = {"url": url, "checked_at": checked_at, "redirects": chain}
        try:
            async with asyncio.timeout(self.settings.total_timeout) as timer:
                if lease is not None:
                    lease.timer = timer  # waiting for the budget does not count against the URL's time
                reading = Reading(self.settings.max_body, lease, ticket=ticket, timer=timer)
                final, hop = await self._follow(url, chain, reading)
                result = await self._judge(url, final, hop, chain, timer.when())
        except FAILURES as exc:
            status, error, transport = map_exception(exc)
            if isinstance(exc, TimeoutError) and not str(exc):
                error = f"no complete answer within {self.settings.total_timeout:g} s"
            if refused(exc):  # the error says so: a resumed run reads it back (failures.cannot_tell)
                error = REFUSED_FOR_SAFETY + error
            # refused for safety, or by the proxy: cannot tell, never dead
            alive = None if refused(exc) or proxy_refused(exc) else alive_of(status)
            result = {"status": status, "alive": alive, "error": error,
                      "transport_failure": transport, "final_url": chain[-1]["location"] if chain else None}
        base.update(result, redirects=tuple(chain))
        return CheckResult(**base, elapsed_ms=round((self.monotonic() - started) * 1000))


# --------------------------------------------------------- entry points ---

async def check_one(
    client: Session,
    url: str,
    settings: FetchSettings | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    monotonic: Callable[[], float] = time.monotonic,
    resolver: Resolver = system_resolver,
) -> CheckResult:
    """Check one URL (its own probe cache and host gates; use check_urls for many)."""
    run = _Run(client, settings or FetchSettings(), clock, monotonic, resolver)
    try:
        return await run.check(url)
    finally:
        await run.close()


@contextlib.asynccontextmanager
async def one_at_a_time(client: Session, settings: FetchSettings, *, clock: Callable[[], datetime] = utcnow,
                        resolver: Resolver = system_resolver,
                        probes: dict[str, Probe] | None = None) -> AsyncIterator[Callable[[str], Awaitable[CheckResult]]]:
    """`check(url)` for checks made one after another, sharing one probe cache (a queue's job: its
    host slot is one request at a time, archiver/queue/). `probes` (a host's key -> its soft-404
    probe): those known before, and afterwards also those these checks made."""
    run = _Run(client, settings, clock, resolver=resolver)
    for key, probe in (probes or {}).items():
        run.probes[key] = done = asyncio.get_running_loop().create_future()
        done.set_result(probe)
    try:
        yield run.check
    finally:
        if probes is not None:
            probes.update({k: t.result() for k, t in run.probes.items()
                           if t.done() and not t.cancelled() and t.exception() is None and t.result() is not PROBE_FAILED})
        await run.close()


_DONE = object()
RESULTS_QUEUED = 1  # results waiting for check_urls' consumer, per slot, before checks stop starting


class _Feed:
    """The URLs of a run as the workers take them: straight from a plain iterable (no task, no
    queue), through a bounded queue filled by a task from an async one. An input that fails stops
    the feed; `error` keeps the exception for check_urls to raise once what was taken is done."""

    def __init__(self, urls: Iterable[str] | AsyncIterable[str], workers: int):
        self.error: BaseException | None = None
        self._workers = workers
        self._async = urls if isinstance(urls, AsyncIterable) else None
        self._iter = None if isinstance(urls, AsyncIterable) else iter(urls)
        self.queue: asyncio.Queue | None = asyncio.Queue(maxsize=workers) if self._async is not None else None

    def start(self) -> list[asyncio.Future]:
        return [asyncio.ensure_future(self._fill())] if self._async is not None else []

    def take(self) -> object:
        """The next URL of a plain iterable, or _DONE."""
        if self._iter is None:
            return _DONE
        try:
            return next(self._iter)
        except StopIteration:
            pass
        except Exception as exc:  # the input failed: finish what was taken, then re-raise
            self.error = exc
        self._iter = None
        return _DONE

    async def _fill(self) -> None:
        assert self.queue is not None and self._async is not None
        try:
            async for url in self._async:
                await self.queue.put(url)
        except Exception as exc:  # the input failed: finish what is queued, then re-raise
            self.error = exc
        for _ in range(self._workers):
            await self.queue.put(_DONE)


async def check_urls(
    client: Session,
    urls: Iterable[str] | AsyncIterable[str],
    settings: FetchSettings | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    monotonic: Callable[[], float] = time.monotonic,
    resolver: Resolver = system_resolver,
    budget: ByteBudget | None = None,
) -> AsyncGenerator[CheckResult, None]:
    """Check URLs, `settings.concurrency` at once; yield results in completion order.

    URLs are pulled lazily (a plain iterable as each worker needs one, an async one through a
    bounded queue) and results leave through a queue of `concurrency` (RESULTS_QUEUED): a finished
    check gives its slot to the next URL unless that many results wait for the consumer already
    (then it waits, holding its result and its slot, until the consumer takes one). The bodies of the
    checks in flight and of the results not yet taken share `body_budget` (check/budget.py): a
    read that would exceed it waits. So memory stays bounded whatever the length of `urls`, however
    large the pages and however slow the consumer. Pass `budget` to share one between runs (or to
    read its `peak`). A check waiting to retry (a Retry-After, a backoff) gives its slot to another
    URL meanwhile, and so does a check waiting for its host's turn; at most `concurrency` checks
    wait so at once, a waiting retry with no body (check/slots.py).
    """
    s = settings or FetchSettings()
    budget = budget or ByteBudget(s.body_budget)
    slots = Slots(max(s.concurrency, 1))
    run = _Run(client, s, clock, monotonic, resolver, budget=budget, slots=slots)
    workers = 2 * max(s.concurrency, 1)  # up to half of them waiting to retry, without a slot
    feed = _Feed(urls, workers)
    done: asyncio.Queue = asyncio.Queue(maxsize=RESULTS_QUEUED * max(s.concurrency, 1))

    async def work() -> None:
        queue, ticket = feed.queue, Ticket()
        try:
            await slots.take(ticket)  # a URL is taken only with a slot for it
            while (url := feed.take() if queue is None else await queue.get()) is not _DONE:
                lease = budget.lease()
                await done.put((await run.check(cast(str, url), lease, ticket), lease))
                await slots.renew(ticket)
        except Exception as exc:  # a bug, not a per-URL failure: surface it
            await done.put(exc)
        finally:
            slots.give(ticket)
        await done.put(_DONE)

    tasks = feed.start() + [asyncio.ensure_future(work()) for _ in range(workers)]
    try:
        finished = 0
        while finished < workers:
            item = await done.get()
            if item is _DONE:
                finished += 1
            elif isinstance(item, Exception):
                raise item
            else:
                result, lease = item
                try:
                    yield result
                finally:
                    lease.release()  # the consumer has it now
        if feed.error is not None:
            raise feed.error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await run.close()
