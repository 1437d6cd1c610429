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
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..clock import iso, utcnow
from ..models import CheckResult
from ..store.sqlite import Store
from ..urls.keys import origin_of
from .classify import alive_of
from .fetch import FetchSettings, check_one, check_urls
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
    store: Store,
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
    first: Iterable[object] | None = None,
) -> CheckRun:
    """Check `urls`, committing each result as it arrives. A killed run of `check` is resumed.

    When the run finds itself offline it returns with `offline` set (and the reason): transport
    failures stay inconclusive and no link changes state. With `processes` > 1 the fetching runs in
    that many worker processes (archiver.workers); this process still writes every result.

    `first`: store writes that come before any check (the documents' citations, `api.recording`),
    a step per item; iterated again, it goes on with what is left. They are done while the first
    requests are in flight, and finished before the first check is written and before the run
    returns or stops, however it stops (offline, interrupted, failed); a killed process loses them,
    and its next run writes them again."""
    policy = policy or ConfirmPolicy()
    previous = store.unfinished_run("check")
    run = CheckRun(previous or store.start_run("check"), resumed=previous is not None)
    ahead = Alongside(first or ())
    try:
        guard = _OutageGuard()
        todo = _todo(store, run, previous, urls, guard, stale, clock)
        extra = {"resolver": resolver} if resolver else {}
        if canary:
            probe = await check_one(client, canary, fetch_settings, clock=clock, **extra)
            if probe.transport_failure:
                ahead.finish()
                run.offline, run.offline_reason = True, f"canary {canary} unreachable ({probe.status})"
                store.finish_run(run.run_id, "offline", run.summary())
                return run
        if processes > 1 and resolver is None and len(todo) > processes:
            from .workers import check_urls_in_processes  # multiprocessing and pickle, only for workers

            gen = check_urls_in_processes(interleave_hosts(todo), fetch_settings, processes)
        else:
            gen = check_urls(client, interleave_hosts(todo), fetch_settings, clock=clock, **extra)
        await _consume(store, run, gen, guard, policy, clock, on_result, ahead)
    finally:
        ahead.finish()  # offline, failed: the citations are written all the same
    run.offline_reason = guard.offline_reason(outage_share)
    run.offline = run.offline_reason is not None
    if not run.offline:
        guard.settle(store, policy, clock)
    run.recount(store.run_counts(run.run_id))  # the whole run, the killed part included
    store.finish_run(run.run_id, "offline" if run.offline else "problems" if run.problems else "ok", run.summary())
    return run


def _todo(store: Store, run: CheckRun, previous: int | None, urls: list[str], guard: _OutageGuard,
          stale: timedelta | None, clock: Callable[[], datetime]) -> list[str]:
    """The URLs this run still has to check: what a resumed run's killed part did not, and (with
    `stale`) what has no conclusive check within it. Reads only."""
    todo = list(dict.fromkeys(urls))
    done: set[str] = set()
    if previous is not None:
        done = store.checked_in_run(previous)
        todo = [u for u in todo if u not in done]
        guard.resume(store, previous)
    if stale is not None:
        fresh_before = len(todo)
        todo = store.stale_urls(todo, iso(clock() - stale))
        run.skipped_fresh = fresh_before - len(todo)
    run.to_check = len(todo) + len(done)
    return todo


async def _consume(store: Store, run: CheckRun, gen: AsyncGenerator[CheckResult, None], guard: _OutageGuard,
                   policy: ConfirmPolicy, clock: Callable[[], datetime],
                   on_result: Callable[[CheckOutcome], None] | None, ahead: Alongside) -> None:
    """Write each result as it arrives (once `ahead` is done: the citations first)."""
    group = store.group_commit()
    try:
        async for result in gen:
            await ahead.wait()
            outcome = _record(store, run.run_id, result, guard, policy, result.checked_at or clock())
            run.count(outcome)
            if on_result:
                on_result(outcome)
            if guard.early_outage():
                break
    except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C, SIGTERM: stop now, resume next time
        ahead.finish()
        store.mark_interrupted(run.run_id, run.summary())
        raise
    finally:
        ahead.finish()  # before the group commits: never half a document
        group.close()
        await gen.aclose()


class Alongside:
    """Steps of work (each item of an iterable one step) run on the event loop between its other
    work, from construction on: the citations written while the first requests are in flight.
    `wait()` lets them finish; `finish()` runs what is left at once, synchronously (a run that
    stops: interrupted, offline, failed). Either raises what a step raised. When a step was cut
    short by a KeyboardInterrupt (raised by a signal handler wherever the code is: an embedding
    program's, or the CLI's before the stage's task is known to `api.interrupt`), `finish()`
    iterates `steps` again: it must then go on with what is left."""

    def __init__(self, steps: Iterable[object]):
        self._steps, self._it = steps, iter(steps)
        self._error: BaseException | None = None
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            for _ in self._it:
                await asyncio.sleep(0)  # a cancel lands here, between steps, never inside one
        except Exception as exc:  # noqa: BLE001 - kept for wait()/finish() to raise in the run's own task
            self._error = exc

    async def wait(self) -> None:
        if not self._task.done():
            await self._task
        self.finish()

    def finish(self) -> None:
        self._task.cancel()  # if still stepping: stop at its next step, which is taken here
        error, self._error = self._error, None
        if error is not None:
            raise error
        for _ in self._it:  # the rest of the steps under way
            pass
        for _ in self._steps:  # nothing, unless a step was cut short: then what is left, from its start
            pass


def _record(store: Store, run_id: int, result: CheckResult, guard: _OutageGuard, policy: ConfirmPolicy,
            when: datetime) -> CheckOutcome:
    """Commit one check; a transport failure is held back (inconclusive) for the outage verdict."""
    host = guard.origin(result.url)
    if result.transport_failure:
        guard.failed.add(host)
        rec = store.record_check(result, run_id=run_id, decide=lambda prev: None)
        outcome = CheckOutcome(result.url, replace(result, snapshot=None, headers=()), "inconclusive",
                               rec["previous"].state)
        guard.pending.append((rec["check_id"], outcome))
        return outcome
    if result.status != "skipped":
        guard.answered.add(host)
    rec = store.record_check(result, run_id=run_id, similarity=_similarity,
                       decide=lambda prev: next_state(prev, result, when, policy))
    return CheckOutcome(result.url, result, rec["new"].state, rec["previous"].state, rec["drift"])


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
    pending: list[tuple[int, CheckOutcome]] = field(default_factory=list)
    origin: Callable[[str], str] = field(default_factory=origin_memo, repr=False, compare=False)

    def resume(self, store: Store, run_id: int) -> None:
        """A resumed run is one run: what its killed part saw counts as if this process had seen it."""
        for row in store.run_rows(run_id):
            if row.state != "inconclusive" and row.status != "skipped":
                self.answered.add(self.origin(row.url))
        for check_id, url, status, error, checked_at, prev_state in store.held_back(run_id):
            self.failed.add(self.origin(url))
            result = CheckResult(url, status, alive_of(status), error=error,
                                 checked_at=datetime.fromisoformat(checked_at), transport_failure=True)
            self.pending.append((check_id, CheckOutcome(url, result, "inconclusive", prev_state or "unchecked")))

    def early_outage(self) -> bool:
        return not self.answered and len(self.failed) >= EARLY_OUTAGE_HOSTS

    def offline_reason(self, outage_share: float) -> str | None:
        offline_hosts = self.failed - self.answered
        seen = self.failed | self.answered
        if len(seen) >= 3 and len(offline_hosts) >= outage_share * len(seen):
            return (f"{len(offline_hosts)} of {len(seen)} hosts failed at the network level "
                    f"(DNS, connection, TLS or timeout)")
        return None

    def settle(self, store: Store, policy: ConfirmPolicy, clock: Callable[[], datetime]) -> None:
        """Online after all: apply each held-back transport failure to its link's state."""
        for check_id, outcome in self.pending:
            prev = store.url_state(outcome.url)
            new = next_state(prev, outcome.result, outcome.result.checked_at or clock(), policy)
            store.settle_inconclusive(check_id, outcome.url, new, outcome.result.status, outcome.result.alive)


def _similarity(a: str, b: str) -> float:
    from .classify import similarity

    return similarity(a, b, limit=None)  # drift: the whole text, not just its start


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
