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
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from .config import Secret
from .models import Capture

__all__ = [
    "Secret", "WaybackKeys", "WaybackConfig", "keys_from_env", "WaybackClient", "Pacer", "Backoff",
    "SaveResult", "JobStatus", "UserStatus", "CdxResult", "Availability", "classify",
    "parse_save_reply", "parse_job_status", "parse_cdx", "parse_begin_in", "archive_url",
    "TRANSIENT", "PERMANENT", "QUOTA_URL_DAY", "QUOTA_ACCOUNT_DAY", "SESSION_LIMIT",
    "TARGET_THROTTLED", "RATE_LIMITED", "AUTH", "PUBLIC_BASE", "host_of",
]

log = logging.getLogger("archiver.wayback")

PUBLIC_BASE = "https://web.archive.org"
PUBLIC_AVAILABILITY = "https://archive.org/wayback/available"
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Retry classes (§1.5, §8.5).
TRANSIENT = "transient"  # retry soon, a bounded number of times
PERMANENT = "permanent"  # record the failure and move on
QUOTA_URL_DAY = "quota-url-day"  # this URL hit its per-URL daily cap: it IS archived today
QUOTA_ACCOUNT_DAY = "quota-account-day"  # the account's daily quota: stop until 00:00 UTC
SESSION_LIMIT = "session-limit"  # our concurrent sessions are full: wait for available > 0
TARGET_THROTTLED = "target-throttled"  # the target host throttles SPN: wait ≥ 60 s / 10 min
RATE_LIMITED = "rate-limited"  # HTTP 429 to us: back off the whole endpoint family
AUTH = "auth"  # HTTP 401: keys missing or refused


@dataclass(frozen=True)
class WaybackKeys:
    """IA S3 keys (https://archive.org/account/s3.php)."""

    access: Secret
    secret: Secret

    @classmethod
    def of(cls, access: str, secret: str) -> "WaybackKeys":
        return cls(Secret(access), Secret(secret))

    def header(self) -> str:
        return f"LOW {self.access.reveal()}:{self.secret.reveal()}"


def keys_from_env(environ: Mapping[str, str]) -> WaybackKeys | None:
    """Keys from IA_ACCESS_KEY / IA_SECRET_KEY, or None unless both are set and non-empty."""
    access, secret = environ.get("IA_ACCESS_KEY", "").strip(), environ.get("IA_SECRET_KEY", "").strip()
    return WaybackKeys.of(access, secret) if access and secret else None


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
    save_per_minute: float = 6.0  # SPN2 allows 7/min with keys (§1.7); stay under it
    cdx_per_minute: float = 24.0  # CDX hard limit 30/min (§4); EDGI's 80%
    backoff_initial: float = 60.0
    backoff_cap: float = 1800.0
    backoff_jitter: float = 0.1  # fraction added, never subtracted
    cdx_retries: int = 3  # 429/5xx retries inside one lookup (lookups are idempotent)
    user_agent: str = "archiver (+https://github.com/archiver-project/archiver)"

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


def archive_url(base: str, timestamp: str, url: str) -> str:
    """The replay link. Built on the configured base so links work against a self-hosted Wayback."""
    return f"{base.rstrip('/')}/web/{timestamp}/{url}"


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveResult:
    """What `POST /save` answered. `job_id` set means accepted; otherwise see `retry_class`."""

    url: str
    job_id: str | None = None
    message: str | None = None
    status_ext: str | None = None
    http_status: int | None = None
    error: str | None = None  # transport error or unparsable reply
    retry_class: str | None = None  # None when accepted
    begin_in: float = 0.0  # "Your capture will begin in N s"
    retry_after: float | None = None  # a hint in seconds for the caller
    maybe_captured: bool = False  # 523 / timeout: the capture may have landed anyway (§1.3 D)
    sent: bool = True  # False when `before_post` vetoed the POST after pacing

    @property
    def accepted(self) -> bool:
        return self.job_id is not None


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    status: str  # pending | success | error | unknown (unparsable, expired, transport error)
    timestamp: str | None = None
    original_url: str | None = None
    status_ext: str | None = None
    message: str | None = None
    http_status: int | None = None  # of the capture, not of our request
    resources: tuple[str, ...] = ()
    download_size: int | None = None
    error: str | None = None
    request_status: int | None = None  # HTTP status of the status request itself
    retry_class: str | None = None


@dataclass(frozen=True)
class UserStatus:
    available: int | None = None
    processing: int | None = None
    daily_captures: int | None = None
    daily_captures_limit: int | None = None
    http_status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class CdxResult:
    """Rows as dicts keyed by `fl` (header row), plus the resume key when one was framed."""

    rows: tuple[dict[str, str], ...] = ()
    resume_key: str | None = None
    http_status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def captures(self, base: str = PUBLIC_BASE) -> list[Capture]:
        out = []
        for row in self.rows:
            ts, original = row.get("timestamp"), row.get("original")
            link = archive_url(base, ts, original) if ts and original else None
            out.append(Capture(url=original or "", archive="wayback", timestamp=ts, archive_url=link,
                               state="archived", status_code=row.get("statuscode")))
        return out


@dataclass(frozen=True)
class Availability:
    url: str
    available: bool = False
    timestamp: str | None = None
    archive_url: str | None = None
    status: str | None = None
    http_status: int | None = None
    error: str | None = None


# -- classification (§1.5) ---------------------------------------------------------------------

_TRANSIENT_EXT = {
    "bad-gateway", "bandwidth-limit-exceeded", "browsing-timeout", "capture-location-error",
    "cannot-fetch", "celery", "gateway-timeout", "internal-server-error", "invalid-server-response",
    "job-failed", "no-browsers-available", "protocol-error", "proxy-error", "read-timeout",
    "soft-time-limit-exceeded", "service-unavailable",
}
_EXT_CLASS = {
    "too-many-daily-captures": QUOTA_URL_DAY,
    "max-daily-bandwidth": QUOTA_ACCOUNT_DAY,
    "max-daily-bandwidth-from-ip": QUOTA_ACCOUNT_DAY,
    "max-daily-bandwidth-host": TARGET_THROTTLED,
    "user-session-limit": SESSION_LIMIT,
    "too-many-requests": TARGET_THROTTLED,
}
# Human messages seen in submit replies, matched as substrings as SPN-SH does (§1.3 C).
_MESSAGE_RULES: tuple[tuple[re.Pattern, str, float | None], ...] = (
    (re.compile(r"cannot make more than [\d,]+ captures per day|daily .*captures limit", re.I),
     QUOTA_ACCOUNT_DAY, None),
    (re.compile(r"already captured \d+ times today", re.I), QUOTA_URL_DAY, None),
    (re.compile(r"limit of active sessions", re.I), SESSION_LIMIT, 5.0),
    (re.compile(r"crawling this host is paused", re.I), TARGET_THROTTLED, 600.0),
    (re.compile(r"cannot start capture|internal error|didn't respond in time", re.I), TRANSIENT, None),
)


def classify(status_ext: str | None, message: str | None = None) -> tuple[str, float | None]:
    """(retry class, suggested wait in seconds or None). Unknown codes are permanent for this run."""
    code = (status_ext or "").removeprefix("error:")
    if code in _EXT_CLASS:
        cls = _EXT_CLASS[code]
        return cls, {TARGET_THROTTLED: 60.0, SESSION_LIMIT: 5.0}.get(cls)
    if code in _TRANSIENT_EXT:
        return TRANSIENT, None
    for pattern, cls, wait in _MESSAGE_RULES:
        if message and pattern.search(message):
            return cls, wait
    return PERMANENT, None


_BEGIN_RE = re.compile(r"(?:begin|start) in ([^.]*)", re.I)
_UNIT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(hours?|h|minutes?|min|m|seconds?|sec|s)\b", re.I)


def parse_begin_in(message: str | None) -> float:
    """Seconds from "Your capture will begin in 20s." / "will start in 1 hour 2 minutes 3 seconds"."""
    match = _BEGIN_RE.search(message or "")
    if not match:
        return 0.0
    total = 0.0
    for number, unit in _UNIT_RE.findall(match.group(1)):
        total += float(number) * {"h": 3600, "m": 60}.get(unit[0].lower(), 1)
    return total


def _json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


def parse_save_reply(url: str, http_status: int, body: str) -> SaveResult:
    """Every shape `POST /save` answers with (§1.3 A–D); the HTTP status alone cannot tell them."""
    data = _json(body)
    if http_status == 429:
        return SaveResult(url, http_status=429, retry_class=RATE_LIMITED, error="HTTP 429 Too Many Requests")
    if http_status == 401:
        return SaveResult(url, http_status=401, retry_class=AUTH,
                          error="HTTP 401: Save Page Now wants valid keys",
                          message=data.get("message") if isinstance(data, dict) else None)
    if http_status >= 500 or http_status == 509:
        return SaveResult(url, http_status=http_status, retry_class=TRANSIENT, error=f"HTTP {http_status}",
                          maybe_captured=http_status in (523, 524))
    if http_status >= 400:
        return SaveResult(url, http_status=http_status, retry_class=PERMANENT, error=f"HTTP {http_status}")
    if not isinstance(data, dict):
        cls, wait = classify(None, body)  # an HTML page: match the messages SPN-SH knows
        if cls == PERMANENT:
            cls = TRANSIENT
        return SaveResult(url, http_status=http_status, retry_class=cls, retry_after=wait,
                          error="unparsable reply" if body.strip() else "empty reply")
    message = data.get("message") or None
    if data.get("job_id"):
        return SaveResult(url, job_id=str(data["job_id"]), message=message, http_status=http_status,
                          begin_in=parse_begin_in(message))
    cls, wait = classify(data.get("status_ext"), message)
    return SaveResult(url, message=message, status_ext=data.get("status_ext"), http_status=http_status,
                      retry_class=cls, retry_after=wait)


def parse_job_status(job_id: str, http_status: int, body: str) -> JobStatus:
    data = _json(body)
    if not isinstance(data, dict) or http_status >= 400:
        message = data.get("message") if isinstance(data, dict) else None
        return JobStatus(job_id, "unknown", request_status=http_status, message=message,
                         error=f"HTTP {http_status}" if http_status >= 400 else "unparsable status reply",
                         retry_class=RATE_LIMITED if http_status == 429 else None)
    status = data.get("status") if data.get("status") in ("pending", "success", "error") else "unknown"
    resources = data.get("resources", data.get("ressources")) or ()
    cls = classify(data.get("status_ext"), data.get("message"))[0] if status == "error" else None
    ts = data.get("timestamp")
    size = data.get("download_size")
    return JobStatus(
        job_id=str(data.get("job_id") or job_id), status=status,
        timestamp=str(ts) if ts else None, original_url=data.get("original_url"),
        status_ext=data.get("status_ext"), message=data.get("message"),
        http_status=data.get("http_status") if isinstance(data.get("http_status"), int) else None,
        resources=tuple(r for r in resources if isinstance(r, str)),
        download_size=size if isinstance(size, int) else None, request_status=http_status,
        retry_class=cls,
    )


def parse_cdx(http_status: int, body: str) -> CdxResult:
    """output=json: header row, data rows, and `[], [key]` framing for the resume key (§4)."""
    if http_status == 429:
        return CdxResult(http_status=429, error="HTTP 429 Too Many Requests")
    if "AdministrativeAccessControlException" in body or "Blocked Site Error" in body:
        return CdxResult(http_status=http_status, error="blocked site (excluded from the Wayback Machine)")
    if http_status >= 400:
        return CdxResult(http_status=http_status, error=f"HTTP {http_status}")
    if not body.strip():
        return CdxResult(http_status=http_status)
    data = _json(body)
    if not isinstance(data, list):
        return CdxResult(http_status=http_status, error="unparsable CDX reply")
    if not data:
        return CdxResult(http_status=http_status)
    header, rows, resume = [str(h) for h in data[0]], [], None
    body_rows = data[1:]
    for i, row in enumerate(body_rows):
        if row == [] and i + 1 < len(body_rows) and body_rows[i + 1]:
            resume = str(body_rows[i + 1][0])
            break
        rows.append(dict(zip(header, (str(v) for v in row))))
    return CdxResult(rows=tuple(rows), resume_key=resume, http_status=http_status)


# -- pacing ----------------------------------------------------------------------------------


class Backoff:
    """60 s after a 429, doubling per repeat, capped (30 min), with additive jitter."""

    def __init__(self, initial: float = 60.0, cap: float = 1800.0, jitter: float = 0.1,
                 rng: random.Random | None = None):
        self.initial, self.cap, self.jitter = initial, cap, jitter
        self.rng = rng or random.Random()
        self.trips = 0

    def next_delay(self) -> float:
        base = min(self.initial * (2 ** self.trips), self.cap)
        self.trips += 1
        return min(base * (1 + self.jitter * self.rng.random()), self.cap) if base < self.cap else self.cap

    def reset(self) -> None:
        self.trips = 0


class Pacer:
    """A strict-spacing token bucket (burst 1) with a pause switch, on an injected clock and sleep.

    Spacing every call by 60/rate seconds means no 60-second window holds more than `rate` calls,
    which is what the server counts. Exactly 60/rate would put call N+1 exactly 60 s after call 1,
    so a few milliseconds of network jitter could land N+1 calls in one window: `margin` (2%) widens
    the spacing to absorb that.
    """

    def __init__(self, per_minute: float, clock: Clock, sleep: Sleep, backoff: Backoff | None = None,
                 margin: float = 0.02):
        self.interval = 60.0 / per_minute * (1 + margin) if per_minute and per_minute > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.backoff = backoff or Backoff()
        self.paused_until = 0.0
        self._next = -math.inf
        self._lock: asyncio.Lock | None = None
        self.calls = 0

    async def acquire(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                now = self.clock()
                due = max(self._next, self.paused_until)
                if now >= due:
                    break
                await self.sleep(due - now)
            self._next = now + self.interval
            self.calls += 1

    def trip(self) -> float:
        """A 429 arrived: pause this family; returns the time it may resume."""
        self.paused_until = max(self.paused_until, self.clock() + self.backoff.next_delay())
        return self.paused_until

    def pause_until(self, when: float) -> None:
        self.paused_until = max(self.paused_until, when)

    def ok(self) -> None:
        self.backoff.reset()


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

    def __repr__(self) -> str:
        return f"WaybackClient(base={self.config.base!r}, keys={'***' if self.has_keys else None})"

    @property
    def has_keys(self) -> bool:
        return self.config.keys is not None

    @property
    def base(self) -> str:
        return self.config.base

    def _headers(self, auth: bool) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self.config.user_agent}
        if auth and self.config.keys is not None:
            headers["Authorization"] = self.config.keys.header()
        return headers

    async def _request(self, method: str, url: str, *, auth: bool, **kw) -> httpx.Response | str:
        """The response, or the transport error as text (never with headers in it)."""
        try:
            return await self.http.request(method, url, headers=self._headers(auth), **kw)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"

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
            await self.cdx_pacer.acquire()
            self.stats["cdx"] += 1
            reply = await self._request("GET", self.config.cdx_endpoint, auth=False, params=params)
            if isinstance(reply, str):
                result = CdxResult(error=reply)
                await self.sleep(5.0)
                continue
            result = parse_cdx(reply.status_code, reply.text)
            if reply.status_code == 429:
                self.stats["cdx_429"] += 1
                until = self.cdx_pacer.trip()
                log.warning("CDX answered 429; pausing lookups for %.0f s", until - self.clock())
                continue
            if reply.status_code in (500, 502, 503, 504, 520, 523):
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
        await self.cdx_pacer.acquire()
        reply = await self._request("GET", self.config.availability_endpoint, auth=False, params=params)
        if isinstance(reply, str):
            return Availability(url, error=reply)
        data = _json(reply.text)
        if reply.status_code >= 400 or not isinstance(data, dict):
            return Availability(url, http_status=reply.status_code, error=f"HTTP {reply.status_code}")
        closest = (data.get("archived_snapshots") or {}).get("closest") or {}
        if not closest.get("available") or not closest.get("timestamp"):
            return Availability(url, http_status=reply.status_code)
        ts = str(closest["timestamp"])  # the reply's own url is http:// and may keep :80; rebuild it
        return Availability(url, True, ts, archive_url(self.base, ts, url), str(closest.get("status")),
                            reply.status_code)

    # -- SPN2 ---------------------------------------------------------------------------------
    async def save(self, url: str, *, if_not_archived_within: str | None = None, capture_all: bool = False,
                   force_get: bool = False, js_behavior_timeout: int | None = None,
                   before_post: Callable[[], bool] | None = None) -> SaveResult:
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
        await self.save_pacer.acquire()
        if before_post is not None and not before_post():
            return SaveResult(url, sent=False, error="not sent")
        self.stats["save"] += 1
        reply = await self._request("POST", self.config.save_endpoint, auth=True, data=form)
        if isinstance(reply, str):
            return SaveResult(url, error=reply, retry_class=TRANSIENT, maybe_captured=True)
        result = parse_save_reply(url, reply.status_code, reply.text)
        if result.retry_class == RATE_LIMITED:
            self.stats["save_429"] += 1
            until = self.save_pacer.trip()
            log.warning("Save Page Now answered 429; pausing submissions for %.0f s", until - self.clock())
        elif reply.status_code < 400:
            self.save_pacer.ok()
        return result

    async def job_status(self, job_id: str) -> JobStatus:
        self.stats["status"] += 1
        reply = await self._request("GET", f"{self.config.status_endpoint}/{job_id}", auth=True)
        if isinstance(reply, str):
            return JobStatus(job_id, "unknown", error=reply)
        return parse_job_status(job_id, reply.status_code, reply.text)

    async def user_status(self) -> UserStatus:
        reply = await self._request("GET", f"{self.config.status_endpoint}/user", auth=True,
                                    params={"_t": str(time.time_ns())})
        if isinstance(reply, str):
            return UserStatus(error=reply)
        data = _json(reply.text)
        if reply.status_code >= 400 or not isinstance(data, dict):
            return UserStatus(http_status=reply.status_code, error=f"HTTP {reply.status_code}")
        ints = {k: data.get(k) if isinstance(data.get(k), int) else None
                for k in ("available", "processing", "daily_captures", "daily_captures_limit")}
        return UserStatus(**ints, http_status=reply.status_code)

    async def system_status(self) -> str:
        reply = await self._request("GET", f"{self.config.status_endpoint}/system", auth=False)
        if isinstance(reply, str):
            return reply
        data = _json(reply.text)
        return str(data.get("status")) if isinstance(data, dict) else f"HTTP {reply.status_code}"


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
