"""The check stage as a run: which URLs, in what order, with the outage guard (check/outage.py) and resume.

A transport failure is first written as an *inconclusive* check (committed with its group, so a
resumed run finds it) and applied to its link's state only at the end, when the outage guard knows
the run was online. Otherwise no link changes state and the run reports "network unavailable".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..clock import iso, utcnow
from ..models import CheckRecord, CheckResult
from ..store import ArchiveStore
from .budget import ByteBudget
from .fetch import FetchSettings, check_one, check_urls
from .outage import OutageGuard, canary_reason, origin_memo
from .recorder import Recorder
from .state import ConfirmPolicy

if TYPE_CHECKING:
    from .http import Session


@dataclass
class CheckOutcome:
    """One check as it happened (handed to `on_result`; the run keeps only counts)."""

    url: str
    result: CheckResult
    state: str  # after this check; "inconclusive" while the outage guard is undecided
    previous: str
    drift: float | None = None


@dataclass
class CheckRun:
    """A check run's counts. Results themselves are in archive.db (`checks.run_id`), so memory
    does not grow with the number of URLs."""

    run_id: int
    offline: bool = False
    offline_reason: str | None = None
    resumed: bool = False
    skipped_fresh: int = 0
    to_check: int = 0  # URLs this run set out to check (a resumed run's earlier part included)
    checked: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    newly_failing: int = 0
    newly_dead: int = 0
    revived: int = 0
    changed_content: int = 0

    def count(self, o: CheckOutcome, times: int = 1) -> None:
        self.checked += times
        self.by_status[o.result.status] = self.by_status.get(o.result.status, 0) + times
        self.by_state[o.state] = self.by_state.get(o.state, 0) + times
        self.newly_failing += times * (o.state == "failing" and o.previous != "failing")
        self.newly_dead += times * (o.state == "dead" and o.previous != "dead")
        self.revived += times * (o.state == "revived")
        self.changed_content += times * (o.drift is not None)

    def recount(self, counts) -> None:
        """Counts from the run's checks in archive.db (`run_counts`: one row per kind of check, not
        one per check: reading every row back as a CheckRow cost 30 ms per 1,000 checks)."""
        self.checked, self.by_status, self.by_state = 0, {}, {}
        self.newly_failing = self.newly_dead = self.revived = self.changed_content = 0
        for status, state, previous, changed, times in counts:
            self.count(CheckOutcome("", CheckResult("", status, None), state, previous, 0.0 if changed else None),
                       times)

    @property
    def problems(self) -> bool:
        return bool(self.by_state.get("failing") or self.by_state.get("dead"))

    def summary(self) -> dict:
        return {
            "checked": self.checked,
            "by_status": {k: v for k, v in sorted(self.by_status.items()) if v},
            "by_state": {k: v for k, v in sorted(self.by_state.items()) if v},
            "newly_failing": self.newly_failing,
            "newly_dead": self.newly_dead,
            "revived": self.revived,
            "changed_content": self.changed_content,
            "network_unavailable": self.offline,
            "offline_reason": self.offline_reason,
            "resumed": self.resumed,
            "skipped_fresh": self.skipped_fresh,
            "to_check": self.to_check,
        }


async def run_checks(
    store: ArchiveStore,
    urls: list[str],
    client: Session,
    fetch_settings: FetchSettings,
    *,
    policy: ConfirmPolicy | None = None,
    stale: timedelta | None = None,
    canary: str | None = None,
    outage_share: float = 0.8,
    clock: Callable[[], datetime] = utcnow,
    on_result: Callable[[CheckOutcome], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    resolver=None,
    processes: int = 1,
    first: Awaitable[object] | None = None,
) -> CheckRun:
    """Check `urls`, handing each result to the run's writer (check.recorder). A killed run of
    `check` is resumed.

    When the run finds itself offline it returns with `offline` set (and the reason): transport
    failures stay inconclusive and no link changes state. With `processes` > 1 the fetching runs in
    that many worker processes (archiver.workers); this process still writes every result.
    `on_total(n)`: how many URLs this run will check (a resumed run's earlier part and fresh URLs
    left out), once known; then `on_result` once for each.

    `first`: store writes that come before any check (the documents' citations, `api.record`),
    started at once so they are done while the first requests are in flight, and finished before
    the first check is written and before the run returns or stops, however it stops (offline,
    interrupted, failed); a killed process loses them, and its next run writes them again."""
    policy = policy or ConfirmPolicy()
    ahead: asyncio.Future[object] | None = None
    try:
        previous = await store.unfinished_run("check")
        run = CheckRun(previous or await store.start_run("check"), resumed=previous is not None)
        guard = OutageGuard()
        todo = await _todo(store, run, previous, urls, guard, stale, clock)
        if on_total:
            on_total(len(todo))
        # the citations go to the store now, behind the run's own reads, and the requests start meanwhile
        ahead = asyncio.ensure_future(first) if first is not None else None
        extra = {"resolver": resolver} if resolver else {}
        if canary:
            probe = await check_one(client, canary, fetch_settings, clock=clock, **extra)
            if probe.transport_failure:
                run.offline, run.offline_reason = True, canary_reason(canary, probe)
                await store.finish_run(run.run_id, "offline", run.summary())
                return run
            guard.canary = guard.origin(probe.url) if probe.status != "skipped" else None
        budget = ByteBudget(fetch_settings.body_budget)  # bodies being read, and waiting to be written
        if processes > 1 and resolver is None and len(todo) > processes:
            from .workers import check_urls_in_processes  # multiprocessing and pickle, only for workers

            gen = check_urls_in_processes(interleave_hosts(todo), fetch_settings, processes)
        else:
            gen = check_urls(client, interleave_hosts(todo), fetch_settings, clock=clock, budget=budget, **extra)
        await _consume(store, run, gen, guard, policy, clock, on_result, ahead, budget)
    finally:
        if ahead is None and first is not None:
            ahead = asyncio.ensure_future(first)
        if ahead is not None:
            await ahead  # offline, interrupted, failed: the citations are written all the same
    return await _finish(store, run, guard, policy, outage_share, clock)


async def start_checks(store: ArchiveStore, urls: list[str], *, stale: timedelta | None = None,
                       clock: Callable[[], datetime] = utcnow) -> tuple[CheckRun, list[str]]:
    """A check run started (or the killed one resumed) and the URLs it has still to check, for a
    run whose checks other processes make (archiver/queue/): `conclude` ends it."""
    previous = await store.unfinished_run("check")
    run = CheckRun(previous or await store.start_run("check"), resumed=previous is not None)
    return run, await _todo(store, run, previous, urls, OutageGuard(), stale, clock)


async def conclude(store: ArchiveStore, run: CheckRun, *, policy: ConfirmPolicy | None = None,
                   outage_share: float = 0.8, clock: Callable[[], datetime] = utcnow) -> CheckRun:
    """End a run whose checks other processes recorded: the outage verdict over all of them, read
    back as a resumed run reads its killed part, then as `run_checks` ends."""
    guard = OutageGuard()
    await guard.resume(store, run.run_id, await store.checked_in_run(run.run_id))
    return await _finish(store, run, guard, policy or ConfirmPolicy(), outage_share, clock)


async def _finish(store: ArchiveStore, run: CheckRun, guard: OutageGuard, policy: ConfirmPolicy,
                  outage_share: float, clock: Callable[[], datetime]) -> CheckRun:
    run.offline_reason = guard.offline_reason(outage_share)
    run.offline = run.offline_reason is not None
    if not run.offline:
        await guard.settle(store, policy, clock)
    run.recount(await store.run_counts(run.run_id))  # the whole run, the killed part included
    await store.finish_run(run.run_id, "offline" if run.offline else "problems" if run.problems else "ok",
                           run.summary())
    return run


async def _todo(store: ArchiveStore, run: CheckRun, previous: int | None, urls: list[str], guard: OutageGuard,
                stale: timedelta | None, clock: Callable[[], datetime]) -> list[str]:
    """The URLs this run still has to check: what a resumed run's killed part did not, and (with
    `stale`) what has no conclusive check within it. Reads only."""
    todo = list(dict.fromkeys(urls))
    done: dict[str, bool] = {}
    if previous is not None:
        done = await store.checked_in_run(previous)
        todo = [u for u in todo if u not in done]
        await guard.resume(store, previous, done)
    if stale is not None:
        fresh_before = len(todo)
        todo = await store.stale_urls(todo, iso(clock() - stale))
        run.skipped_fresh = fresh_before - len(todo)
    run.to_check = len(todo) + len(done)
    return todo


async def _consume(store: ArchiveStore, run: CheckRun, gen: AsyncGenerator[CheckResult, None], guard: OutageGuard,
                   policy: ConfirmPolicy, clock: Callable[[], datetime],
                   on_result: Callable[[CheckOutcome], None] | None, ahead: Awaitable[object] | None,
                   budget: ByteBudget | None = None) -> None:
    """Hand each result to the writer as it arrives; the outage guard counts hosts at once."""

    def written(record: CheckRecord, check_id: int) -> None:
        outcome = _outcome(record)
        if record.new is None:
            guard.hold(check_id, outcome.url, outcome.result, outcome.previous)
        run.count(outcome)
        if on_result:
            on_result(outcome)

    recorder = Recorder(store, run.run_id, policy, clock, written, ahead, budget=budget)
    try:
        async for result in gen:
            guard.saw(result)
            await recorder.put(result)
            if guard.early_outage():
                break
    except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C, SIGTERM: stop now, resume next time
        await recorder.close()  # what arrived is written (the citations first): never half a document
        await store.mark_interrupted(run.run_id, run.summary())
        raise
    finally:
        try:
            await recorder.close()
        finally:
            await gen.aclose()


def _outcome(record: CheckRecord) -> CheckOutcome:
    result, new, drift = record.result, record.new, record.drift
    if new is None:  # held back for the outage verdict: no body kept in memory
        return CheckOutcome(result.url, replace(result, snapshot=None, headers=()), "inconclusive",
                            record.previous.state)
    score = None if drift is None else drift.similarity if drift.similarity is not None else 0.0
    return CheckOutcome(result.url, result, new.state, record.previous.state, score)


def interleave_hosts(urls: list[str]) -> list[str]:
    """Round-robin over hosts, so per-host limits never starve the global concurrency."""
    by_host: dict[str, list[str]] = {}
    origin = origin_memo()
    for u in urls:
        by_host.setdefault(origin(u), []).append(u)
    queues = list(by_host.values())
    out: list[str] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out.extend(q[i] for q in queues if i < len(q))
    return out
