"""The SQLite store behind the asynchronous boundary: one connection on one thread of its own.

Why a thread: `ArchiveStore` is asynchronous so that a store whose calls take a network round trip
never holds up the event loop; SQLite's calls are local but not free (a group of checks is a few
milliseconds of inserts and zlib), and on this thread they overlap the network instead of pausing
it. One thread means one connection and calls in the order they were made, so a write made before
a read is seen by it, as on a single connection.

A call, once made, runs to its end even when the coroutine awaiting it is cancelled: cancelling a
run never drops a write it already handed over. `close()` waits for the calls made before it.
sqlite3's errors become archiver's (failures.py) here, before they leave the thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from ...models import (
    CaptureRow,
    CheckRecord,
    DocumentChanges,
    Evidence,
    HeldBack,
    KnownUrl,
    Place,
    QuoteCheck,
    Repaired,
    Screenshot,
    Settled,
    StampKind,
    Timestamp,
)
from . import Store
from .failures import store_error

T = TypeVar("T")

_Job = tuple[Callable[[], Any], concurrent.futures.Future]


class ThreadedStore:
    """archiver.store.ArchiveStore over archive.db: every call runs on the store's own thread."""

    def __init__(self, path: str | os.PathLike, *, borrow: Store | None = None, **options: Any):
        self.path = self.url = str(path)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=f"archiver-store {self.path}", daemon=True)
        self._thread.start()
        self._owned = borrow is None
        try:
            self._store: Store = borrow or self._submit(lambda: Store(path, **options)).result()
        except BaseException:
            self._jobs.put(None)
            raise

    @classmethod
    def borrowing(cls, store: Store) -> ThreadedStore:
        """The asynchronous face of an open `Store` (a test's, or a tool's that reads it after):
        `close()` ends the thread and leaves the store open. Its connection is then used from
        the store's thread; the owner must not use it until `close()` returns."""
        return cls(store.path, borrow=store)

    # -- the thread ------------------------------------------------------------------------
    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, done = job
            try:
                value = fn()
            except sqlite3.Error as exc:
                done.set_exception(store_error(self.path, exc))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, raised there
                done.set_exception(exc)
            else:
                done.set_result(value)

    def _submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        done: concurrent.futures.Future[T] = concurrent.futures.Future()
        done.set_running_or_notify_cancel()  # never cancelled: a call made runs to its end
        self._jobs.put((fn, done))
        return done

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        done = self._submit(lambda: fn(*args, **kwargs))
        return await asyncio.wrap_future(done)  # cancelling the wait leaves the call running: it is RUNNING

    # -- lifecycle and runs ----------------------------------------------------------------
    def now(self) -> str:
        return self._store.now()

    async def lock(self) -> None:
        await self._call(self._store.lock)

    async def close(self) -> None:
        """Close after the calls already made; the thread ends."""
        if self._thread.is_alive():
            try:
                await self._call(self._store.close if self._owned else lambda: None)
            finally:
                self._jobs.put(None)

    async def start_run(self, command: str) -> int:
        return await self._call(self._store.start_run, command)

    async def finish_run(self, run_id: int, outcome: str, summary: dict) -> None:
        await self._call(self._store.finish_run, run_id, outcome, summary)

    async def unfinished_run(self, command: str) -> int | None:
        return await self._call(self._store.unfinished_run, command)

    async def mark_interrupted(self, run_id: int, summary: dict) -> None:
        await self._call(self._store.mark_interrupted, run_id, summary)

    async def checked_in_run(self, run_id: int) -> dict[str, bool]:
        return await self._call(self._store.checked_in_run, run_id)

    # -- documents and citations -----------------------------------------------------------
    async def save_document(self, path: str, fmt: str, sha256: str | None,
                            repaired: Iterable[Repaired]) -> DocumentChanges:
        return await self._call(self._store.save_document, path, fmt, sha256, repaired)

    async def places_for(self, urls: list[str]) -> dict[str, list[Place]]:
        return await self._call(self._store.places_for, urls)

    async def first_cited(self, url: str) -> tuple[str | None, str | None, tuple[str, str] | None]:
        return await self._call(self._store.first_cited, url)

    # -- checks ----------------------------------------------------------------------------
    async def known_urls(self, urls: list[str]) -> dict[str, KnownUrl]:
        return await self._call(self._store.known_urls, urls)

    async def stale_urls(self, urls: list[str], older_than: str) -> list[str]:
        return await self._call(self._store.stale_urls, urls, older_than)

    async def record_checks(self, records: Sequence[CheckRecord]) -> list[int]:
        return await self._call(self._store.record_checks, records)

    async def snapshot_body(self, sha256: str) -> tuple[bytes, str | None] | None:
        return await self._call(self._store.snapshot_body, sha256)

    async def held_back(self, run_id: int) -> list[HeldBack]:
        return await self._call(self._store.held_back, run_id)

    async def settle_inconclusive(self, settled: Sequence[Settled]) -> None:
        await self._call(self._store.settle_inconclusive, settled)

    async def run_counts(self, run_id: int) -> list[tuple[str, str, str, bool, int]]:
        return await self._call(self._store.run_counts, run_id)

    # -- archive captures and run-wide archive state ---------------------------------------
    async def archive_state(self, key: str) -> str | None:
        return await self._call(self._store.archive_state, key)

    async def set_archive_state(self, key: str, value: str | None) -> None:
        await self._call(self._store.set_archive_state, key, value)

    async def capture(self, url: str, need: str) -> CaptureRow | None:
        return await self._call(self._store.capture, url, need)

    async def open_jobs(self) -> list[CaptureRow]:
        return await self._call(self._store.open_jobs)

    async def open_capture(self, url: str, need: str, state: str, now: str, **fields: object) -> int:
        return await self._call(self._store.open_capture, url, need, state, now, **fields)

    async def begin_submit(self, capture_id: int, now: str) -> None:
        await self._call(self._store.begin_submit, capture_id, now)

    async def record_job(self, capture_id: int, job_id: str, now: str, reason: str | None = None) -> None:
        await self._call(self._store.record_job, capture_id, job_id, now, reason)

    async def finish_capture(self, capture_id: int, state: str, now: str, **fields: object) -> None:
        await self._call(self._store.finish_capture, capture_id, state, now, **fields)

    async def capture_submission(self, capture_id: int) -> tuple[str | None, str | None]:
        return await self._call(self._store.capture_submission, capture_id)

    async def all_urls(self) -> list[str]:
        return await self._call(self._store.all_urls)

    async def evidence(self, url: str) -> Evidence:
        return await self._call(self._store.evidence, url)

    async def save_quotes(self, citation_ids: Sequence[int], checks: Sequence[QuoteCheck], now: str) -> None:
        await self._call(self._store.save_quotes, citation_ids, checks, now)

    # -- evidence ---------------------------------------------------------------------------
    async def unstamped(self, kind: StampKind, tsa: str) -> list[str]:
        return await self._call(self._store.unstamped, kind, tsa)

    async def save_timestamps(self, stamps: Sequence[Timestamp]) -> None:
        await self._call(self._store.save_timestamps, list(stamps))

    async def screenshot_due(self, urls: Sequence[str]) -> list[str]:
        return await self._call(self._store.screenshot_due, list(urls))

    async def save_screenshot(self, shot: Screenshot) -> None:
        await self._call(self._store.save_screenshot, shot)
