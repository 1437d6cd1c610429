"""The check stage as a run: which URLs, in what order, with the outage guard and resume.

Network outage guard: when the run itself is offline, every host fails at the transport level (DNS,
connect, TLS, timeout) and a naive checker marks the whole corpus failing. Here a transport failure
is first written as an *inconclusive* check (committed with its group, so a resumed run finds it)
and only applied to the link's state at the end, when the run knows it was online: most distinct
hosts answered something, and the canary (if configured) was reached. Otherwise no link
changes state and the run reports "network unavailable".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..clock import iso, utcnow
from ..models import CheckRecord, CheckResult, KnownUrl, Settled, UrlState
from ..store import ArchiveStore
from ..urls.keys import origin_of
from .classify import alive_of
from .fetch import FetchSettings, check_one, check_urls
from .recorder import Recorder
from .state import ConfirmPolicy, next_state

if TYPE_CHECKING:
    from .http import Session

EARLY_OUTAGE_HOSTS = 10  # this many distinct hosts and not one HTTP answer: stop, we are offline


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
    resolver=None,
    processes: int = 1,
    first: Awaitable[object] | None = None,
) -> CheckRun:
    """Check `urls`, handing each result to the run's writer (check.recorder). A killed run of
    `check` is resumed.

    When the run finds itself offline it returns with `offline` set (and the reason): transport
    failures stay inconclusive and no link changes state. With `processes` > 1 the fetching runs in
    that many worker processes (archiver.workers); this process still writes every result.

    `first`: store writes that come before any check (the documents' citations, `api.record`),
    started at once so they are done while the first requests are in flight, and finished before
    the first check is written and before the run returns or stops, however it stops (offline,
    interrupted, failed); a killed process loses them, and its next run writes them again."""
    policy = policy or ConfirmPolicy()
    ahead: asyncio.Future[object] | None = None
    try:
        previous = await store.unfinished_run("check")
        run = CheckRun(previous or await store.start_run("check"), resumed=previous is not None)
        guard = _OutageGuard()
        todo = await _todo(store, run, previous, urls, guard, stale, clock)
        # the citations go to the store now, behind the run's own reads, and the requests start meanwhile
        ahead = asyncio.ensure_future(first) if first is not None else None
        extra = {"resolver": resolver} if resolver else {}
        if canary:
            probe = await check_one(client, canary, fetch_settings, clock=clock, **extra)
            if probe.transport_failure:
                run.offline, run.offline_reason = True, f"canary {canary} unreachable ({probe.status})"
                await store.finish_run(run.run_id, "offline", run.summary())
                return run
        if processes > 1 and resolver is None and len(todo) > processes:
            from .workers import check_urls_in_processes  # multiprocessing and pickle, only for workers

            gen = check_urls_in_processes(interleave_hosts(todo), fetch_settings, processes)
        else:
            gen = check_urls(client, interleave_hosts(todo), fetch_settings, clock=clock, **extra)
        await _consume(store, run, gen, guard, policy, clock, on_result, ahead)
    finally:
        if ahead is None and first is not None:
            ahead = asyncio.ensure_future(first)
        if ahead is not None:
            await ahead  # offline, interrupted, failed: the citations are written all the same
    run.offline_reason = guard.offline_reason(outage_share)
    run.offline = run.offline_reason is not None
    if not run.offline:
        await guard.settle(store, policy, clock)
    run.recount(await store.run_counts(run.run_id))  # the whole run, the killed part included
    await store.finish_run(run.run_id, "offline" if run.offline else "problems" if run.problems else "ok",
                           run.summary())
    return run


async def _todo(store: ArchiveStore, run: CheckRun, previous: int | None, urls: list[str], guard: _OutageGuard,
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


async def _consume(store: ArchiveStore, run: CheckRun, gen: AsyncGenerator[CheckResult, None], guard: _OutageGuard,
                   policy: ConfirmPolicy, clock: Callable[[], datetime],
                   on_result: Callable[[CheckOutcome], None] | None, ahead: Awaitable[object] | None) -> None:
    """Hand each result to the writer as it arrives; the outage guard counts hosts at once."""

    def written(record: CheckRecord, check_id: int) -> None:
        outcome = _outcome(record)
        if record.new is None:
            guard.pending.append((check_id, outcome))
        run.count(outcome)
        if on_result:
            on_result(outcome)

    recorder = Recorder(store, run.run_id, policy, clock, written, ahead)
    try:
        async for result in gen:
            host = guard.origin(result.url)
            if result.transport_failure:
                guard.failed.add(host)
                if result.status == "tls-error":
                    guard.tls.add(host)
            elif result.status != "skipped":
                guard.answered.add(host)
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


def origin_memo() -> Callable[[str], str]:
    """`origin_of`, parsed once per scheme and authority (12 us a URL, asked for every check).
    The key is the URL up to the first "/" after "//", which holds the scheme and the whole authority."""
    origins: dict[str, str] = {}

    def origin(url: str) -> str:
        end = url.find("/", url.find("//") + 2)
        key = url if end < 0 else url[:end]
        found = origins.get(key)
        if found is None:
            found = origin_of(url)
            if found != url:  # origin_of gives back an unparsable URL itself: not shared by its key
                origins[key] = found
        return found

    return origin


@dataclass
class _OutageGuard:
    """What the outage verdict needs: hosts that answered, hosts that failed at the network level, and
    the transport failures held back until the verdict (no bodies: small)."""

    answered: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    tls: set[str] = field(default_factory=set)  # of `failed`: the hosts whose TLS failed
    pending: list[tuple[int, CheckOutcome]] = field(default_factory=list)
    origin: Callable[[str], str] = field(default_factory=origin_memo, repr=False, compare=False)

    async def resume(self, store: ArchiveStore, run_id: int, checked: dict[str, bool]) -> None:
        """A resumed run is one run: what its killed part saw counts as if this process had seen it."""
        self.answered.update(self.origin(url) for url, answered in checked.items() if answered)
        for held in await store.held_back(run_id):
            self.failed.add(self.origin(held.url))
            if held.status == "tls-error":
                self.tls.add(self.origin(held.url))
            result = CheckResult(held.url, held.status, alive_of(held.status), error=held.error,
                                 checked_at=datetime.fromisoformat(held.checked_at), transport_failure=True)
            self.pending.append((held.check_id, CheckOutcome(held.url, result, "inconclusive",
                                                             held.previous_state or "unchecked")))

    def early_outage(self) -> bool:
        return not self.answered and len(self.failed) >= EARLY_OUTAGE_HOSTS

    def offline_reason(self, outage_share: float) -> str | None:
        offline_hosts = self.failed - self.answered
        seen = self.failed | self.answered
        if len(seen) >= 3 and len(offline_hosts) >= outage_share * len(seen):
            tls = len(self.tls - self.answered)
            if tls * 2 > len(offline_hosts):  # mostly TLS: a network that intercepts TLS, not an outage
                return (f"TLS failed on {tls} of {len(seen)} hosts: their certificates could not be verified, as "
                        "behind a TLS-inspecting proxy or firewall whose CA this machine does not trust; give that "
                        "CA with SSL_CERT_FILE or --ca-bundle (and the proxy with HTTPS_PROXY or --proxy)")
            return (f"{len(offline_hosts)} of {len(seen)} hosts failed at the network level "
                    f"(DNS, connection, TLS or timeout)")
        return None

    async def settle(self, store: ArchiveStore, policy: ConfirmPolicy, clock: Callable[[], datetime]) -> None:
        """Online after all: apply each held-back transport failure to its link's state."""
        if not self.pending:
            return
        known = await store.known_urls([outcome.url for _, outcome in self.pending])
        settled = []
        for check_id, outcome in self.pending:
            prev = known[outcome.url].state if outcome.url in known else UrlState()
            new = next_state(prev, outcome.result, outcome.result.checked_at or clock(), policy)
            settled.append(Settled(check_id, outcome.url, new, outcome.result.status, outcome.result.alive))
            known[outcome.url] = KnownUrl(outcome.url, new)
        await store.settle_inconclusive(settled)


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
