"""Check URLs in several processes: one event loop per core, each owning a share of the hosts.

Why: one event loop is CPU-bound long before the network is busy. Each worker process runs
`fetch.check_urls` for the hosts dealt to it (round-robin by host, in order of first appearance),
so per-host limits and the soft-404 probe cache hold exactly as in one process, and the global
concurrency is split between them. The parent alone writes archive.db.

The protocol is one pipe per worker, read by the parent's event loop only when it is ready for
more (no reader threads, no unbounded queue on either side):
- results travel in pickled batches (the hops, not the bytes, are what cost), a batch closed at
  `BATCH` results or `BATCH_BYTES` of bodies;
- backpressure: while one batch is in the pipe, a worker fills the next and then stops pulling
  results; `check_urls` then stops starting fetches. A worker holds at most about
  2 x its concurrency + 2 batches of results, so memory is bounded by concurrency x max body,
  however many large bodies the run meets and however slow the parent is at writing them;
- a worker watches its parent's sentinel in a thread and exits the moment the parent is gone
  (SIGKILL included), whatever it was doing: no orphan finishes the URLs it had queued.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import pickle
import signal
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import cast

from ..facts import origin_of
from ..models import CheckResult
from .fetch import FetchSettings, check_urls, make_client

__all__ = ["check_urls_in_processes", "default_processes", "send_in_batches"]

BATCH = 64  # results per message at most
BATCH_BYTES = 1 << 20  # or fewer, once their bodies reach this many bytes
ORPHAN_EXIT = 70  # a worker's exit code when its parent died


def default_processes() -> int:
    """One process per core but one, at most 4: 1 (no workers) on a 2-core machine.

    Measured there (benchmarks/check_bench.py, 2,000 URLs): 2 workers cost 10.2 s of CPU and took
    longer than 1 process at 6.5 s. Each worker pays ~0.5 s of CPU to start (a fresh interpreter
    importing httpx, aiohttp and archiver) plus pickling every result to the parent, and on 2 cores
    it competes with the parent, which writes archive.db. Beyond 4 the network is the limit."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


# ------------------------------------------------------------ worker ---

def _worker_main(settings: FetchSettings, inbox, conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    _exit_with_parent()
    try:
        asyncio.run(_worker(settings, inbox, conn))
    except BaseException as exc:  # a bug, not a per-URL failure: the parent re-raises it
        conn.send_bytes(pickle.dumps(f"{type(exc).__name__}: {exc}"))
    conn.send_bytes(pickle.dumps(None))  # done


def _exit_with_parent() -> None:
    """Exit at once when the parent process is gone: its sentinel becomes readable then."""
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(ORPHAN_EXIT)

    threading.Thread(target=watch, daemon=True, name="archiver-parent-watch").start()


async def _worker(settings: FetchSettings, inbox, conn) -> None:
    loop = asyncio.get_running_loop()

    async def urls():
        while (chunk := await loop.run_in_executor(None, inbox.get)) is not None:
            for url in chunk:
                yield url

    def send(batch: list) -> Awaitable[None]:
        return loop.run_in_executor(None, conn.send_bytes, pickle.dumps(batch, protocol=5))

    async with make_client(settings) as client:
        await send_in_batches(check_urls(client, urls(), settings), send)


async def send_in_batches(results: AsyncIterator[CheckResult], send: Callable[[list], Awaitable[None]],
                          batch: int = BATCH, batch_bytes: int = BATCH_BYTES) -> None:
    """Send `results` in batches, one send at a time. While a send is under way the next batch
    fills up to `batch` results or `batch_bytes`; then no result is pulled until the send is
    done (backpressure: the source stops fetching)."""
    pending: list[CheckResult] = []
    size = 0
    sending: asyncio.Future | None = None
    async for result in results:
        pending.append(result)
        size += result.snapshot.size if result.snapshot else 0
        if sending is not None and not sending.done() and len(pending) < batch and size < batch_bytes:
            continue
        if sending is not None:
            await sending
        sending = asyncio.ensure_future(send(pending))
        pending, size = [], 0
    if sending is not None:
        await sending
    if pending:
        await send(pending)


# ------------------------------------------------------------ parent ---

async def check_urls_in_processes(urls: Iterable[str], settings: FetchSettings,
                                  processes: int) -> AsyncGenerator[CheckResult, None]:
    """Like fetch.check_urls, with the hosts split over `processes` worker processes."""
    # spawn: nothing of this (possibly threaded) process is forked, and the workers are our own
    # children, so their CPU and memory show in the run's accounting.
    ctx = mp.get_context("spawn")
    share = replace(settings, concurrency=max(1, settings.concurrency // processes))
    inboxes = [ctx.Queue(maxsize=max(2, share.concurrency // 4)) for _ in range(processes)]
    pipes = [ctx.Pipe(duplex=False) for _ in range(processes)]
    workers = [ctx.Process(target=_worker_main, args=(share, inbox, writer), daemon=True,
                           name=f"archiver-check-{i}") for i, (inbox, (_, writer)) in enumerate(zip(inboxes, pipes))]
    for w in workers:
        w.start()
    for _, writer in pipes:
        writer.close()  # the workers hold the write ends: a dead worker reads as end of file
    readers = [reader for reader, _ in pipes]
    stop = threading.Event()
    dealt = [0]
    feeder = threading.Thread(target=_feed, args=(urls, inboxes, stop, dealt), daemon=True, name="archiver-feed")
    feeder.start()
    received = 0
    try:
        async for batch in _messages(readers):
            for result in batch:
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
        for q in inboxes:
            q.cancel_join_thread()
            q.close()
        for reader in readers:
            reader.close()


async def _messages(readers: list[Connection]) -> AsyncIterator[list[CheckResult]]:
    """Batches from the workers until each has said it is done; read only when asked for more."""
    loop = asyncio.get_running_loop()
    open_ = list(readers)
    while open_:
        for ready in wait(open_, timeout=0) or await _readable(loop, open_):
            reader = cast(Connection, ready)
            try:
                message = pickle.loads(reader.recv_bytes())
            except EOFError:
                raise RuntimeError("a check worker died (killed, or out of memory?)") from None
            if message is None:
                open_.remove(reader)
            elif isinstance(message, str):
                raise RuntimeError(f"a check worker failed: {message}")
            else:
                yield message


async def _readable(loop: asyncio.AbstractEventLoop, readers: list) -> list:
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    for reader in readers:
        loop.add_reader(reader.fileno(), wake)
    try:
        await ready
    finally:
        for reader in readers:
            loop.remove_reader(reader.fileno())
    return wait(readers, timeout=0)


def _feed(urls: Iterable[str], inboxes: list, stop: threading.Event, dealt: list[int], chunk: int = 8) -> None:
    """Deal URLs to the workers in small chunks, every URL of one host to the same worker."""
    owner: dict[str, int] = {}
    pending: list[list[str]] = [[] for _ in inboxes]
    try:
        for url in urls:
            if stop.is_set():
                return
            index = owner.setdefault(origin_of(url), len(owner) % len(inboxes))
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
