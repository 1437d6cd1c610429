"""`archiver worker`: one process running the queue's jobs until stopped. SIGINT or SIGTERM stop it
at once (api.interrupt): what its jobs recorded is kept, and the worker leaves procrastinate's table
of workers, so the jobs it held go back in the queue at the next look for stalled jobs.

Besides the check jobs, every worker runs two periodic tasks (procrastinate's periodic tasks: one
job per tick, whichever worker defers it first):
- `archiver.retry_stalled`, each minute: the jobs of workers silent for `stall_timeout` go back in
  the queue (a waiting `check --queue` does the same every half second);
- `archiver.recheck`, at the `recheck` cron times when given: the cron use without cron, a check
  of every URL the documents cite (with `stale`, of those without a recent conclusive check) run
  as a queued run inside the worker that picks it up.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from datetime import timedelta

import procrastinate.worker

from ..check.fetch import FetchSettings, make_client
from ..check.state import ConfirmPolicy
from ..store import open_queue_db, open_store
from ..wayback.client import WaybackConfig, http_client
from .app import QUEUE, open_app, retry_stalled
from .archives import Wayback, register_archive
from .checks import Worker, check_queued, register

__all__ = ["run_worker"]


async def run_worker(db: str, settings: FetchSettings, *, concurrency: int = 16, stall_timeout: float = 30.0,
                     recheck: str | None = None, stale: timedelta | None = None,
                     policy: ConfirmPolicy | None = None, wayback: Wayback | None = None,
                     on_ready: Callable[[int], None] | None = None) -> None:
    """Run jobs from `db`'s queue, `concurrency` at once, until stopped; `on_ready(its id in
    procrastinate's table of workers)` once it takes jobs. `wayback`: how this worker reaches the
    Wayback Machine for archive jobs (none: the default public one, no keys)."""
    import httpx

    store = open_store(db)
    queue = await open_queue_db(db).open()
    wayback = wayback or Wayback(WaybackConfig())
    timeout = httpx.Timeout(wayback.timeout, connect=wayback.connect_timeout)
    try:
        async with (make_client(settings) as client, http_client(wayback.config.base_url, timeout, wayback.network) as http,
                    open_app(db, pool_size=max(2, concurrency // 4)) as app):
            register(app)
            register_archive(app, store, queue, http, wayback)
            _periodic(app, db, settings, stall_timeout, recheck, stale, policy or ConfirmPolicy())
            worker = procrastinate.worker.Worker(
                app, queues=[QUEUE], concurrency=concurrency, name=worker_name(),
                additional_context={"archiver": Worker(store, queue, client, settings)},
                update_heartbeat_interval=max(stall_timeout / 4, 0.25), stalled_worker_timeout=stall_timeout,
                install_signal_handlers=False)  # the command line's (cli/exits.py) stop it
            running = asyncio.ensure_future(worker.run())
            while worker.worker_id is None and not running.done():
                await asyncio.sleep(0.05)
            if on_ready is not None and worker.worker_id is not None:
                on_ready(worker.worker_id)
            await running
    finally:
        await queue.close()
        await store.close()


def worker_name() -> str:
    """How procrastinate's table of workers names this one: its machine and process."""
    return f"archiver-worker {socket.gethostname()} {os.getpid()}"


def _periodic(app, db: str, settings: FetchSettings, stall_timeout: float, recheck: str | None,
              stale: timedelta | None, policy: ConfirmPolicy) -> None:
    @app.periodic(cron="* * * * *", periodic_id="retry-stalled")
    @app.task(name="archiver.retry_stalled", queue=QUEUE, queueing_lock="archiver.retry_stalled")
    async def stalled(timestamp: int) -> int:
        return await retry_stalled(app, stall_timeout)

    if recheck is None:
        return

    @app.periodic(cron=recheck, periodic_id="recheck")
    @app.task(name="archiver.recheck", queue=QUEUE, queueing_lock="archiver.recheck")
    async def recheck_all(timestamp: int) -> dict:
        store = open_store(db)
        try:
            await store.lock()  # one run per archive, as from the command line
            urls = [u for u, places in (await store.places_for(await store.all_urls())).items() if places]
            run = await check_queued(store, urls, settings, policy=policy, stale=stale, stall_timeout=stall_timeout)
            return run.summary()
        finally:
            await store.close()
