"""An async Wayback Machine client: CDX, availability, Save Page Now 2 and its job status.

Why our own and not waybackpy: waybackpy has no SPN2 (no keys, no job ids, no status_ext), hard-codes
its endpoints, is synchronous and unmaintained since 2022 (see shared/reference/wayback-api.md §6).

Design:
- The caller injects the `httpx.AsyncClient`, the base URL, a clock (epoch seconds) and a sleep, so
  tests and benchmarks run against the fake server on a scaled clock. One `base_url` points every
  endpoint (save, status, CDX, availability) at one server; per-endpoint overrides exist.
- Every reply shape in §1.3/§1.4 becomes a value (`SaveResult`, `JobStatus`, `CdxResult`, ...); a
  transport error is a value too. Nothing here raises for a per-request failure.
- Each `status_ext` (and the human messages SPN-SH matches) maps to a retry class (§1.5).
- Pacing: one token bucket for `POST /save` (≤6/min) and one shared CDX limiter (≤24/min), both
  strict-spacing (burst 1) so no 60-second window ever holds more than the rate; an HTTP 429 pauses
  that endpoint family for 60 s, doubling up to 30 min, with additive jitter.
- Keys live in `Secret`, whose repr and str are '***'; they only ever leave as the header value.
- Every reply is bounded (replies.py): `max_reply` decoded bytes, `request_deadline` seconds in all,
  and the stage as a whole `stage_deadline` seconds. A pause the server asks for (Retry-After, or our
  own 429 backoff) longer than `max_wait` is not waited out: that family's breaker holds until then,
  and the work stays queued with that time as its next attempt.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from ..clock import iso_of_epoch
from ..defaults import CDX_PER_MINUTE, SAVES_PER_MINUTE, USER_AGENT
from ..network import Network
from ..secrets import Secret
from .pacing import Backoff, Breaker, Clock, Pacer, Sleep
from .protocol import (
    AUTH,
    PERMANENT,
    PUBLIC_BASE,
    QUOTA_ACCOUNT_DAY,
    QUOTA_URL_DAY,
    RATE_LIMITED,
    SESSION_LIMIT,
    TARGET_THROTTLED,
    TRANSIENT,
    Availability,
    CdxResult,
    JobStatus,
    SaveResult,
    UserStatus,
    archive_url,
    classify,
    int_of,
    json_or_none,
    parse_begin_in,
    parse_cdx,
    parse_job_status,
    parse_save_reply,
    text_of,
    timestamp_of,
)
from .redact import Redactor
from .replies import ACCEPT_ENCODING, fetch, retry_after

__all__ = [
    "Secret", "WaybackKeys", "WaybackConfig", "WaybackClient", "Pacer", "Backoff",
    "SaveResult", "JobStatus", "UserStatus", "CdxResult", "Availability", "classify",
    "parse_save_reply", "parse_job_status", "parse_cdx", "parse_begin_in", "archive_url",
    "TRANSIENT", "PERMANENT", "QUOTA_URL_DAY", "QUOTA_ACCOUNT_DAY", "SESSION_LIMIT",
    "TARGET_THROTTLED", "RATE_LIMITED", "AUTH", "PUBLIC_BASE",
]

log = logging.getLogger("archiver.wayback")

PUBLIC_AVAILABILITY = "https://archive.org/wayback/available"



@dataclass(frozen=True)
class WaybackKeys:
    """IA S3 keys (https://archive.org/account/s3.php)."""

    access: Secret
    secret: Secret

    @classmethod
    def of(cls, access: str, secret: str) -> WaybackKeys:
        return cls(Secret(access), Secret(secret))

    def header(self) -> str:
        return f"LOW {self.access.reveal()}:{self.secret.reveal()}"

    def redactor(self) -> Redactor:
        return Redactor([self.access.reveal(), self.secret.reveal()])


@dataclass(frozen=True)
class WaybackConfig:
    """Where the Wayback Machine is and how hard we may push it.

    `base_url` alone points every endpoint at one server (`--wayback-url`): availability then lives
    at `<base>/wayback/available`, except for the public base, where it is archive.org's.
    """

    base_url: str = PUBLIC_BASE
    save_url: str | None = None
    status_url: str | None = None  # prefix of /save/status/<id> and /save/status/user
    cdx_url: str | None = None
    availability_url: str | None = None
    keys: WaybackKeys | None = field(default=None, repr=False)
    save_per_minute: float = SAVES_PER_MINUTE  # SPN2 allows 7/min with keys (§1.7); stay under it
    cdx_per_minute: float = CDX_PER_MINUTE  # CDX hard limit 30/min (§4); EDGI's 80%
    backoff_initial: float = 60.0
    backoff_cap: float = 1800.0
    backoff_jitter: float = 0.1  # fraction added, never subtracted
    cdx_retries: int = 3  # 429/5xx retries inside one lookup (lookups are idempotent)
    user_agent: str = USER_AGENT
    max_reply: int = 4 * 1024 * 1024  # decoded bytes of one reply (a CDX page of 50 rows is ~5 KB)
    request_deadline: float = 120.0  # seconds for one whole request: connect, headers and body
    max_wait: float = 300.0  # the longest pause (Retry-After, 429 backoff) waited out within a run
    stage_deadline: float | None = None  # seconds the whole stage may send requests for

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def save_endpoint(self) -> str:
        return self.save_url or f"{self.base}/save"

    @property
    def status_endpoint(self) -> str:
        return (self.status_url or f"{self.base}/save/status").rstrip("/")

    @property
    def cdx_endpoint(self) -> str:
        return self.cdx_url or f"{self.base}/cdx/search/cdx"

    @property
    def availability_endpoint(self) -> str:
        if self.availability_url:
            return self.availability_url
        return PUBLIC_AVAILABILITY if self.base == PUBLIC_BASE else f"{self.base}/wayback/available"



# -- the client ------------------------------------------------------------------------------


class WaybackClient:
    """The Wayback endpoints over an injected `httpx.AsyncClient`. Every method returns a value."""

    def __init__(self, http: httpx.AsyncClient, config: WaybackConfig | None = None, *,
                 clock: Clock = time.time, sleep: Sleep = asyncio.sleep, rng: random.Random | None = None):
        self.http = http
        self.config = config or WaybackConfig()
        self.clock, self.sleep = clock, sleep
        rng = rng or random.Random()
        c = self.config
        self.save_pacer = Pacer(c.save_per_minute, clock, sleep, Backoff(c.backoff_initial, c.backoff_cap,
                                                                          c.backoff_jitter, rng))
        self.cdx_pacer = Pacer(c.cdx_per_minute, clock, sleep, Backoff(c.backoff_initial, c.backoff_cap,
                                                                        c.backoff_jitter, rng))
        self.stats = {"save": 0, "save_429": 0, "cdx": 0, "cdx_429": 0, "status": 0}
        # Every text a Wayback server sends passes through here before it becomes a value.
        self.redact = self.config.keys.redactor() if self.config.keys else Redactor()
        # One breaker per endpoint family; once one opens, nothing more is sent in this run.
        self.breakers = {"lookup": Breaker("lookup"), "save": Breaker("Save Page Now")}
        self.pacers = {"lookup": self.cdx_pacer, "save": self.save_pacer}
        self.stop_at = clock() + c.stage_deadline if c.stage_deadline is not None else None
        self.out_of_time: str | None = None

    def _outage(self, breaker: Breaker) -> str:
        if breaker.until is not None:
            return (f"the Wayback Machine at {self.base} asked archiver to wait until "
                    f"{iso_of_epoch(breaker.until)} ({breaker.reason})")
        return f"the Wayback Machine at {self.base} is unreachable: {breaker.reason}"

    @property
    def outage(self) -> str | None:
        """Why the Wayback Machine counts as unreachable for the rest of this run, or None."""
        if self.out_of_time:
            return self.out_of_time
        return next((self._outage(b) for b in self.breakers.values() if b.open), None)

    @property
    def resume_at(self) -> float | None:
        """When the work stopped by `outage` may be tried again (None: at the next run)."""
        return max((b.until for b in self.breakers.values() if b.until is not None), default=None)

    def pause(self, family: str, until: float, why: str) -> None:
        """Pause a family until `until`; past `max_wait` from now, hold it for the rest of the run."""
        if until - self.clock() > self.config.max_wait:
            self.breakers[family].hold(until, why)
        else:
            self.pacers[family].pause_until(until)

    def _time_left(self) -> float:
        """Seconds the next request may take: the request deadline, or what is left of the stage's."""
        if self.stop_at is None:
            return self.config.request_deadline
        left = self.stop_at - self.clock()
        if left <= 0 and not self.out_of_time:
            self.out_of_time = (f"the archive stage's time limit ({self.config.stage_deadline:g} s) ran out; "
                                "nothing more is sent in this run")
        return min(self.config.request_deadline, left)

    def __repr__(self) -> str:
        return f"WaybackClient(base={self.config.base!r}, keys={'***' if self.has_keys else None})"

    @property
    def has_keys(self) -> bool:
        return self.config.keys is not None

    @property
    def base(self) -> str:
        return self.config.base

    def _headers(self, auth: bool) -> dict[str, str]:
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING,
                   "User-Agent": self.config.user_agent}
        if auth and self.config.keys is not None:
            headers["Authorization"] = self.config.keys.header()
        return headers

    async def _request(self, method: str, url: str, *, auth: bool, family: str = "lookup",
                       **kw) -> tuple[int, str] | str:
        """(HTTP status, body text, secrets redacted), or the transport error as text. Nothing is
        sent once a breaker is open or the stage is out of time (see `outage`). A reply too large or
        too slow counts towards the breaker like a transport error."""
        deadline = self._time_left()
        if self.outage:
            return f"not sent: {self.outage}"
        breaker = self.breakers[family]
        reply = await fetch(self.http, method, url, cap=self.config.max_reply, deadline=deadline,
                            headers=self._headers(auth), **kw)
        if isinstance(reply, str):
            error = self.redact(reply)
            breaker.record(None, error)
            return error
        breaker.record(reply.status)
        wait = retry_after(reply.retry_after, self.clock()) if reply.status in (429, 503) else None
        if wait is not None:
            self.pause(family, self.clock() + wait, f"HTTP {reply.status} with Retry-After: {wait:.0f} s")
        # JSON is UTF-8 (RFC 8259): a charset the server names is not consulted
        return reply.status, self.redact.reply(reply.body.decode("utf-8", "replace"))

    # -- CDX and availability ---------------------------------------------------------------
    async def cdx(self, url: str, *, fl: tuple[str, ...] = ("timestamp", "original", "statuscode"),
                  from_: str | None = None, to: str | None = None, filters: tuple[str, ...] = (),
                  limit: int | None = None, closest: str | None = None, sort: str | None = None,
                  match_type: str | None = None, collapse: tuple[str, ...] = (),
                  fast_latest: bool = False, resume_key: str | None = None,
                  show_resume_key: bool = False) -> CdxResult:
        params: list[tuple[str, str]] = [("url", url), ("output", "json")]
        if fl:
            params.append(("fl", ",".join(fl)))
        for name, value in (("from", from_), ("to", to), ("closest", closest), ("sort", sort),
                            ("matchType", match_type), ("limit", limit)):
            if value is not None:
                params.append((name, str(value)))
        params += [("filter", f) for f in filters] + [("collapse", c) for c in collapse]
        if fast_latest:
            params.append(("fastLatest", "true"))
        if show_resume_key:
            params.append(("showResumeKey", "true"))
        if resume_key:
            params.append(("resumeKey", resume_key))
        result = CdxResult(error="not tried")
        for _ in range(self.config.cdx_retries + 1):
            if self.outage:  # before waiting for a paced slot that would be wasted
                return CdxResult(error=f"not sent: {self.outage}")
            await self.cdx_pacer.acquire()
            self.stats["cdx"] += 1
            reply = await self._request("GET", self.config.cdx_endpoint, auth=False, params=params)
            if isinstance(reply, str):
                result = CdxResult(error=reply)
                if self.outage:
                    break
                await self.sleep(5.0)
                continue
            code, text = reply
            result = _parsed(parse_cdx, code, text, fl) or CdxResult(http_status=code, error="unparsable CDX reply")
            if code == 429:
                self.stats["cdx_429"] += 1
                until = self.cdx_pacer.trip()
                self.pause("lookup", until, "HTTP 429, backing off")
                log.warning("CDX answered 429; pausing lookups until %s", iso_of_epoch(until))
                continue
            if code in (500, 502, 503, 504, 520, 523):
                if self.outage:
                    break
                await self.sleep(5.0)
                continue
            self.cdx_pacer.ok()
            break
        return result

    async def newest(self, url: str, *, since: str | None = None, only_200: bool = True) -> CdxResult:
        """The newest capture (optionally since a 1–14 digit timestamp), fastLatest with limit=-1."""
        return await self.cdx(url, fl=("timestamp", "original", "statuscode"), from_=since,
                              filters=("statuscode:200",) if only_200 else (), limit=-1, fast_latest=True)

    async def around(self, url: str, timestamp: str, *, limit: int = 50) -> CdxResult:
        """Captures nearest a timestamp first (`sort=closest`), for choosing a replacement link."""
        return await self.cdx(url, fl=("timestamp", "original", "statuscode", "mimetype"),
                              closest=timestamp, sort="closest", limit=limit)

    async def availability(self, url: str, timestamp: str | None = None) -> Availability:
        params = {"url": url} | ({"timestamp": timestamp} if timestamp else {})
        if not self.outage:
            await self.cdx_pacer.acquire()
        reply = await self._request("GET", self.config.availability_endpoint, auth=False, params=params)
        if isinstance(reply, str):
            return Availability(url, error=reply)
        code, text = reply
        data = json_or_none(text)
        if code >= 400 or not isinstance(data, dict):
            return Availability(url, http_status=code, error=f"HTTP {code}")
        snapshots = data.get("archived_snapshots")
        closest = snapshots.get("closest") if isinstance(snapshots, dict) else None
        if not isinstance(closest, dict):
            return Availability(url, http_status=code)
        ts = timestamp_of(closest.get("timestamp"))
        if not ts or closest.get("available") is not True:
            return Availability(url, http_status=code)
        # the reply's own url is http:// and may keep :80; rebuild it
        return Availability(url, True, ts, archive_url(self.base, ts, url), text_of(closest.get("status"), 10),
                            code)

    # -- SPN2 ---------------------------------------------------------------------------------
    async def save(self, url: str, *, if_not_archived_within: str | None = None, capture_all: bool = False,
                   force_get: bool = False, js_behavior_timeout: int | None = None,
                   before_post: Callable[[], Awaitable[bool]] | None = None) -> SaveResult:
        """One paced `POST /save`. Never sends capture_outlinks; always skip_first_archive=1.

        `before_post` runs after the pacer grants the slot and right before the POST: the caller
        records 'submitting' there, or returns False to cancel (e.g. the daily quota just ran out).
        """
        if not self.has_keys:
            return SaveResult(url, retry_class=AUTH, error="no keys: set IA_ACCESS_KEY and IA_SECRET_KEY")
        form = {"url": url, "skip_first_archive": "1"}
        if capture_all:
            form["capture_all"] = "1"
        if force_get:
            form["force_get"] = "1"
        if if_not_archived_within:
            form["if_not_archived_within"] = if_not_archived_within
        if js_behavior_timeout is not None:
            form["js_behavior_timeout"] = str(js_behavior_timeout)
        if self.outage:
            return SaveResult(url, sent=False, error=f"not sent: {self.outage}")
        if not await self.save_pacer.acquire(before_post):
            return SaveResult(url, sent=False, error="not sent")
        self.stats["save"] += 1
        reply = await self._request("POST", self.config.save_endpoint, auth=True, family="save", data=form)
        if isinstance(reply, str):
            return SaveResult(url, error=reply, retry_class=TRANSIENT, maybe_captured=True)
        code, text = reply
        result = _parsed(parse_save_reply, url, code, text) or SaveResult(
            url, http_status=code, error="unparsable reply", retry_class=TRANSIENT, maybe_captured=True)
        if result.retry_class == RATE_LIMITED:
            self.stats["save_429"] += 1
            until = self.save_pacer.trip()
            self.pause("save", until, "HTTP 429, backing off")
            log.warning("Save Page Now answered 429; pausing submissions until %s", iso_of_epoch(until))
        elif code < 400:
            self.save_pacer.ok()
        return result

    async def job_status(self, job_id: str) -> JobStatus:
        self.stats["status"] += 1
        reply = await self._request("GET", f"{self.config.status_endpoint}/{quote(job_id, safe='')}", auth=True,
                                    family="save")
        if isinstance(reply, str):
            return JobStatus(job_id, "unknown", error=reply)
        return _parsed(parse_job_status, job_id, *reply) or JobStatus(job_id, "unknown", request_status=reply[0],
                                                                         error="unparsable status reply")

    async def user_status(self) -> UserStatus:
        reply = await self._request("GET", f"{self.config.status_endpoint}/user", auth=True, family="save",
                                    params={"_t": str(time.time_ns())})
        if isinstance(reply, str):
            return UserStatus(error=reply)
        code, text = reply
        data = json_or_none(text)
        if code >= 400 or not isinstance(data, dict):
            return UserStatus(http_status=code, error=f"HTTP {code}")
        ints: dict[str, Any] = {k: int_of(data.get(k)) for k in ("available", "processing", "daily_captures", "daily_captures_limit")}
        return UserStatus(**ints, http_status=code)

    async def system_status(self) -> str:
        reply = await self._request("GET", f"{self.config.status_endpoint}/system", auth=False)
        if isinstance(reply, str):
            return reply
        data = json_or_none(reply[1])
        return (text_of(data.get("status"), 40) or "unknown") if isinstance(data, dict) else f"HTTP {reply[0]}"


def _parsed(parse, *args):
    """A parser's value, or None if it failed: a reply we cannot read is a value, never a crash that
    leaves a capture in 'submitting'. (The parsers are total by design; this is the safety net.)"""
    try:
        return parse(*args)
    except Exception as exc:  # noqa: BLE001 - any parser bug on hostile input
        log.warning("unparsable Wayback reply (%s)", type(exc).__name__)
        return None


def http_client(base_url: str, timeout: httpx.Timeout, network: Network | None = None) -> httpx.AsyncClient:
    """The httpx client the archive stage talks to the Wayback Machine through: the same proxy and CAs
    as the check stage (archiver/network.py: the settings' proxy or the environment's, NO_PROXY, the
    CA bundle or SSL_CERT_FILE / SSL_CERT_DIR). Every endpoint lives under `base_url`, so its proxy is
    the one for all."""
    network = network or Network()
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, proxy=network.httpx_proxy(base_url),
                             verify=network.ssl_context(), trust_env=False)

