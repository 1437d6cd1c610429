"""The capture stage: after the Wayback stage, judge the copies a run would offer, look for copies in
other archives where none is good, and check the citations' quotations.

For each URL, in this order:
1. Capture QA (`verify`): the Wayback copy to cite (the capture matched to a broken link, else the
   newest capture) is fetched raw and judged. A matched capture that is bad makes way for the next
   candidate in CDX, closest to the access date first (choose.py); a newest capture that is bad is
   marked so and never offered. Verdicts are written on the capture row (verdict, similarity, qa).
2. Memento (`archives`): a URL with no copy to cite (none found, or every one bad) is looked up in
   each listed archive's TimeMap, in order; the first good capture is recorded with its archive.
3. Quotes: each quotation of a citing sentence is looked for in the live page, archiver's snapshot
   from the citation's time and the chosen capture (quotes.py).

Politeness and outages, per archive: requests are spaced (`replay_per_minute`, `memento_per_minute`),
a 429 pauses that archive with the Wayback stage's backoff, and after five transport errors or 5xx
in a row its breaker opens: nothing more is sent to it in this run (wayback/pacing.py). A dry run
fetches and judges, and writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from ..check.classify import decode_body, extract_text, extract_title
from ..clock import iso_of_epoch
from ..defaults import USER_AGENT
from ..models import BROKEN, CaptureRow, Evidence, QuoteCheck
from ..store import ArchiveStore
from ..wayback.client import WaybackClient, archive_url
from ..wayback.matching import reference_time
from ..wayback.pacing import Breaker, Pacer
from ..wayback.replies import fetch
from .choose import Choice, choose
from .memento import MementoArchive, Reply, lookup
from .quotes import check_quotes
from .raw import RAW_LIMIT, Candidate, Judged, fetch_and_judge, raw_form

__all__ = ["Clients", "CaptureSettings", "CaptureResult", "CaptureReport", "run_captures"]

log = logging.getLogger("archiver.captures")
_CITED = ("success", "matched", "quota")
TIMEMAP_LIMIT = 8 * 1024 * 1024  # bytes of a TimeMap read: a page captured 50,000 times lists ~8 MB
_QUOTE_MARKS = '"“«„‘「『'  # a citing sentence without one has no quotation (quotes.py)


@dataclass(frozen=True)
class CaptureSettings:
    verify: bool = False  # capture QA of the Wayback copies
    archives: tuple[MementoArchive, ...] = ()  # Memento archives to look in when no copy is good
    tries: int = 6  # captures judged per URL and archive at most
    replay_per_minute: float = 60.0  # raw fetches a minute from one archive
    memento_per_minute: float = 30.0  # TimeMap requests a minute to one archive
    user_agent: str = USER_AGENT

    @property
    def asked(self) -> bool:
        return self.verify or bool(self.archives)


@dataclass(frozen=True)
class CaptureResult:
    url: str
    verdict: str | None  # verified | differs | bad (no good copy); None: nothing judged
    words: str
    archive: str | None = None
    archive_url: str | None = None
    timestamp: str | None = None
    quotes: tuple[QuoteCheck, ...] = ()

    def as_dict(self) -> dict:
        return {"url": self.url, "verdict": self.verdict, "words": self.words, "archive": self.archive,
                "archive_url": self.archive_url, "timestamp": self.timestamp,
                "quotes": [{"quote": q.quote, "kind": q.kind, "verdict": q.verdict, "live": q.live,
                            "snapshot": q.snapshot, "capture": q.capture, "link": q.link} for q in self.quotes]}


@dataclass
class CaptureReport:
    results: list[CaptureResult] = field(default_factory=list)
    outage: str | None = None  # an archive stopped answering: what it was left is not judged

    @property
    def summary(self) -> dict[str, int]:
        verdicts = Counter(r.verdict or "unverified" for r in self.results)
        quotes = Counter(q.verdict for r in self.results for q in r.quotes)
        return {"urls": len(self.results), **{v: verdicts[v] for v in ("verified", "differs", "bad", "unverified")},
                "other_archives": sum(1 for r in self.results if r.archive not in (None, "wayback")),
                **{q: quotes[q] for q in ("still-says-it", "no-longer-says-it", "not-found")}}

    def as_dict(self) -> dict:
        return {"results": [r.as_dict() for r in self.results], "summary": self.summary, "outage": self.outage}


class _Archive:
    """One archive's pace and outage guard."""

    def __init__(self, name: str, per_minute: float, clock, sleep):
        self.name = name
        self.pacer = Pacer(per_minute, clock, sleep)
        self.breaker = Breaker(name)

    async def get(self, http: httpx.AsyncClient, url: str, headers: dict[str, str], follow: bool) -> Reply:
        """(status, headers, text: at most TIMEMAP_LIMIT bytes read) or the error, paced and counted by
        the breaker."""
        await self.pacer.acquire()
        if self.breaker.open:  # it opened while this request waited for its slot
            return f"not sent: {self.breaker.reason}"
        reply = await fetch(http, "GET", url, cap=TIMEMAP_LIMIT, truncate=True, headers=headers,
                            follow_redirects=follow)
        if isinstance(reply, str):
            self.breaker.record(None, reply)
            return reply
        self.count(reply.status)
        return reply.status, reply.headers, reply.body.decode("utf-8", "replace")

    def count(self, status: int | None, error: str | None = None) -> None:
        self.breaker.record(status, error)
        if status == 429:
            self.pacer.trip()
        elif status is not None and status < 400:
            self.pacer.ok()


class _Stage:
    def __init__(self, store: ArchiveStore, http: Callable[[str], httpx.AsyncClient], wayback: WaybackClient | None,
                 settings: CaptureSettings, dry_run: bool, clock: Callable[[], float], sleep):
        self.store, self.http, self.wayback, self.s, self.dry_run = store, http, wayback, settings, dry_run
        self.clock = clock
        self.archives: dict[str, _Archive] = {}
        self.new = lambda name, rate: _Archive(name, rate, clock, sleep)

    def archive(self, name: str, per_minute: float) -> _Archive:
        if name not in self.archives:
            self.archives[name] = self.new(name, per_minute)
        return self.archives[name]

    @property
    def outage(self) -> str | None:
        down = [f"{a.name}: {a.breaker.reason}" for a in self.archives.values() if a.breaker.open]
        return ("archives unreachable, their captures not judged: " + "; ".join(down)) if down else None

    async def judge(self, cand: Candidate, original: str, then: str | None) -> Judged | None:
        arch = self.archive(cand.archive, self.s.replay_per_minute)
        if arch.breaker.open:
            return None
        await arch.pacer.acquire()
        if arch.breaker.open:
            return None
        judged, status = await fetch_and_judge(self.http(cand.url), cand, original, then, self.s.user_agent)
        arch.count(status, judged.error)
        log.info("capture %s: %s", cand.url, judged.words())
        return judged

    async def page(self, sha256: str | None) -> tuple[str | None, str | None]:
        """(text, title) of one of archiver's stored pages; (None, None) when there is none."""
        stored = await self.store.snapshot_body(sha256) if sha256 else None
        html = decode_body(stored[0], stored[1], limit=RAW_LIMIT)[0] if stored else None
        return (extract_text(html), extract_title(html)) if html else (None, None)

    async def url(self, url: str, state: str | None) -> CaptureResult:
        ev = await self.store.evidence(url)
        ref, basis = reference_time(*await self.store.first_cited(url), self.clock())
        then, then_title = await self.page(ev.then)
        found: tuple[Judged, str] | None = None  # the copy to cite and what QA said
        words = ""
        quoted = any(c[1] and any(m in c[1] for m in _QUOTE_MARKS) for c in ev.citations)
        if self.s.verify:
            found, words = await self.wayback_copy(url, state, ref, basis, then, quoted)
        if self.s.archives and (found is None or found[0].verdict == "bad") and \
                (found is not None or not ev.copies):
            found, words = await self.memento_copy(url, ref, basis, then, words)
        quotes: list[QuoteCheck] = []
        if quoted:
            quotes = await self.quotes(ev, then, then_title, found)
        chosen = found[0] if found and found[0].good else None
        c = chosen.candidate if chosen else None
        verdict = found[0].verdict if found else None
        return CaptureResult(url, verdict, words or "no capture to judge", c.archive if c else None,
                             c.url if c else None, c.timestamp if c else None, tuple(quotes))

    async def wayback_copy(self, url: str, state: str | None, ref: str, basis: str, then: str | None,
                           need_text: bool) -> tuple[tuple[Judged, str] | None, str]:
        rows = [r for r in (await self.store.capture(url, "match"), await self.store.capture(url, "save"))
                if r and r.archive_url and r.timestamp and r.state in _CITED and r.verdict != "bad"]
        match = next((r for r in rows if r.need == "match"), None)
        row = match if state in BROKEN and match else max(rows, key=lambda r: r.timestamp or "", default=None)
        if row is None or self.wayback is None or self.wayback.outage:
            return None, ""
        own = Candidate("wayback", row.timestamp or "", row.archive_url or "", row.status_code)
        if row.verdict is not None and not need_text:  # judged in an earlier run
            return (Judged(own, "ok", similarity=row.similarity), ""), row.qa or ""
        judge = lambda c: self.judge(c, url, then)  # noqa: E731
        choice = await choose([own], own.timestamp, judge, 1)
        if row.need == "match" and row.verdict is None and choice.skipped:
            # the capture matched to it is bad: the next candidates from CDX, closest to the access date
            # first (one more lookup, only for a bad match: CDX allows 30 a minute)
            near = await self.wayback.around(url, ref, limit=50)
            rest = [Candidate("wayback", r["timestamp"], archive_url(self.wayback.base, r["timestamp"], url),
                              r.get("statuscode")) for r in near.rows if r["timestamp"] != own.timestamp] if near.ok else []
            more = await choose(rest, ref, judge, self.s.tries - 1)
            choice = Choice(more.chosen, choice.judged + more.judged)
        words = choice.words(basis if row.need == "match" else None)
        await self.record(row, choice, words)
        return (_outcome(choice), words)

    async def record(self, row: CaptureRow, choice: Choice, words: str) -> None:
        if self.dry_run or not choice.judged or (choice.chosen is None and not choice.skipped):
            return
        now = iso_of_epoch(self.clock())
        if choice.chosen is not None:
            c = choice.chosen.candidate
            await self.store.finish_capture(row.id, row.state, now, timestamp=c.timestamp, archive_url=c.url,
                                            verdict=choice.chosen.verdict, similarity=choice.chosen.similarity,
                                            qa=words)
        else:
            await self.store.finish_capture(row.id, "none" if row.need == "match" else row.state, now,
                                            verdict="bad", qa=words)

    def getter(self, arch: _Archive) -> Callable[[str, dict[str, str], bool], Awaitable[Reply]]:
        """What memento.lookup fetches with: `arch`'s pace and outage guard, our User-Agent and proxy."""
        def get(address: str, headers: dict[str, str], follow: bool) -> Awaitable[Reply]:
            return arch.get(self.http(address), address, {"User-Agent": self.s.user_agent, **headers}, follow)
        return get

    async def memento_copy(self, url: str, ref: str, basis: str, then: str | None,
                           words: str) -> tuple[tuple[Judged, str] | None, str]:
        said = [words] if words else []
        for mem in self.s.archives:
            arch = self.archive(mem.name, self.s.memento_per_minute)
            if arch.breaker.open:
                continue
            found = await lookup(mem, url, ref, self.getter(arch))
            if isinstance(found, str):
                said.append(f"{mem.name}: {found}")
                continue
            choice = await choose(found, ref, lambda c: self.judge(c, url, then), self.s.tries)
            said.append(f"{mem.name}: " + (choice.words(basis) if choice.judged else "no capture"))
            if choice.judged:
                await self.record_memento(url, choice, said[-1])
            if choice.chosen is not None:
                return _outcome(choice), "; ".join(said)
        return None, "; ".join(said)

    async def record_memento(self, url: str, choice: Choice, words: str) -> None:
        j = choice.chosen or (choice.skipped[0] if choice.skipped else None)
        if self.dry_run or j is None:
            return
        c, now = j.candidate, iso_of_epoch(self.clock())
        await self.store.open_capture(url, "match", "matched" if choice.chosen else "none", now, archive=c.archive,
                                      finished=now, timestamp=c.timestamp, archive_url=c.url, verdict=j.verdict,
                                      similarity=j.similarity, qa=words, reason=f"found in {c.archive} through Memento")

    async def quotes(self, ev: Evidence, then: str | None, then_title: str | None,
                     found: tuple[Judged, str] | None) -> list[QuoteCheck]:
        live, live_title = await self.page(ev.live)
        chosen = found[0] if found and found[0].good else None
        # the `if_` form: the page without the archive's frame, where a text fragment can find the quote
        link = raw_form(chosen.candidate.url, "if_") if chosen else None
        checks = check_quotes(ev.citations, live=live, then=then, capture=chosen.text if chosen else None,
                              capture_url=link, titles=(live_title, then_title, chosen.title if chosen else None))
        if not self.dry_run:
            await self.store.save_quotes([c[0] for c in ev.citations], checks, iso_of_epoch(self.clock()))
        return checks


class Clients:
    """One httpx client per proxy in use: every archive is reached through the proxy the settings or
    the environment name for it (archiver/network.py), as every other stage's requests are."""

    def __init__(self, network, timeout: httpx.Timeout):
        self.network, self.timeout = network, timeout
        self.clients: dict[str | None, httpx.AsyncClient] = {}

    def __call__(self, url: str) -> httpx.AsyncClient:
        proxy = self.network.proxy_for(url)
        if proxy not in self.clients:
            self.clients[proxy] = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False,
                                                    proxy=self.network.httpx_proxy(url),
                                                    verify=self.network.ssl_context(), trust_env=False)
        return self.clients[proxy]

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()


def _outcome(choice: Choice) -> tuple[Judged, str] | None:
    best = choice.chosen or (choice.skipped[0] if choice.skipped else None)
    return (best, "") if best else None


async def run_captures(store: ArchiveStore, http: Callable[[str], httpx.AsyncClient], urls: list[str],
                       settings: CaptureSettings, *,
                       wayback: WaybackClient | None = None, dry_run: bool = False,
                       clock: Callable[[], float] | None = None, sleep=None,
                       on_result: Callable[[CaptureResult], None] | None = None) -> CaptureReport:
    """The capture stage over `urls` (in order), a few URLs at a time; `http(url)` is the client to
    reach `url` through (its proxy: see Clients)."""
    import time

    stage = _Stage(store, http, wayback, settings, dry_run, clock or time.time, sleep or asyncio.sleep)
    known = await store.known_urls(urls)
    out: dict[str, CaptureResult] = {}
    gate = asyncio.Semaphore(4)

    async def one(url: str) -> None:
        async with gate:
            k = known.get(url)
            out[url] = await stage.url(url, k.state.state if k else None)
        if on_result:
            on_result(out[url])

    await asyncio.gather(*(one(u) for u in dict.fromkeys(urls)))
    return CaptureReport([out[u] for u in dict.fromkeys(urls)], stage.outage)
