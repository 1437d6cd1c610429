"""The check run's one writer: results in, groups of decided checks out to the store.

Why one writer task: the store is asynchronous (a call may be a network round trip), and a run that
awaited the store for every result would fetch no faster than the store answers. Results wait in a
buffer instead, and one task hands them over in groups (every 0.25 s or 256 checks, whichever comes
first, and at close), one `record_checks` call, one transaction, per group; the requests go on
meanwhile. A killed run loses the group being gathered and the one being written (a resumed run
checks those URLs again), never half a check. When the store falls a whole group behind, `put`
waits: memory stays bounded and nothing is dropped.

The bodies waiting here count against the run's byte budget (check/budget.py) until their group is
written: uncounted, a slow store let the pages of 512 results pile up behind the checker's back.
They are counted without waiting (they exist already); a budget they fill makes the checker wait,
and `put` itself waits while the writer holds more than the whole budget (the worker processes'
results, which no checker here counted).

The stage decides, the store stores: for each group the writer reads what the store knows of its
URLs (one call), works out each URL's next state (check.state) and, where a live page's bytes
changed, how much its text changed (in a worker thread, off the event loop), and hands the store
`CheckRecord`s.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from ..clock import iso
from ..models import CheckRecord, CheckResult, Drift, KnownUrl, Snapshot
from ..store import ArchiveStore
from .budget import ByteBudget, Lease
from .state import ConfirmPolicy, next_state

GROUP_SECONDS = 0.25
GROUP_SIZE = 256


class Recorder:
    """Gathers a run's results and writes them in groups; `on_written(record, check_id)` is called
    for each check once its group is committed."""

    def __init__(self, store: ArchiveStore, run_id: int, policy: ConfirmPolicy, clock: Callable[[], datetime],
                 on_written: Callable[[CheckRecord, int], None], first: Awaitable[object] | None = None, *,
                 seconds: float = GROUP_SECONDS, size: int = GROUP_SIZE, budget: ByteBudget | None = None):
        self.store, self.run_id, self.policy, self.clock = store, run_id, policy, clock
        self.on_written, self.seconds, self.size = on_written, seconds, size
        self._first = first
        self._buffer: list[CheckResult] = []
        self._opened = 0.0  # when the oldest result in the buffer arrived
        self._wake = asyncio.Event()  # a result arrived in an empty buffer, a group filled, or closing
        self._room = asyncio.Event()  # set while the buffer may grow
        self._room.set()
        self._closing = False
        self.budget = budget
        self._leases: dict[int, Lease] = {}  # id(result) -> the budget its body holds while it waits
        self._written = asyncio.Event()  # a group was written: bytes came back
        self._task = asyncio.ensure_future(self._run())
        self._task.add_done_callback(lambda _: self._written.set())

    async def put(self, result: CheckResult) -> None:
        if self._task.done():
            self._task.result()  # the writer failed (a full disk): the run stops with its error
        if self.budget is not None and result.snapshot is not None:
            lease = self._leases[id(result)] = self.budget.lease()
            self.budget.force(lease, len(result.snapshot.body))
        self._buffer.append(result)
        if len(self._buffer) == 1:
            self._opened = time.monotonic()
            self._wake.set()
        elif len(self._buffer) >= self.size:
            self._wake.set()
            if len(self._buffer) >= 2 * self.size:  # a group is being written and the next is full
                self._room.clear()
                await self._room.wait()
        # Bodies in flight and bodies waiting here share one budget: while the run holds more than it,
        # the next result waits for the writer to give bytes back (it only waits while this holds some,
        # which the writer always releases, so the checks' bytes can never keep it waiting for ever).
        while (self.budget is not None and self._holding() and self.budget.used > self.budget.limit
               and not self._task.done()):
            self._written.clear()  # the writer's next group gives bytes back (this result is queued too)
            await self._written.wait()

    def _holding(self) -> int:
        return sum(lease.held for lease in self._leases.values())

    async def close(self) -> None:
        """Write what is left and stop; raises what a write raised."""
        self._closing = True
        self._wake.set()
        await self._task

    async def _run(self) -> None:
        if self._first is not None:
            await self._first  # the documents' citations come before any check
        while self._buffer or not self._closing:
            if not self._buffer:
                self._wake.clear()
                await self._wake.wait()
                continue
            due = self._opened + self.seconds - time.monotonic()
            if len(self._buffer) < self.size and due > 0 and not self._closing:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), due)
                continue
            group, self._buffer = self._buffer[:self.size], self._buffer[self.size:]
            self._opened = time.monotonic()
            self._room.set()
            try:
                await self._write(group)
            finally:
                for result in group:
                    lease = self._leases.pop(id(result), None)
                    if lease is not None:
                        lease.release()
                self._written.set()

    async def _write(self, group: list[CheckResult]) -> None:
        known = await self.store.known_urls([r.url for r in group])
        records = []
        pages: dict[str, Snapshot] = {}  # this group's pages, not yet in the store
        for result in group:
            prior = known.get(result.url) or KnownUrl(result.url)
            when = result.checked_at or self.clock()
            new = None if result.transport_failure else next_state(prior.state, result, when, self.policy)
            drift = await self._drift(prior, result, pages)
            if result.snapshot is not None:
                pages[result.snapshot.sha256] = result.snapshot
            records.append(CheckRecord(result, self.run_id, iso(when) or "", prior.state, new, drift))
            live = result.snapshot.sha256 if result.snapshot and result.alive and new else None
            known[result.url] = KnownUrl(result.url, new or prior.state, result.status if new else prior.last_status,
                                         live or prior.last_sha256)  # the same URL again in this group
        ids = await self.store.record_checks(records)
        for record, check_id in zip(records, ids, strict=True):
            self.on_written(record, check_id)

    async def _drift(self, prior: KnownUrl, result: CheckResult, pages: dict[str, Snapshot]) -> Drift | None:
        """How much a live page's text changed since its last snapshot, when its bytes did."""
        snap, old_sha = result.snapshot, prior.last_sha256
        if snap is None or not result.alive or not old_sha or old_sha == snap.sha256:
            return None
        same_group = pages.get(old_sha)
        old = (same_group.body, same_group.content_type) if same_group else await self.store.snapshot_body(old_sha)
        return await asyncio.to_thread(drift_between, old_sha, old, snap)


def drift_between(old_sha: str, old: tuple[bytes, str | None] | None, new: Snapshot) -> Drift | None:
    """The text drift from a stored snapshot (`old`: its body and content type) to `new`; None when
    only markup, ads or timestamps outside the main text changed. Compares the whole text, not the
    excerpt kept in `snapshots.text`."""
    from .classify import similarity

    a, b = _text(*old) if old else "", _text(new.body, new.content_type)
    if a == b:
        return None
    score = similarity(a, b, limit=None)
    return Drift(old_sha, score, f"text changed: {len(a)} -> {len(b)} characters, {score:.0%} similar")


def _text(body: bytes, content_type: str | None) -> str:
    from .page import decode_body, extract_text, is_html

    decoded, _ = decode_body(body, content_type)
    if decoded is None:
        return ""
    return extract_text(decoded) if is_html(content_type) or "<html" in decoded[:1024].lower() else decoded
