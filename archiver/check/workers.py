"""Check URLs in several processes: one event loop per core, each owning a share of the hosts.

Why: per request, httpx/httpcore cost about 3 ms of CPU, more than the page-level work; on the
2-core machines we run on, one event loop is CPU-bound long before the network is busy. Each worker
process runs `fetch.check_urls` for the hosts dealt to it (round-robin by host, in order of first
appearance), so per-host limits and the soft-404 probe cache hold exactly as in one process, and
the global concurrency is split between them. Results (CheckResult values, snapshots included)
come back through one bounded queue to the parent, which alone writes archive.db.

A worker whose parent has died (SIGKILL) takes no new URL and exits: it checks at every pick and
every send (at least every half second), so no orphan keeps fetching.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import queue
import threading
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from urllib.parse import urlsplit

from .fetch import FetchSettings, check_urls, make_client
from ..models import CheckResult

__all__ = ["check_urls_in_processes", "default_processes"]

_DONE = "__archiver_worker_done__"


def default_processes() -> int:
    """One worker per core, at most 4 (beyond that the network, not the CPU, is the limit)."""
    return max(1, min(4, os.cpu_count() or 1))


def _worker_main(settings: FetchSettings, inbox, outbox, parent: int) -> None:
    try:
        asyncio.run(_worker(settings, inbox, outbox, parent))
    except BaseException as exc:  # a bug, not a per-URL failure: the parent re-raises it
        outbox.put(("error", f"{type(exc).__name__}: {exc}"))
    outbox.put(_DONE)


async def _worker(settings: FetchSettings, inbox, outbox, parent: int) -> None:
    """Fetch the URLs dealt to this process; send results back in batches (one queue hop per batch,
    not per URL: the hops, not the bytes, are what cost)."""
    loop = asyncio.get_running_loop()
    ready: list[CheckResult] = []
    more = asyncio.Event()

    async def urls():
        while True:
            chunk = await loop.run_in_executor(None, _get, inbox, parent)
            if chunk is None:
                return
            for url in chunk:
                yield url

    async def sender():
        while True:
            await more.wait()
            more.clear()
            batch, ready[:] = list(ready), []
            if batch:
                await loop.run_in_executor(None, _put, outbox, batch, parent)
            if batch and batch[-1] is None:
                return

    task = asyncio.ensure_future(sender())
    try:
        async with make_client(settings) as client:
            async for result in check_urls(client, urls(), settings):
                ready.append(result)
                more.set()
    finally:
        ready.append(None)  # end marker for the sender, dropped by the parent
        more.set()
        await task


def _alive(pid: int) -> bool:
    """Is the parent run still there? (Checked by pid, not ppid, so any start method works.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _get(inbox, parent: int):
    """The next chunk of URLs, or None at the end or once the parent has died."""
    while _alive(parent):
        try:
            return inbox.get(timeout=0.5)
        except queue.Empty:
            continue
    return None


def _put(outbox, batch: list, parent: int) -> None:
    """Send a batch to the parent; give up (drop it) if the parent has died."""
    while _alive(parent):
        try:
            return outbox.put(batch, timeout=0.5)
        except queue.Full:
            continue


async def check_urls_in_processes(urls: Iterable[str], settings: FetchSettings,
                                  processes: int) -> AsyncIterator[CheckResult]:
    """Like fetch.check_urls, with the hosts split over `processes` worker processes."""
    # spawn: nothing of this (possibly threaded) process is forked, and the workers are our own
    # children, so their CPU and memory show in the run's accounting.
    ctx = mp.get_context("spawn")
    share = replace(settings, concurrency=max(1, settings.concurrency // processes))
    inboxes = [ctx.Queue(maxsize=max(2, share.concurrency // 4)) for _ in range(processes)]
    outbox = ctx.Queue(maxsize=max(4, settings.concurrency // 2))
    workers = [ctx.Process(target=_worker_main, args=(share, inbox, outbox, os.getpid()), daemon=True,
                           name=f"archiver-check-{i}") for i, inbox in enumerate(inboxes)]
    for w in workers:
        w.start()
    stop = threading.Event()
    dealt = [0]
    feeder = threading.Thread(target=_feed, args=(urls, inboxes, stop, dealt), daemon=True, name="archiver-feed")
    feeder.start()
    loop = asyncio.get_running_loop()
    received = 0
    try:
        finished = 0
        while finished < processes:
            item = await loop.run_in_executor(None, outbox.get)
            if item == _DONE:
                finished += 1
            elif isinstance(item, tuple) and item[:1] == ("error",):
                raise RuntimeError(f"a check worker failed: {item[1]}")
            else:
                for result in item:
                    if result is not None:
                        received += 1
                        yield result
        feeder.join(5)
        if received != dealt[0]:
            raise RuntimeError(f"check workers returned {received} results for {dealt[0]} URLs")
    finally:
        stop.set()
        for w in workers:
            if w.is_alive():
                w.terminate()
        for w in workers:
            w.join(5)
        for q in (*inboxes, outbox):
            q.cancel_join_thread()
            q.close()


def _feed(urls: Iterable[str], inboxes: list, stop: threading.Event, dealt: list[int], chunk: int = 8) -> None:
    """Deal URLs to the workers in small chunks, every URL of one host to the same worker."""
    owner: dict[str, int] = {}
    pending: list[list[str]] = [[] for _ in inboxes]
    try:
        for url in urls:
            if stop.is_set():
                return
            index = owner.setdefault(urlsplit(url).netloc.lower(), len(owner) % len(inboxes))
            pending[index].append(url)
            dealt[0] += 1
            if len(pending[index]) >= chunk:
                inboxes[index].put(pending[index])
                pending[index] = []
    finally:
        if not stop.is_set():
            for inbox, rest in zip(inboxes, pending):
                if rest:
                    inbox.put(rest)
                inbox.put(None)
