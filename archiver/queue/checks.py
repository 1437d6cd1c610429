"""A check run as queued jobs: what the waiter enqueues, what a worker does with one job, and how the
waiter follows the run to its end.

A job is a batch of up to BATCH URLs of one host (scheme, host and port) holding one of the host's
slots: the procrastinate lock `archiver-host:<origin>#<slot>`, of which there are `per_host_max`
per host. procrastinate hands out a job only when no other job holds its lock, atomically with
taking it, so however many workers run, at most that many of a host's jobs run at once; and a job
makes one request at a time. The host table (store/postgres/queue.py) says how many slots are open
now (the limit, which grows on quick answers and halves on 429 or 503, as check/hosts.py's) and
whether the host rests after a 429 or 503: before each request the job asks, and a job that may
not go raises HostBusy and is retried by procrastinate when the host is free.

A 429 or 5xx (not 501) pauses the host for every worker (its Retry-After, else the run's backoff),
and the URL goes back in the queue for after the pause, `retries` times at most, as in one process.
A connection failure is not retried in a worker: it is held back as inconclusive and the waiter's
outage verdict decides it, as for a run in one process.

Each job skips the URLs its run has already checked, so a job run again (a stalled worker's, put
back after `--stall-timeout`) checks only what its killed run had not recorded.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import procrastinate

from ..check.classify import Probe, alive_of
from ..check.fetch import FetchSettings, Session, one_at_a_time, parse_retry_after
from ..check.recorder import Recorder
from ..check.run import CheckOutcome, CheckRun, conclude, start_checks
from ..check.state import ConfirmPolicy
from ..clock import utcnow
from ..errors import ArchiverError
from ..models import CheckResult
from ..store import ArchiveStore, open_queue_db
from ..urls.keys import origin_of
from .app import CHECK_TASK, QUEUE, HostBusy, WhenFree, open_app, retry_stalled

__all__ = ["BATCH", "RunOptions", "Worker", "check_queued", "register"]

PROBES = 10_000  # hosts' probes a worker keeps (queue/checks.Worker.probes)
BATCH = 8  # URLs of one host per job: few enough that a killed worker's jobs are soon done by others
POLL = 0.5  # seconds between the waiter's looks at the run
_FS, _CONFIRM = FetchSettings(), ConfirmPolicy()


@dataclass(frozen=True)
class RunOptions:
    """What travels with each job (JSON): the run's limits and policy; the network is the worker's.
    The defaults are FetchSettings' and ConfirmPolicy's (a run builds its options with `of`)."""

    per_host: int = _FS.per_host
    per_host_max: int = _FS.per_host_max
    per_host_fast: float = _FS.per_host_fast
    retries: int = _FS.retries
    backoff_base: float = _FS.backoff_base
    backoff_max: float = _FS.backoff_max
    retry_after_cap: float = _FS.retry_after_cap
    read_timeout: float = _FS.read_timeout
    total_timeout: float = _FS.total_timeout
    allow_private: bool = _FS.allow_private
    user_agent: str | None = None  # None: the worker's own
    confirm_checks: int = _CONFIRM.checks
    confirm_spacing_hours: float = _CONFIRM.spacing.total_seconds() / 3600

    @classmethod
    def of(cls, fs: FetchSettings, policy: ConfirmPolicy) -> RunOptions:
        own = {f.name for f in dataclasses.fields(cls)} & {f.name for f in dataclasses.fields(FetchSettings)}
        return cls(**{name: getattr(fs, name) for name in own}, confirm_checks=policy.checks,
                   confirm_spacing_hours=policy.spacing.total_seconds() / 3600)

    def fetch_settings(self, worker: FetchSettings) -> FetchSettings:
        """The worker's settings with the run's; one request at a time and no retry inside a job (the
        queue retries, after the host's pause)."""
        given = {name: getattr(self, name) for name in _RUN_FETCH if getattr(self, name) is not None}
        return dataclasses.replace(worker, **given, retries=0, per_host=1, per_host_max=1, concurrency=1)

    @property
    def slots(self) -> int:
        return max(self.per_host, self.per_host_max)

    @property
    def adaptive(self) -> bool:
        return self.per_host_max > self.per_host


_RUN_FETCH = ("read_timeout", "total_timeout", "allow_private", "user_agent")  # the run's say, over the worker's


@dataclass
class Worker:
    """What a worker process's jobs share: its store, queue connection, HTTP session and settings."""

    store: ArchiveStore
    queue: Any
    client: Session
    settings: FetchSettings
    clock: Callable[[], datetime] = utcnow
    # (run, host) -> the host's soft-404 probe, made by an earlier job of the run in this worker: one
    # probe per host and run per worker, not per job of 8 URLs; the oldest are dropped past PROBES
    probes: OrderedDict[tuple[int, str], Probe] = dataclasses.field(default_factory=OrderedDict)

    def probes_of(self, run_id: int, origin: str) -> dict[str, Probe]:
        known = self.probes.get((run_id, origin))
        return {} if known is None else {origin: known}

    def keep_probes(self, run_id: int, probes: dict[str, Probe]) -> None:
        for origin, probe in probes.items():
            self.probes[(run_id, origin)] = probe
            self.probes.move_to_end((run_id, origin))
        while len(self.probes) > PROBES:
            self.probes.popitem(last=False)


# ------------------------------------------------------------------------ the waiter ---

def plan(urls: list[str], options: RunOptions, batch: int = BATCH) -> list[tuple[str, int, list[str]]]:
    """(origin, slot, URLs) per job: each host's URLs in batches, the batches dealt over the host's
    slots, the hosts interleaved so that workers spread over them from the start."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(origin_of(url), []).append(url)
    rounds: list[list[tuple[str, int, list[str]]]] = []
    for origin, mine in by_host.items():
        for i in range(0, len(mine), batch):
            n = i // batch
            while len(rounds) <= n:
                rounds.append([])
            rounds[n].append((origin, n % options.slots, mine[i:i + batch]))
    return [job for r in rounds for job in r]


async def enqueue(app: procrastinate.App, run_id: int, urls: list[str], options: RunOptions) -> int:
    """Defer the jobs that check `urls` for run `run_id`; how many."""
    jobs = [procrastinate.jobs.Job(queue=QUEUE, lock=lock_of(origin, slot), queueing_lock=None, task_name=CHECK_TASK,
                                   task_kwargs={"run_id": run_id, "urls": list[Any](chunk), "slot": slot,
                                                "options": dataclasses.asdict(options)})
            for origin, slot, chunk in plan(urls, options)]
    for i in range(0, len(jobs), 1000):
        await app.job_manager.batch_defer_jobs_async(jobs[i:i + 1000])
    return len(jobs)


def lock_of(origin: str, slot: int) -> str:
    return f"archiver-host:{origin}#{slot}"


async def check_queued(store: ArchiveStore, urls: list[str], fetch_settings: FetchSettings, *,
                       policy: ConfirmPolicy | None = None, stale: timedelta | None = None,
                       outage_share: float = 0.8, on_result: Callable[[CheckOutcome], None] | None = None,
                       stall_timeout: float = 30.0, clock: Callable[[], datetime] = utcnow) -> CheckRun:
    """Check `urls` by the queue's workers: enqueue the run's jobs (a resumed run's, if its jobs are
    gone), follow its checks as they are recorded (`on_result`), put stalled workers' jobs back, and
    end the run as one process would (the outage verdict, the counts)."""
    policy = policy or ConfirmPolicy()
    run, todo = await start_checks(store, urls, stale=stale, clock=clock)
    queue = await open_queue_db(store.url).open()
    try:
        async with open_app(store.url) as app:
            left = await queue.jobs_left(CHECK_TASK, run.run_id)
            if todo and not (left.get("todo") or left.get("doing")):  # a resumed run whose waiter died keeps its jobs
                await enqueue(app, run.run_id, todo, RunOptions.of(fetch_settings, policy))
            failed = await _follow(app, queue, run.run_id, on_result, stall_timeout)
    except (asyncio.CancelledError, KeyboardInterrupt):
        await store.mark_interrupted(run.run_id, run.summary())  # the workers go on; the next run waits for them
        raise
    finally:
        await queue.close()
    run = await conclude(store, run, policy=policy, outage_share=outage_share, clock=clock)
    if failed:
        raise ArchiverError(f"{failed} check jobs failed in the workers (see their logs); the run's other "
                            "checks are recorded")
    return run


async def _follow(app: procrastinate.App, queue: Any, run_id: int,
                  on_result: Callable[[CheckOutcome], None] | None, stall_timeout: float) -> int:
    """Until the run has no job left: its new checks to `on_result`, stalled jobs put back. How many failed."""
    last = 0
    while True:
        left = await queue.jobs_left(CHECK_TASK, run_id)
        for check_id, url, status, state, previous, inconclusive in await queue.checks_since(run_id, last):
            last = check_id
            if on_result is not None:
                result = CheckResult(url, status, alive_of(status))
                on_result(CheckOutcome(url, result, "inconclusive" if inconclusive else state or "unchecked",
                                       previous or "unchecked"))
        if not left.get("todo") and not left.get("doing"):
            return left.get("failed", 0)
        await retry_stalled(app, stall_timeout)
        await asyncio.sleep(POLL)


# ------------------------------------------------------------------------- the job ---

def register(app: procrastinate.App) -> None:
    """archiver's tasks on `app`."""

    @app.task(name=CHECK_TASK, queue=QUEUE, pass_context=True, retry=WhenFree())
    async def check_batch(context, run_id: int, urls: list[str], slot: int, options: dict,
                          tries: dict[str, int] | None = None) -> int:
        worker: Worker = context.additional_context["archiver"]
        return await run_job(worker, context.app, run_id, urls, slot, RunOptions(**options), tries or {})


async def run_job(w: Worker, app: procrastinate.App, run_id: int, urls: list[str], slot: int,
                  options: RunOptions, tries: dict[str, int]) -> int:
    """Check `urls` (one host's) one at a time, each at the host's turn; how many were checked."""
    origin = origin_of(urls[0])
    fs = options.fetch_settings(w.settings)
    policy = ConfirmPolicy(options.confirm_checks, timedelta(hours=options.confirm_spacing_hours))
    done = await w.queue.checked(run_id, urls)
    todo = [u for u in urls if u not in done]
    recorder = Recorder(w.store, run_id, policy, w.clock, lambda record, check_id: None, seconds=0.0)
    checked = 0
    probes = w.probes_of(run_id, origin)
    try:
        async with one_at_a_time(w.client, fs, clock=w.clock, probes=probes) as check:
            for i, url in enumerate(todo):
                if wait := await w.queue.turn(origin, slot, options.per_host):
                    raise HostBusy(wait)  # what this job checked is recorded; the retry skips it
                result = await check(url)
                pause = _pause(result, tries.get(url, 0), options, w.clock())
                if pause is None:
                    if options.adaptive and result.elapsed_ms is not None and result.elapsed_ms < options.per_host_fast * 1000:
                        await w.queue.answered_fast(origin, options.per_host_max)
                else:
                    seconds, again = pause
                    await w.queue.back_off(origin, seconds, options.adaptive)
                    if again:  # asked again after the pause, with the rest of the batch
                        await _continue(app, run_id, todo[i:], slot, options, {**tries, url: tries.get(url, 0) + 1},
                                        seconds, origin)
                        return checked
                await recorder.put(result)
                checked += 1
    finally:
        w.keep_probes(run_id, probes)
        await recorder.close()
    return checked


def _pause(result: CheckResult, tried: int, options: RunOptions, now: datetime) -> tuple[float, bool] | None:
    """(seconds the host rests, whether the URL is asked again) after a 429, 5xx (not 501) or any
    Retry-After; None for an ordinary answer."""
    status = result.http_status
    header = next((v for k, v in result.headers if k.lower() == "retry-after"), None)
    if status is None or not (status == 429 or 500 <= status < 600 and status != 501 or header):
        return None
    wait = parse_retry_after(header, now)
    if wait is not None and wait > options.retry_after_cap:
        return options.retry_after_cap, False  # as in one process: given up at once, the host rests
    if wait is None:
        wait = min(options.backoff_max, options.backoff_base * 2 ** tried)
    return wait, tried < options.retries


async def _continue(app: procrastinate.App, run_id: int, urls: list[str], slot: int, options: RunOptions,
                    tries: dict[str, int], seconds: float, origin: str) -> None:
    when = utcnow() + timedelta(seconds=seconds)
    await app.configure_task(CHECK_TASK, queue=QUEUE, lock=lock_of(origin, slot), schedule_at=when).defer_async(
        run_id=run_id, urls=list[Any](urls), slot=slot, options=dataclasses.asdict(options), tries=dict[str, Any](tries))

