"""The archiving policy: which cited URLs to save, which to pair with an old capture, and how to
spend Save Page Now's limits without wasting a capture or ever submitting a URL twice for one need.

Why it is shaped like this:
- Live links (alive, revived, unchecked-but-ok) are looked up in CDX first; a capture within
  `if_not_archived_within` counts as archived. Only then is the URL submitted, with the same window
  sent to SPN2 so the server deduplicates too.
- Dead, failing, soft-404 and parked links are never submitted (that would archive the error page):
  they are paired with the capture closest to the citation's access date, before it first, then
  after (as InternetArchiveBot does), preferring captures recorded with status 200.
- Crash safety, step by step, for one submission (all in archive.db, each step one committed UPDATE):
  1. after the pacer grants the slot, the row becomes 'submitting' (attempts + 1);
  2. POST /save;
  3. the reply's job id and state 'pending' are written in one UPDATE, before any polling;
  4. polling ends in success | failed | quota | unknown.
  A run killed after 3 polls the job id on restart, never resubmitting. A run killed between 1 and 3
  left 'submitting': on restart we ask CDX for a capture since the submit time, and if there is none
  we POST again. That second POST is safe: SPN2 returns the same job id for the same URL within an
  hour (§1.3 A), and `if_not_archived_within` stops a second capture after that. So the server never
  makes two captures for one need, though it may see one repeated POST for a crash in that window.
- Replay links are built on the configured base URL, so they also work against a self-hosted or
  fake Wayback; with the default base they are the public https://web.archive.org/web/<ts>/<url>.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import get_args

from ..clock import epoch_of, iso_of_epoch, ts14
from ..models import BROKEN, Action, CaptureRow, KnownUrl, Place
from ..store import ArchiveStore
from ..urls.keys import login_walled_platform
from .client import (
    AUTH,
    QUOTA_ACCOUNT_DAY,
    QUOTA_URL_DAY,
    RATE_LIMITED,
    SESSION_LIMIT,
    TARGET_THROTTLED,
    TRANSIENT,
    SaveResult,
    WaybackClient,
    archive_url,
)
from .jobs import NO_KEYS, describe, landed, poll, recheck, resume, unpollable
from .matching import choose_capture, match

__all__ = ["ArchiveSettings", "ArchiveResult", "ArchiveReport", "archive_one", "archive_urls", "choose_capture", "next_utc_midnight",
           "ACTIONS"]

log = logging.getLogger("archiver.archive")

ACTIONS: tuple[Action, ...] = get_args(Action)
DEAD_STATUSES = {"soft-404", "parked"}
LIVE_STATES = {"alive", "revived"}

@dataclass(frozen=True)
class ArchiveSettings:
    if_not_archived_within_days: float = 30.0
    max_attempts: int = 3  # POSTs per URL per run for 5xx/520/523/transport/transient errors
    retry_delays: tuple[float, ...] = (5.0, 20.0, 60.0)
    max_429: int = 5  # 429s tolerated for one URL in one run (each waits out the backoff)
    poll_interval: float = 5.0
    poll_timeout: float = 180.0
    max_concurrency: int = 3  # jobs in flight; lowered to /save/status/user `available`
    session_wait: float = 120.0  # how long to wait for a free session on error:user-session-limit
    force_login_walled: bool = False
    capture_all: bool = False
    match_candidates: int = 50  # the nearest N captures considered when matching a dead link
    retry_later: float = 3600.0  # next_attempt for transient failures that ran out of retries
    throttled_retry: float = 600.0  # target host throttling SPN ("Crawling this host is paused")
    failed_retry_days: float = 7.0  # permanent failures are tried again after this
    unknown_recheck_hours: float = 24.0  # an unconfirmed job is resubmitted only after this
    no_capture_recheck_days: float = 7.0


@dataclass(frozen=True)
class ArchiveResult:
    url: str
    action: Action
    archive_url: str | None = None
    timestamp: str | None = None
    job_id: str | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()
    places: tuple[Place, ...] = ()  # document and note (or line) of every current citation

    def as_dict(self) -> dict:
        return {"url": self.url, "action": self.action, "archive_url": self.archive_url,
                "timestamp": self.timestamp, "job_id": self.job_id, "reason": self.reason,
                "notes": list(self.notes), "places": [p.as_dict() for p in self.places]}


@dataclass
class ArchiveReport:
    results: list[ArchiveResult] = field(default_factory=list)
    outage: str | None = None  # the Wayback Machine was unreachable: what was left is queued, not failed
    captures: dict | None = None  # the capture stage's results (captures.stage.CaptureReport.as_dict), when it ran
    resume_at: str | None = None  # the outage is the server asking us to wait until then

    @property
    def summary(self) -> dict[str, int]:
        counts: Counter[str] = Counter(r.action for r in self.results)
        return {a: counts[a] for a in ACTIONS}

    def as_dict(self) -> dict:
        out = {"results": [r.as_dict() for r in self.results], "summary": self.summary, "outage": self.outage,
               "resume_at": self.resume_at}
        return out | ({"captures": self.captures} if self.captures is not None else {})


# -- time helpers ------------------------------------------------------------------------------


def next_utc_midnight(epoch: float) -> float:
    day = datetime.fromtimestamp(epoch, UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


# -- the engine --------------------------------------------------------------------------------


class _Run:
    def __init__(self, store: ArchiveStore, client: WaybackClient, settings: ArchiveSettings, dry_run: bool,
                 clock: Callable[[], float], sleep):
        self.store, self.client, self.s, self.dry_run = store, client, settings, dry_run
        self.clock, self.sleep = clock, sleep
        self.window = settings.if_not_archived_within_days * 86400
        self.stop_reason: str | None = None  # set: no more submissions in this run
        self.stop_until: float | None = None
        self.auth_failures = 0
        self.sessions = asyncio.Semaphore(max(1, settings.max_concurrency))
        self.lookups = asyncio.Semaphore(8)
        self.places: dict[str, list[Place]] = {}  # where each URL of the run is cited and
        self.known: dict[str, KnownUrl] = {}  # its state after the last check: read once, at the start

    def now(self) -> str:
        return iso_of_epoch(self.clock())

    def result(self, url: str, action: Action, reason: str, **kw) -> ArchiveResult:
        places = tuple(self.places.get(url, ()))
        res = ArchiveResult(url, action, reason=reason, notes=tuple(dict.fromkeys(p.note for p in places if p.note)),
                            places=places, **kw)
        log.info("%s %s: %s", action, url, reason)
        return res

    def link(self, ts: str, url: str) -> str:
        return archive_url(self.client.base, ts, url)

    # -- start -----------------------------------------------------------------------------
    async def preflight(self) -> None:
        quota = epoch_of(await self.store.archive_state("quota_until"))
        if quota and quota > self.clock():
            self.stop(f"the account's daily Save Page Now quota is used up until {iso_of_epoch(quota)}", quota)
        paused = epoch_of(await self.store.archive_state("save_paused_until"))
        if paused and paused > self.clock():
            self.client.save_pacer.pause_until(paused)
        if self.client.has_keys and not self.dry_run and not self.stop_reason:
            user = await self.client.user_status()
            if user.http_status == 401:
                self.stop("Save Page Now refused the keys (HTTP 401); check IA_ACCESS_KEY/IA_SECRET_KEY")
            elif user.day_spent:  # the account's own count: its other clients' captures are in it
                await self.day_spent(f" ({user.daily_captures} of {user.daily_captures_limit})")
            elif user.available is not None:
                n = max(1, min(self.s.max_concurrency, user.available))
                log.info("Save Page Now: %s sessions available, %s processing; using %d",
                         user.available, user.processing, n)
                self.sessions = asyncio.Semaphore(n)

    def outage_reason(self) -> str:
        until = self.client.resume_at
        return f"{self.client.outage}; kept in the queue " + (
            f"until {iso_of_epoch(until)}" if until is not None else "for the next run")

    async def day_spent(self, detail: str = "") -> str:
        """No more submissions until the next UTC day, for this run and the next ones (`quota_until`)."""
        until = next_utc_midnight(self.clock())  # stopped before the await: no other URL's POST slips past
        why = self.stop(f"the account's daily Save Page Now quota is used up{detail} until {iso_of_epoch(until)}", until)
        await self.store.set_archive_state("quota_until", iso_of_epoch(until))
        return why

    def stop(self, reason: str, until: float | None = None) -> str:
        """No more submissions in this run; returns the reason in force (the first one given)."""
        if self.stop_reason is None:
            log.warning("stopping submissions: %s", reason)
        self.stop_reason, self.stop_until = reason, until
        return reason

    # -- per URL ---------------------------------------------------------------------------
    async def handle(self, url: str) -> ArchiveResult:
        """Look up under `lookups` (few URLs at a time keep the event loop light, so a paced request
        leaves when its slot is granted), then submit under `sessions`."""
        async with self.lookups:
            outcome = await self.decide(url)
        return outcome if isinstance(outcome, ArchiveResult) else await self.submit(url, outcome)

    async def decide(self, url: str) -> ArchiveResult | int:
        """A final result, or the id of the capture row to submit."""
        known = self.known.get(url)
        state, status = (known.state.state, known.last_status) if known else ("unchecked", None)
        if state in BROKEN or status in DEAD_STATUSES:
            return await match(self, url, f"{state}/{status}" if status else state)
        if state in LIVE_STATES or (state == "unchecked" and status == "ok"):
            if status == "login-required" or (login_walled_platform(url) and not self.s.force_login_walled):
                return self.result(url, "skipped", "login-walled platform: the Wayback Machine usually stores "
                                   "only the login page for it (force with the login-walled setting)")
            return await self.save(url)
        if state == "unchecked":
            return self.result(url, "skipped", "not checked yet: run `archiver check` first")
        return self.result(url, "skipped", f"link state is {state}: the last check was inconclusive")

    async def save(self, url: str) -> ArchiveResult | int:
        cur = await self.store.capture(url, "save")
        now = self.clock()
        if cur:
            early = self.from_row(url, cur, now)
            if early is not None:
                return early
        found = await self.client.newest(url, since=ts14(now - self.window))
        if found.ok and found.rows:
            ts = found.rows[-1]["timestamp"]
            await self.write(url, cur, "success", timestamp=ts, archive_url=self.link(ts, url), status_code="200",
                       reason="recent capture found in CDX")
            return self.result(url, "already-archived", f"captured {ts[:8]}, within "
                               f"{self.s.if_not_archived_within_days:g} days", archive_url=self.link(ts, url),
                               timestamp=ts)
        if self.client.outage:
            return await self.queue(url, cur, self.outage_reason(), self.client.resume_at)
        note = "" if found.ok else f" (CDX lookup failed: {found.error}; relying on if_not_archived_within)"
        if cur and cur.state == "unknown":
            waiting = await recheck(self, url, cur)
            if waiting is not None:
                return waiting
        if not self.client.has_keys:
            await self.write(url, cur, "queued", reason=NO_KEYS)
            return self.result(url, "queued", NO_KEYS + note)
        if self.stop_reason:
            return await self.queue(url, cur, self.stop_reason, self.stop_until)
        if self.dry_run:
            return self.result(url, "queued", "dry run: would submit to Save Page Now" + note)
        if cur and cur.state in ("queued", "unknown", "failed"):
            return cur.id
        return await self.store.open_capture(url, "save", "queued", self.now())

    def from_row(self, url: str, cur: CaptureRow, now: float) -> ArchiveResult | None:
        """An answer from archive.db alone, or None when the network is needed."""
        state, ts = cur.state, cur.timestamp
        when = epoch_of(ts) or epoch_of(cur.finished) or 0.0
        if state in ("success", "quota") and now - when < self.window:
            return self.result(url, "already-archived", cur.reason or "archived", timestamp=ts,
                               archive_url=cur.archive_url, job_id=cur.job_id)
        due = epoch_of(cur.next_attempt)
        if state in ("queued", "failed") and due and due > now:
            why = f"{cur.reason or cur.error}; next attempt after {iso_of_epoch(due)}"
            return self.result(url, "failed" if state == "failed" else "queued", why,
                               job_id=cur.job_id)
        if state in ("submitting", "pending") and self.dry_run:
            return self.result(url, "queued", "dry run: a job from an earlier run is still open",
                               job_id=cur.job_id)
        return None

    async def write(self, url: str, cur: CaptureRow | None, state: str, *, need: str = "save", **fields) -> int | None:
        """Record a state on the open row for this need, or a new row. Nothing in a dry run."""
        if self.dry_run:
            return None
        now = self.now()
        if cur and cur.state not in ("success", "quota", "matched", "none"):
            await self.store.finish_capture(cur.id, state, now, **fields)
            return cur.id
        return await self.store.open_capture(url, cur.need if cur else need, state, now, finished=now,
                           **fields)

    async def queue(self, url: str, cur: CaptureRow | int | None, reason: str, until: float | None) -> ArchiveResult:
        due = iso_of_epoch(until) if until else None
        if isinstance(cur, int):
            if not self.dry_run:
                await self.store.finish_capture(cur, "queued", self.now(), reason=reason, next_attempt=due)
        else:
            await self.write(url, cur, "queued", reason=reason, next_attempt=due)
        return self.result(url, "queued", reason)

    # -- submitting --------------------------------------------------------------------------
    async def submit(self, url: str, cid: int) -> ArchiveResult:
        async with self.sessions:
            attempts = n429 = waits = 0
            while True:
                if self.client.outage:
                    return await self.queue(url, cid, self.outage_reason(), self.client.resume_at)
                if self.stop_reason:
                    return await self.queue(url, cid, self.stop_reason, self.stop_until)
                reply = await self.client.save(
                    url, if_not_archived_within=f"{self.s.if_not_archived_within_days:g}d",
                    capture_all=self.s.capture_all, before_post=lambda: self.begin(cid))
                if not reply.sent:
                    continue  # the loop head turns this into 'queued'
                if reply.unusable_job:
                    return await unpollable(self, url, cid, reply)
                if reply.job_id is not None:  # accepted
                    await self.store.record_job(cid, reply.job_id, self.now(), reason=reply.message)
                    log.info("submitted %s as job %s", url, reply.job_id)
                    outcome = await poll(self, url, cid, reply.job_id, reply.begin_in)
                    if isinstance(outcome, ArchiveResult):
                        return outcome
                    reply = outcome  # a transient job error: retry like a transient submit error
                cls = reply.retry_class
                if cls == RATE_LIMITED:
                    n429 += 1
                    await self.store.set_archive_state("save_paused_until", iso_of_epoch(self.client.save_pacer.paused_until))
                    if n429 > self.s.max_429:
                        return await self.queue(url, cid, "Save Page Now keeps answering 429", None)
                    continue
                if cls == TRANSIENT:
                    attempts += 1
                    if self.client.outage:
                        continue  # the loop head queues it: no retries into an outage
                    if attempts >= self.s.max_attempts:
                        return await self.queue(url, cid, f"gave up after {attempts} tries: {describe(reply)}",
                                          self.clock() + self.s.retry_later)
                    await self.sleep(self.s.retry_delays[min(attempts, len(self.s.retry_delays)) - 1])
                    if reply.maybe_captured:  # 523 / timeout: the capture may have landed (§1.3 D)
                        found = await landed(self, url, cid)
                        if found:
                            return found
                    continue
                if cls == SESSION_LIMIT and waits < self.s.max_attempts and await self.wait_for_session():
                    waits += 1
                    continue
                if cls == AUTH and self.auth_failures == 0:  # IA says "not logged in" when overloaded
                    self.auth_failures += 1  # (§1.1): once is transient, twice is the keys
                    await self.sleep(self.s.retry_delays[0])
                    continue
                return await self.refused(url, cid, reply)

    async def begin(self, cid: int) -> bool:
        if self.stop_reason:
            return False
        await self.store.begin_submit(cid, self.now())
        return True

    async def refused(self, url: str, cid: int, reply: SaveResult) -> ArchiveResult:
        cls, why = reply.retry_class, describe(reply)
        if cls == QUOTA_URL_DAY:
            found = await self.client.newest(url)
            ts = found.rows[-1]["timestamp"] if found.ok and found.rows else None
            link = self.link(ts, url) if ts else None
            reason = f"archived today (per-URL daily cap reached): {why}"
            await self.store.finish_capture(cid, "quota", self.now(), timestamp=ts, archive_url=link, reason=reason)
            return self.result(url, "already-archived", reason, archive_url=link, timestamp=ts,
                               job_id=reply.job_id)
        if cls == QUOTA_ACCOUNT_DAY:
            return await self.queue(url, cid, await self.day_spent(), next_utc_midnight(self.clock()))
        if cls == SESSION_LIMIT:
            return await self.queue(url, cid, f"no free capture session: {why}", self.clock() + self.s.poll_interval)
        if cls == TARGET_THROTTLED:
            wait = max(reply.retry_after or 0.0, self.s.throttled_retry)
            return await self.queue(url, cid, f"the site throttles Save Page Now: {why}", self.clock() + wait)
        if cls == AUTH:
            why = self.stop("Save Page Now refused the keys (HTTP 401); check IA_ACCESS_KEY/IA_SECRET_KEY")
            return await self.queue(url, cid, why, None)
        await self.store.finish_capture(cid, "failed", self.now(), error=why, reason=f"Save Page Now refused it: {why}",
                  next_attempt=iso_of_epoch(self.clock() + self.s.failed_retry_days * 86400), job_id=reply.job_id)
        return self.result(url, "failed", f"Save Page Now refused it: {why}", job_id=reply.job_id)

    async def wait_for_session(self) -> bool:
        deadline = self.clock() + self.s.session_wait
        while self.clock() < deadline and not self.client.outage:
            await self.sleep(self.s.poll_interval)
            user = await self.client.user_status()
            if user.available:
                return True
        return False


async def archive_urls(store: ArchiveStore, client: WaybackClient, urls: list[str] | None = None,
                       settings: ArchiveSettings | None = None, *, dry_run: bool = False,
                       clock: Callable[[], float] | None = None, sleep=None,
                       on_result: Callable[[ArchiveResult], None] | None = None,
                       on_total: Callable[[int], None] | None = None) -> ArchiveReport:
    """Archive or match each URL (all URLs in archive.db when `urls` is None); results in input order.

    Jobs left open by a killed run are finished first (polled, never resubmitted).
    `on_total(n)`: how many URLs (resumed jobs included) there are, before the first is handled;
    `on_result` is called once for each as it is done.
    `clock`/`sleep` default to the client's, so one scaled clock drives the whole run.
    """
    run = _Run(store, client, settings or ArchiveSettings(), dry_run, clock or client.clock,
               sleep or client.sleep)
    if urls is None:
        urls = await store.all_urls()
    urls = list(dict.fromkeys(urls))
    await run.preflight()
    done: dict[str, ArchiveResult] = {}

    async def go(url: str, job) -> None:
        done[url] = await job
        if on_result:
            on_result(done[url])

    open_rows = [] if dry_run else await store.open_jobs()
    run.places = await store.places_for(urls + [r.url for r in open_rows])
    run.known = await store.known_urls(urls)
    resumed = {r.url for r in open_rows}
    tasks = [go(r.url, resume(run, r)) for r in open_rows]
    tasks += [go(u, run.handle(u)) for u in urls if u not in resumed]
    if on_total:
        on_total(len(tasks))
    await asyncio.gather(*tasks)
    order = urls + [u for u in done if u not in urls]
    until = client.resume_at
    return ArchiveReport([done[u] for u in order if u in done], outage=client.outage,
                         resume_at=iso_of_epoch(until) if until is not None else None)


async def archive_one(store: ArchiveStore, client: WaybackClient, url: str, settings: ArchiveSettings | None = None,
                      *, clock: Callable[[], float] | None = None, sleep=None) -> ArchiveResult:
    """One URL as `archive_urls` handles it, for a queue's job (archiver/queue/archives.py): its own
    open job, if a killed run left one, is resumed (polled, never posted again); the others' are theirs."""
    run = _Run(store, client, settings or ArchiveSettings(), False, clock or client.clock, sleep or client.sleep)
    await run.preflight()
    run.places = await store.places_for([url])
    run.known = await store.known_urls([url])
    for need in ("save", "match"):
        row = await store.capture(url, need)
        if row is not None and row.state in ("submitting", "pending"):
            return await resume(run, row)
    return await run.handle(url)
