"""The archive stage as queued jobs: one job per URL, Save Page Now's budget shared by every worker.

Why one URL a job: the policy (wayback/policy.py) decides a URL's need, looks it up, and submits it
under the pacer; when the shared budget has no capture for it now, the job stops before the POST
(its capture row stays 'queued') and procrastinate runs it again when the budget will have one,
so no worker sleeps on the budget and nothing is submitted twice: the row says where the URL was
(a 'submitting' or 'pending' row is resumed, polled, never posted again), and the job's lock,
`archiver-spn:<url>`, keeps two jobs of one URL from running at once.

The budget (store/postgres/queue.py, table queue_spn): captures per window (Save Page Now counts
per minute; the window is configurable so a test can be quick), per day, per URL per day, and
sessions open at once, each capture taken in one transaction under an advisory lock. A 429 from
Save Page Now pauses every worker: the policy writes `save_paused_until` to the store, and every
capture asks it first. The account's daily quota (`quota_until`) is the store's as in one process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import procrastinate

from ..clock import epoch_of, iso_of_epoch
from ..defaults import SAVES_PER_MINUTE
from ..store import ArchiveStore, open_queue_db
from ..wayback.client import WaybackClient
from ..wayback.pacing import Backoff, Pacer
from ..wayback.policy import ArchiveReport, ArchiveResult, ArchiveSettings, archive_one, next_utc_midnight
from ..wayback.protocol import UserStatus
from .app import ARCHIVE_TASK, QUEUE, HostBusy, WhenFree, open_app, retry_stalled

__all__ = ["Budget", "SharedBudget", "Wayback", "archive_queued", "register_archive", "run_archive_job"]

POLL = 0.5
ACCOUNT_RETRY = 2.0  # seconds before a capture the account has no free session for asks again


@dataclass(frozen=True)
class Budget:
    """Save Page Now captures all workers together may take: `per_window` per `window` seconds, per day,
    per URL per day, and sessions at once (a session is free again when its job ends, or after `lease`
    seconds if its worker died)."""

    per_window: int = int(SAVES_PER_MINUTE)
    window: float = 60.0
    per_day: int = 100_000
    per_url_day: int = 3
    sessions: int = 3
    lease: float = 600.0


class SharedBudget(Pacer):
    """The client's save pacer for one URL's job: a capture is taken from the shared budget, or the job
    is put back (HostBusy) for when there will be one; a 429 trips it as it trips a Pacer.

    `account` (the client's `user_status`, with keys) is asked before each capture, as spn.sh asks
    it: its sessions in all bound the budget's, none free now puts the job back, and a day's quota
    spent (by any client of the account) is recorded for every worker and the job run again at
    once, so that the policy queues it until the next UTC day."""

    def __init__(self, queue: Any, store: ArchiveStore, url: str, budget: Budget, backoff: Backoff,
                 clock: Callable[[], float], account: Callable[[], Awaitable[UserStatus]] | None = None):
        super().__init__(0, clock, asyncio.sleep, backoff)
        self.queue, self.store, self.url, self.budget, self.account = queue, store, url, budget, account

    async def acquire(self, then=None) -> bool:
        paused = max(self.paused_until, epoch_of(await self.store.archive_state("save_paused_until")) or 0.0)
        if paused > self.clock():
            raise HostBusy(paused - self.clock())  # Save Page Now said 429 to one of us: all rest
        wait = await self.queue.take_capture(self.url, await self._budget())
        if wait > 0:
            raise HostBusy(wait)
        if then is not None and not await then():
            await self.queue.capture_done(self.url)
            return False
        self.calls += 1
        return True

    async def _budget(self) -> Budget:
        """The shared budget, its sessions bounded by the account's own count."""
        if self.account is None:
            return self.budget
        user = await self.account()
        if user.day_spent:
            await self.store.set_archive_state("quota_until", iso_of_epoch(next_utc_midnight(self.clock())))
            raise HostBusy(0)
        if user.available == 0:
            raise HostBusy(ACCOUNT_RETRY)
        if user.sessions:
            return dataclasses.replace(self.budget, sessions=min(self.budget.sessions, user.sessions))
        return self.budget


async def run_archive_job(store: ArchiveStore, queue: Any, client: WaybackClient, budget: Budget, batch: str,
                          url: str, settings: ArchiveSettings) -> None:
    """One URL through the policy with the shared budget as its save pacer; its result kept for the waiter."""
    account = client.user_status if client.has_keys else None
    client.save_pacer = SharedBudget(queue, store, url, budget, client.save_pacer.backoff, client.clock, account)
    try:
        result = await archive_one(store, client, url, settings)
    finally:  # its session is over, and a killed job's before it (the URL's lock: one job of it at a time)
        await queue.capture_done(url)
    await queue.put_result(batch, url, result.as_dict(), client.outage)


async def archive_queued(store: ArchiveStore, urls: list[str], settings: ArchiveSettings, *,
                         stall_timeout: float = 30.0) -> ArchiveReport:
    """Archive `urls` by the queue's workers, one job per URL, and wait for them; the report in `urls`' order."""
    batch = uuid.uuid4().hex
    urls = list(dict.fromkeys(urls))
    options: dict[str, Any] = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(settings).items()}
    queue = await open_queue_db(store.url).open()
    try:
        async with open_app(store.url) as app:
            jobs = [procrastinate.jobs.Job(queue=QUEUE, lock=f"archiver-spn:{url}", queueing_lock=None,
                                           task_name=ARCHIVE_TASK, task_kwargs={"batch": batch, "url": url, "settings": options})
                    for url in urls]
            for i in range(0, len(jobs), 1000):
                await app.job_manager.batch_defer_jobs_async(jobs[i:i + 1000])
            while True:
                left = await queue.jobs_of_batch(ARCHIVE_TASK, batch)
                if not left.get("todo") and not left.get("doing"):
                    break
                await retry_stalled(app, stall_timeout)
                await asyncio.sleep(POLL)
        results, outage = await queue.results(batch)
    finally:
        await queue.close()
    done = {r["url"]: ArchiveResult(r["url"], r["action"], r["archive_url"], r["timestamp"], r["job_id"], r["reason"],
                                    tuple(r["notes"])) for r in results}
    missing = [u for u in urls if u not in done]
    report = ArchiveReport([done[u] for u in urls if u in done], outage=outage)
    if missing:
        report.results += [ArchiveResult(u, "queued", "its archive job failed in a worker (see the worker's log)")
                           for u in missing]
    return report


def settings_of(options: dict) -> ArchiveSettings:
    given: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
    return ArchiveSettings(**given)


@dataclass(frozen=True)
class Wayback:
    """A worker's way to the Wayback Machine: its own keys, base URL and network, and the shared budget."""

    config: Any  # wayback.client.WaybackConfig
    timeout: float = 60.0
    connect_timeout: float = 10.0
    network: Any = None  # archiver.network.Network
    budget: Budget = Budget()


def register_archive(app: procrastinate.App, store: ArchiveStore, queue: Any, http: Any, wayback: Wayback) -> None:
    """The archive task on `app`: each job gets a client of its own (its breaker and pacers), with the
    worker's CDX pacer and the shared Save Page Now budget."""
    cdx_pacer = WaybackClient(http, wayback.config).cdx_pacer

    @app.task(name=ARCHIVE_TASK, queue=QUEUE, retry=WhenFree())
    async def archive_url(batch: str, url: str, settings: dict) -> None:
        client = WaybackClient(http, wayback.config)
        client.cdx_pacer = cdx_pacer
        await run_archive_job(store, queue, client, wayback.budget, batch, url, settings_of(settings))
