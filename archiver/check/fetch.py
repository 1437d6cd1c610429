"""The async checker: one shared httpx.AsyncClient, bounded memory, outcomes as values.

This is the ONE place where httpx exceptions become statuses (timeout, dns-error, tls-error,
connection-error, ...); everything upstream sees CheckResult values. The client is injected
(`make_client` builds the recommended one) so tests can hand in a client for the loopback web
or an httpx.MockTransport.

Redirects are followed by hand so the whole chain is recorded and each target passes the
private-address guard. Bodies are streamed, capped on DECODED bytes (a gzip bomb stops at the
cap) and hashed while streaming, their bytes taken from the run's byte budget (check/budget.py)
until the result leaves `check_urls`. `check_urls` pulls URLs lazily (see _Feed) and yields
results as they complete, so memory does not grow with the number of URLs, and bodies in flight
stay within `body_budget` (plus one body) however many of them are large.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
import re
import secrets
import socket
import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from .. import defaults
from ..defaults import USER_AGENT
from ..models import CheckResult, Snapshot
from .addresses import is_private
from .budget import ByteBudget, Lease
from .classify import VERDICT_TEXT, Probe, alive_of, classify_response
from .cookies import ChainCookies
from .hosts import HostGate, _Host
from .lazyhttpx import httpx
from .page import decode_body, extract_title, is_html, main_text
from .probe import PROBE_FAILED, await_probe
from .slots import Slots, Ticket
from .target import Target, join, parse
from .transport import Client, Timeout, WireHeaders, WireTransport, drain, read_capped

__all__ = [
    "USER_AGENT",
    "FetchSettings",
    "Client",
    "WireTransport",
    "check_one",
    "check_urls",
    "make_client",
    "parse_retry_after",
    "system_resolver",
]

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
PAGE_TEXT = max(defaults.TEXT_EXCERPT, VERDICT_TEXT)  # characters of a page's main text read at first (page.main_text)
Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = defaults.CONCURRENCY  # URLs in flight, all hosts together
    per_host: int = defaults.PER_HOST  # requests in flight per host (scheme://host:port) at first ...
    per_host_max: int = defaults.PER_HOST_MAX  # ... adapting up to this many (see hosts.HostGate for the policy)
    per_host_fast: float = 1.0  # seconds: an answer quicker than this lets the host's limit grow
    per_host_interval: float = 0.0  # seconds between request starts to one host
    connect_timeout: float = 10.0
    read_timeout: float = defaults.READ_TIMEOUT  # per read, not per body
    total_timeout: float = 60.0  # per URL: redirects, retries and waits included
    retries: int = defaults.RETRIES  # extra attempts after connection errors, 5xx and 429
    backoff_base: float = 0.5  # seconds; doubles each attempt, plus up to this much jitter
    backoff_max: float = 10.0
    retry_after_cap: float = 30.0  # a longer Retry-After gives up at once (rate-limited)
    max_redirects: int = 10
    max_body: int = defaults.MAX_BODY  # decoded bytes kept (and hashed) per page
    body_budget: int = defaults.BODY_BUDGET  # decoded body bytes held at once by a run, all pages (check/budget.py)
    text_bytes: int = 256 * 1024  # bytes decoded for title, text and classification
    offload_bytes: int = 128 * 1024  # bodies above this are analysed in a worker thread
    user_agent: str = USER_AGENT
    allow_private: bool = False  # fetch private, loopback, link-local ... addresses
    probe_soft404: bool = True  # one random-path probe per host (Bar-Yossef et al. 2004)
    probe_cache: int = 1024  # hosts whose probe result is kept during a run
    probe_timeout: float = 10.0  # the probe's own budget; a page never waits longer for it (check/probe.py)


def make_client(settings: FetchSettings | None = None) -> Client:
    """The client the CLI should build once per run and pass to check_urls/check_one: the
    checker's own GETs on its wire, and an httpx.AsyncClient for anything else (transport.Client)."""
    s = settings or FetchSettings()
    return Client(
        WireTransport(limit=2 * max(s.concurrency, s.per_host, 1)),  # TLS context built at the first https URL
        headers={"User-Agent": s.user_agent},
        timeout=Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.connect_timeout, pool=s.total_timeout),
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


# re.A: ASCII case only (re.I alone lets 'ı' and 'K', the Kelvin sign, pass as letters)
_HOSTNAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_-]{1,63})*\.?$", re.I | re.A)
# RFC 6761: .invalid never resolves, so answer without asking the network.
_NEVER_RESOLVES = re.compile(r"(^|\.)invalid\.?$", re.I | re.A)


async def system_resolver(host: str, port: int) -> list[str]:
    """Addresses of `host` via the system resolver (loop.getaddrinfo)."""
    if _NEVER_RESOLVES.search(host):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime  # an HTTP-date: rare, and email costs 4 ms to import

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# ------------------------------------------------------------- errors ---

class _Skip(Exception):
    """The URL is not fetched: non-HTTP, malformed, private address."""


class _TooManyRedirects(Exception):
    pass


_DNS_TEXT = re.compile(r"Name or service not known|nodename nor servname|Temporary failure in name "
                       r"resolution|No address associated with hostname|getaddrinfo failed", re.I)
_TLS_TEXT = re.compile(r"\bSSL\b|CERTIFICATE_VERIFY|\bTLS\b", re.I)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it (explicit causes first, then implicit context)."""
    seen: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in seen:
        seen.append(cause)
        cause = cause.__cause__ or cause.__context__
    return [e for e in seen if not isinstance(e, asyncio.CancelledError)]


ERROR_LIMIT = 500  # characters of an error kept: parser errors quote what the server sent


def _map_exception(exc: BaseException) -> tuple[str, str, bool]:
    """(status, error, transport_failure) for an exception raised while fetching one URL."""
    if isinstance(exc, _Skip):
        return "skipped", str(exc), False
    if isinstance(exc, _TooManyRedirects):
        return "too-many-redirects", str(exc), False
    chain = _causes(exc)
    messages = [f"{type(e).__name__}: {e}" for e in chain if str(e)]
    full = "; ".join(dict.fromkeys(messages)) or type(exc).__name__  # every layer's words, to classify by
    detail = messages[-1] if messages else type(exc).__name__  # what is shown: the root cause, one line
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return "timeout", detail, True
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return "skipped", f"malformed URL: {exc}", False
    if isinstance(exc, httpx.RemoteProtocolError):  # broken HTTP: its text quotes the server's bytes,
        return "connection-error", detail[:ERROR_LIMIT], True  # which must not pass for DNS or TLS words
    if any(isinstance(e, socket.gaierror) for e in chain) or _DNS_TEXT.search(full):
        return "dns-error", detail, True
    if (any(isinstance(e, (ssl.SSLError, ssl.CertificateError)) for e in chain)
            or _TLS_TEXT.search(full)):
        return "tls-error", detail, True
    if isinstance(exc, httpx.DecodingError):
        return "connection-error", full, False  # the server answered, the encoding (named on top) was broken
    return "connection-error", detail, True


def _retryable(exc: BaseException) -> bool:
    """Connection errors are retried; timeouts, DNS and TLS errors are not."""
    if not isinstance(exc, (httpx.TransportError, OSError)) or isinstance(exc, httpx.TimeoutException):
        return False
    return _map_exception(exc)[0] == "connection-error"


# --------------------------------------------------------------- run ---

@dataclass
class _Hop:
    status: int
    headers: httpx.Headers | WireHeaders
    location: str | None = None
    body: bytes = b""
    sha256: str = ""
    truncated: bool = False
    attempts: int = 1
    note: str | None = None


class _Final(NamedTuple):
    """Where a check landed: the URL as followed, and its parsed form (for the host's probe)."""

    url: str
    target: Target


@dataclass
class _Reading:
    """How one check reads bodies: a page up to max_body through its lease of the byte budget; the
    soft-404 probe only the `text_bytes` it is compared on, first in its host's queue, its clock
    (probe_timeout) started once it has its turn there. `cookies`: what the hops of its redirect
    chain set, sent on its later hops (check/cookies.py; made at the first Set-Cookie). `ticket`:
    the check's global slot in a run, given back while it waits to retry (check/slots.py), and
    `timer` its time limit, stopped while it waits for a slot again."""

    cap: int
    lease: Lease | None = None
    probe_clock: asyncio.Timeout | None = None
    cookies: ChainCookies | None = None
    ticket: Ticket | None = None
    timer: asyncio.Timeout | None = None


@dataclass
class _Run:
    """State shared by the checks of one run: host gates, probe cache, DNS cache."""

    client: httpx.AsyncClient | Client
    settings: FetchSettings
    clock: Callable[[], datetime] = _utcnow
    monotonic: Callable[[], float] = time.monotonic
    resolver: Resolver = system_resolver
    rng: random.Random = field(default_factory=random.Random)
    budget: ByteBudget | None = None  # None: one of settings.body_budget bytes for this run
    slots: Slots | None = None  # the run's global slots (check_urls); None: a check waits in place

    def __post_init__(self):
        self.hosts = HostGate(self.settings.per_host, self.settings.per_host_max, self.settings.per_host_fast,
                              self.settings.per_host_interval, self.monotonic)
        self.probes: OrderedDict[str, asyncio.Task] = OrderedDict()
        self.dns: OrderedDict[str, list[str]] = OrderedDict()
        self.budget = self.budget or ByteBudget(self.settings.body_budget)
        self._headers: dict[str, str] | None = None  # the client's headers, for the wire

    async def close(self) -> None:
        for task in self.probes.values():
            task.cancel()
        await asyncio.gather(*self.probes.values(), return_exceptions=True)
        self.probes.clear()

    async def check(self, url: str, lease: Lease | None = None, ticket: Ticket | None = None) -> CheckResult:
        """One URL; its body's bytes stay on `lease` until the caller releases it. `ticket` holds
        one of the run's `slots`, which the check gives back while it waits to retry."""
        started, checked_at = self.monotonic(), self.clock()
        chain: list[dict] = []
        base: dict[str, Any] = {"url": url, "checked_at": checked_at, "redirects": chain}
        try:
            async with asyncio.timeout(self.settings.total_timeout) as timer:
                if lease is not None:
                    lease.timer = timer  # waiting for the budget does not count against the URL's time
                reading = _Reading(self.settings.max_body, lease, ticket=ticket, timer=timer)
                final, hop = await self._follow(url, chain, reading)
                result = await self._judge(url, final, hop, chain, timer.when())
        except (httpx.HTTPError, httpx.InvalidURL, OSError, TimeoutError, _Skip, _TooManyRedirects) as exc:
            status, error, transport = _map_exception(exc)
            if isinstance(exc, TimeoutError) and not str(exc):
                error = f"no complete answer within {self.settings.total_timeout:g} s"
            result = {"status": status, "alive": alive_of(status), "error": error,
                          "transport_failure": transport, "final_url": chain[-1]["location"] if chain else None}
        base.update(result, redirects=tuple(chain))
        return CheckResult(**base, elapsed_ms=round((self.monotonic() - started) * 1000))

    async def _guard(self, url: str) -> tuple[Target, list[str]]:
        """The URL parsed, and the addresses it may be fetched from (checked unless allow_private)."""
        try:
            u = parse(url)
        except (httpx.InvalidURL, TypeError, ValueError) as e:
            raise _Skip(f"malformed URL: {e}") from None
        if u.scheme not in ("http", "https"):
            raise _Skip(f"not an HTTP(S) URL: scheme {u.scheme or 'missing'!r}")
        if not u.host:
            raise _Skip("malformed URL: no host")
        host = u.host
        addresses = self.dns.get(host)  # a name resolved before, or an address literal seen before
        if addresses is None:
            try:
                addresses = [str(ipaddress.ip_address(host.strip("[]")))]
                self._remember(host, addresses)
            except ValueError:
                pass  # a name (resolved below, outside this handler: a DNS error must not chain to it)
        if addresses is None:
            if len(host) > 253 or not _HOSTNAME.match(host):
                raise _Skip(f"malformed URL: invalid host {host!r}")
            addresses = await self._resolve(host, u.port or (443 if u.scheme == "https" else 80))
        if not self.settings.allow_private:
            # The wire connects to these very addresses (no second lookup that could answer
            # differently: DNS rebinding); Host and TLS still name the host.
            for address in addresses:
                if is_private(address):
                    raise _Skip(f"refused private address {address} (use --allow-private)")
        return u, addresses

    async def _resolve(self, host: str, port: int) -> list[str]:
        addresses = await self.resolver(host, port)  # errors are not cached
        self._remember(host, addresses)
        return addresses

    def _remember(self, host: str, addresses: list[str]) -> None:
        self.dns[host] = addresses
        if len(self.dns) > 4096:
            self.dns.popitem(last=False)

    async def _follow(self, url: str, chain: list[dict], reading: _Reading) -> tuple[_Final, _Hop]:
        seen, current = {(url, 0)}, url
        for _ in range(self.settings.max_redirects + 1):
            u, addresses = await self._guard(current)
            hop = await self._fetch(u, reading, addresses)
            if hop.location is None:
                return _Final(current, u), hop
            try:
                target = join(u, hop.location)
            except httpx.InvalidURL as e:
                raise _Skip(f"malformed redirect target {hop.location!r}: {e}") from None
            chain.append({"url": current, "status": hop.status, "location": target})
            visit = (target, reading.cookies.version if reading.cookies else 0)  # new cookies: a new visit
            if visit in seen:
                raise _TooManyRedirects(f"redirect loop back to {target}")
            seen.add(visit)
            current = target
        raise _TooManyRedirects(f"more than {self.settings.max_redirects} redirects")

    async def _fetch(self, u: Target, reading: _Reading, addresses: list[str] | None = None) -> _Hop:
        """One hop with retries on connection errors, 5xx and 429."""
        s = self.settings
        delay: float | None
        for attempt in range(s.retries + 1):
            last = attempt == s.retries
            if reading.lease is not None:
                reading.lease.release()  # an earlier attempt's body is dropped
            try:
                hop = await self._request(u, reading, addresses)
            except (httpx.TransportError, OSError) as exc:
                if last or not _retryable(exc):
                    raise
                delay = self._backoff(attempt)
            else:
                hop.attempts = attempt + 1
                delay = self._retry_delay(hop, attempt, last)
                if delay is None:
                    return hop
                del hop  # not kept while waiting
            await self._wait(delay, reading)
        raise AssertionError("unreachable")

    def _retry_delay(self, hop: _Hop, attempt: int, last: bool) -> float | None:
        """Seconds to wait before asking again after `hop` (429 or 5xx), or None: `hop` is final."""
        s = self.settings
        if not (hop.status == 429 or 500 <= hop.status < 600 and hop.status != 501) or last:
            return None
        wait = parse_retry_after(hop.headers.get("retry-after"), self.clock())
        if wait is not None and wait > s.retry_after_cap:
            hop.note = f"Retry-After {wait:g} s is over the cap of {s.retry_after_cap:g} s"
            return None
        return self._backoff(attempt) if wait is None else wait + self.rng.uniform(0, 0.05)

    async def _wait(self, seconds: float, reading: _Reading) -> None:
        """Wait before a retry holding no body and, in a run, no global slot: another URL's request
        proceeds meanwhile (check/slots.py). The URL itself is not asked again sooner."""
        if reading.lease is not None:
            reading.lease.release()
        if self.slots is None or reading.ticket is None:
            await asyncio.sleep(seconds)
        else:
            await self.slots.pause(reading.ticket, seconds, reading.timer)

    async def _enter(self, key: str, reading: _Reading) -> _Host:
        """A turn at the host `key`. In a run, a check that must wait for it (the host has its limit
        in flight) gives its global slot to another host's URL meanwhile and takes one back before
        new URLs (check/slots.py). The wait at the host counts against the URL's time limit, as
        before; the wait for the slot afterwards does not."""
        first = reading.probe_clock is not None
        if self.slots is None or reading.ticket is None or not self.hosts.busy(key):
            return await self.hosts.enter(key, first)
        return await self.slots.away(reading.ticket, self.hosts.enter(key, first), reading.timer, self.hosts.leave)

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        return min(s.backoff_max, s.backoff_base * 2**attempt) + self.rng.uniform(0, s.backoff_base)

    async def _request(self, u: Target, reading: _Reading, addresses: list[str] | None = None) -> _Hop:
        clock = reading.probe_clock
        host = await self._enter(u.key, reading)
        started = self.monotonic()
        try:
            if clock is not None and clock.when() is None:
                clock.reschedule(asyncio.get_running_loop().time() + self.settings.probe_timeout)
            async with self._get(u, addresses, reading.cookies) as resp:
                self.hosts.answered(host, resp.status_code, "retry-after" in resp.headers, started)
                if "set-cookie" in resp.headers:
                    reading.cookies = reading.cookies or ChainCookies()
                    reading.cookies.update(u.host, u.url, resp.headers.multi_items())
                location = resp.headers.get("location")
                if resp.status_code in REDIRECT_CODES and location:
                    await drain(resp, 64 * 1024)  # small bodies: keep the connection alive
                    return _Hop(resp.status_code, resp.headers, location=location)
                body, digest, truncated = await read_capped(resp, reading.cap, reading.lease)
                return _Hop(resp.status_code, resp.headers, body=body, sha256=digest, truncated=truncated)
        except httpx.TimeoutException:
            self.hosts.timed_out(host, started)
            raise
        finally:
            self.hosts.leave(host)

    @contextlib.asynccontextmanager
    async def _get(self, u: Target, addresses: list[str] | None = None, cookies: ChainCookies | None = None):
        """One GET: through the client's wire when it has one (make_client's), to the addresses the
        guard checked; else through httpx. With the cookies the chain was given for this URL."""
        wire = getattr(self.client, "wire", None)
        cookie = cookies.header(u.host, u.url) if cookies is not None else None
        if wire is None:
            headers = {"User-Agent": self.settings.user_agent, **({"Cookie": cookie} if cookie else {})}
            async with self.client.stream("GET", u.url, headers=headers, follow_redirects=False) as resp:
                yield resp
            return
        if self._headers is None:
            self._headers = {**self.client.headers, "user-agent": self.settings.user_agent}  # keys in lower case
        headers = self._headers if cookie is None else {**self._headers, "cookie": cookie}
        resp = await wire.get(u.url, headers, self.client.timeout, addresses)
        try:
            yield resp
        finally:
            await resp.aclose()

    async def _judge(self, url: str, final: _Final, hop: _Hop, chain: list[dict], deadline: float | None) -> dict:
        s, final_url = self.settings, final.url
        ctype = hop.headers.get("content-type")
        page = await _analyse_async(hop.body, ctype, s, PAGE_TEXT)
        html, text = page["html"], page["text"]
        snapshot = Snapshot(sha256=hop.sha256, body=hop.body, content_type=ctype, size=len(hop.body),
                            truncated=hop.truncated, title=page["title"],
                            text=text[:defaults.TEXT_EXCERPT] if text else text, charset=page["charset"])
        probe = None
        if s.probe_soft404 and html and is_html(ctype) and 200 <= hop.status < 300:
            probe = await self._probe(final.target, deadline)  # one request per host per run, then cached
        headers = hop.headers.multi_items()
        status, alive = classify_response(hop.status, headers, url=url, final_url=final_url,
                                          redirects=chain, html=html, title=page["title"],
                                          text=text, text_whole=page["whole"], probe=probe)
        error = hop.note
        if hop.attempts > 1 and status in ("server-error", "rate-limited"):
            error = error or f"HTTP {hop.status} after {hop.attempts} attempts"
        return {"status": status, "alive": alive, "http_status": hop.status, "final_url": final_url,
                    "headers": tuple(headers), "snapshot": snapshot, "error": error}

    async def _probe(self, u: Target, deadline: float | None) -> Probe:
        """The soft-404 probe, fetched once per host per run and shared by concurrent checks."""
        key = u.key
        task = self.probes.get(key)
        if task is None:
            probe_url = u.with_path(f"/archiver-probe-{secrets.token_hex(8)}")
            task = self.probes[key] = asyncio.ensure_future(self._run_probe(probe_url))
            if len(self.probes) > self.settings.probe_cache:  # drop the oldest finished probe
                old = next((k for k, t in self.probes.items() if t.done()), None)
                if old is not None:
                    del self.probes[old]
        return await await_probe(task, deadline)

    async def _run_probe(self, probe_url: str) -> Probe:
        try:
            async with asyncio.timeout(None) as clock:  # armed at the probe's turn at its host (_request)
                final, hop = await self._follow(probe_url, [], _Reading(self.settings.text_bytes, None, clock))
                page = await _analyse_async(hop.body, hop.headers.get("content-type"), self.settings)
        except Exception:  # noqa: BLE001 - whatever went wrong, the probe only failed (check/probe.py)
            return PROBE_FAILED
        return Probe(hop.status, title=page["title"], text=page["text"], final_url=final.url)


def _analyse(body: bytes, content_type: str | None, text_bytes: int, at_least: int | None = None) -> dict:
    """Decode, title and main text of a page (CPU work: big bodies go to a thread). With `at_least`,
    only that much of the main text or more is read ("whole": False when perhaps not all of it)."""
    decoded, charset = decode_body(body, content_type, text_bytes)
    if decoded is None:
        return {"html": None, "title": None, "text": None, "whole": True, "charset": None}
    if is_html(content_type) or (not content_type and "<html" in decoded[:1024].lower()):
        text, whole = main_text(decoded, at_least)
        return {"html": decoded, "title": extract_title(decoded), "text": text, "whole": whole, "charset": charset}
    return {"html": None, "title": None, "text": decoded, "whole": True, "charset": charset}


async def _analyse_async(body: bytes, content_type: str | None, s: FetchSettings, at_least: int | None = None) -> dict:
    if len(body) > s.offload_bytes:
        return await asyncio.to_thread(_analyse, body, content_type, s.text_bytes, at_least)
    return _analyse(body, content_type, s.text_bytes, at_least)


# --------------------------------------------------------- entry points ---

async def check_one(
    client: httpx.AsyncClient | Client,
    url: str,
    settings: FetchSettings | None = None,
    *,
    clock: Callable[[], datetime] = _utcnow,
    monotonic: Callable[[], float] = time.monotonic,
    resolver: Resolver = system_resolver,
) -> CheckResult:
    """Check one URL (its own probe cache and host gates; use check_urls for many)."""
    run = _Run(client, settings or FetchSettings(), clock, monotonic, resolver)
    try:
        return await run.check(url)
    finally:
        await run.close()


_DONE = object()
RESULTS_QUEUED = 1  # results waiting for check_urls' consumer, per slot, before checks stop starting


class _Feed:
    """The URLs of a run as the workers take them: straight from a plain iterable (no task, no
    queue), through a bounded queue filled by a task from an async one. An input that fails stops
    the feed; `error` keeps the exception for check_urls to raise once what was taken is done."""

    def __init__(self, urls: Iterable[str] | AsyncIterable[str], workers: int):
        self.error: BaseException | None = None
        self._workers = workers
        self._async = urls if isinstance(urls, AsyncIterable) else None
        self._iter = None if isinstance(urls, AsyncIterable) else iter(urls)
        self.queue: asyncio.Queue | None = asyncio.Queue(maxsize=workers) if self._async is not None else None

    def start(self) -> list[asyncio.Future]:
        return [asyncio.ensure_future(self._fill())] if self._async is not None else []

    def take(self) -> object:
        """The next URL of a plain iterable, or _DONE."""
        if self._iter is None:
            return _DONE
        try:
            return next(self._iter)
        except StopIteration:
            pass
        except Exception as exc:  # the input failed: finish what was taken, then re-raise
            self.error = exc
        self._iter = None
        return _DONE

    async def _fill(self) -> None:
        assert self.queue is not None and self._async is not None
        try:
            async for url in self._async:
                await self.queue.put(url)
        except Exception as exc:  # the input failed: finish what is queued, then re-raise
            self.error = exc
        for _ in range(self._workers):
            await self.queue.put(_DONE)


async def check_urls(
    client: httpx.AsyncClient | Client,
    urls: Iterable[str] | AsyncIterable[str],
    settings: FetchSettings | None = None,
    *,
    clock: Callable[[], datetime] = _utcnow,
    monotonic: Callable[[], float] = time.monotonic,
    resolver: Resolver = system_resolver,
    budget: ByteBudget | None = None,
) -> AsyncGenerator[CheckResult, None]:
    """Check URLs, `settings.concurrency` at once; yield results in completion order.

    URLs are pulled lazily (a plain iterable as each worker needs one, an async one through a
    bounded queue) and results leave through a queue of `concurrency` (RESULTS_QUEUED): a finished
    check gives its slot to the next URL unless that many results wait for the consumer already
    (then it waits, holding its result and its slot, until the consumer takes one). The bodies of the
    checks in flight and of the results not yet taken share `body_budget` (check/budget.py): a
    read that would exceed it waits. So memory stays bounded whatever the length of `urls`, however
    large the pages and however slow the consumer. Pass `budget` to share one between runs (or to
    read its `peak`). A check waiting to retry (a Retry-After, a backoff) gives its slot to another
    URL meanwhile, and so does a check waiting for its host's turn; at most `concurrency` checks
    wait so at once, a waiting retry with no body (check/slots.py).
    """
    s = settings or FetchSettings()
    budget = budget or ByteBudget(s.body_budget)
    slots = Slots(max(s.concurrency, 1))
    run = _Run(client, s, clock, monotonic, resolver, budget=budget, slots=slots)
    workers = 2 * max(s.concurrency, 1)  # up to half of them waiting to retry, without a slot
    feed = _Feed(urls, workers)
    done: asyncio.Queue = asyncio.Queue(maxsize=RESULTS_QUEUED * max(s.concurrency, 1))

    async def work() -> None:
        queue, ticket = feed.queue, Ticket()
        try:
            await slots.take(ticket)  # a URL is taken only with a slot for it
            while (url := feed.take() if queue is None else await queue.get()) is not _DONE:
                lease = budget.lease()
                await done.put((await run.check(cast(str, url), lease, ticket), lease))
                await slots.renew(ticket)
        except Exception as exc:  # a bug, not a per-URL failure: surface it
            await done.put(exc)
        finally:
            slots.give(ticket)
        await done.put(_DONE)

    tasks = feed.start() + [asyncio.ensure_future(work()) for _ in range(workers)]
    try:
        finished = 0
        while finished < workers:
            item = await done.get()
            if item is _DONE:
                finished += 1
            elif isinstance(item, Exception):
                raise item
            else:
                result, lease = item
                try:
                    yield result
                finally:
                    lease.release()  # the consumer has it now
        if feed.error is not None:
            raise feed.error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await run.close()
