"""A check worker's life, once check/boot.py has tied it to its parent: check the URLs its inbox
deals and send the results back in batches, with backpressure (check/workers.py is the parent's
side and says why)."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import AsyncIterator, Awaitable, Callable

from ..models import CheckResult
from .fetch import FetchSettings, check_urls, make_client

__all__ = ["send_in_batches", "worker_main"]

BATCH = 64  # results per message at most
BATCH_BYTES = 1 << 20  # or fewer, once their bodies reach this many bytes


def worker_main(settings: bytes, inbox, conn) -> None:
    """A worker's life once boot.worker has tied it to its parent: check what the inbox deals."""
    try:
        asyncio.run(_worker(pickle.loads(settings), inbox, conn))
    except BaseException as exc:  # a bug, not a per-URL failure: the parent re-raises it
        conn.send_bytes(pickle.dumps(f"{type(exc).__name__}: {exc}"))
    conn.send_bytes(pickle.dumps(None))  # done


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
