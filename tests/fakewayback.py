"""A fake Wayback Machine: a real HTTP server on 127.0.0.1 (port 0, in a thread) speaking the
protocol of shared/reference/wayback-api.md §1.9, §3, §4 and §5 closely enough that the client and
the archiving policy can be tested and benchmarked offline.

What it models:
- CDX (`/cdx/search/cdx`, `/web/timemap/cdx|json`) and availability (`/wayback/available`) from a
  seeded capture list: fl, from/to prefix semantics, filter with `!`, collapse, limit ±N,
  sort=closest/reverse, output=json with header row, empty results as `[]` or an empty body,
  showResumeKey framing, an optional per-minute 429 and a "blocked site" exclusion.
- SPN2: `POST /save` (401 without Authorization, strict booleans, job ids `spn2-`+sha1 reused with a
  message within 1 h, per-minute limit as 429 HTML without Retry-After, session limit, per-URL and
  account daily caps, configurable refusals, injected 502/520/523 faults that may still land),
  `GET|POST /save/status`, `/save/status/user`, `/save/status/system`; jobs walk a script or succeed
  after `capture_seconds`, and success adds a capture to CDX (optionally visible only later).
- `/web/<url>`: a TimeGate (302 to the capture nearest Accept-Datetime, with a Link header).
- `/web/timemap/link/<url>` and `/web/<ts>[id_]/<url>` mementos: 200 with Memento-Datetime and Link,
  captured bodies in `id_` mode, captured redirects, 302 to the nearest capture.

Its clock is injectable (epoch seconds), so a benchmark can run one simulated minute per real
second. Every request is recorded (method, path, query, form, headers) for assertions.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx

DEFAULT_FL = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
HOUR = 3600.0


def ts14(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d%H%M%S")


def epoch14(ts: str) -> float:
    """A 1–14 digit Wayback timestamp as epoch seconds ("2014" is 2014-01-01T00:00:00Z)."""
    ts = ts[:14] + "00000101000000"[len(ts[:14]):]
    return datetime.strptime(ts, "%Y%m%d%H%M%S").replace(tzinfo=UTC).timestamp()


def urlkey(url: str) -> str:
    """A rough SURT-like key: scheme, www. and a trailing slash do not matter; host is lowercase."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").removeprefix("www.")
    rest = parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")
    return f"{host}{rest}"


def parse_window(text: str) -> float | None:
    """if_not_archived_within: "3d 5h 20m" or plain seconds; only the first (non-outlink) value."""
    text = (text or "").split(",")[0].strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([dhms])", text):
        total += float(number) * units[unit]
    return total or None


def truthy(value: str | None) -> bool:
    return value in ("1", "on")  # SPN2: only "1" or "on" are true (§1.2)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]
    at: float


@dataclass
class Job:
    job_id: str
    url: str
    submitted_at: float
    options: dict[str, bool | str]
    script: list | None = None
    polls: int = 0
    final: dict | None = None
    existing_ts: str | None = None
    landed: bool = False


class ScaledClock:
    """Real time sped up: `scale` simulated seconds per real second (60 = a minute a second)."""

    def __init__(self, scale: float = 60.0, start: float | None = None):
        self.scale = scale
        self.start = time.time() if start is None else start
        self.m0 = time.monotonic()

    def __call__(self) -> float:
        return self.start + (time.monotonic() - self.m0) * self.scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)


class VirtualClock:
    """Discrete-event time for tests: nothing really waits, and time moves only when every task is
    asleep and no HTTP request is in flight (see `ClockedTransport`). The sleeper with the earliest
    wake time goes first, so a request is stamped with the time its sender saw when it sent it.
    """

    def __init__(self, start: float = 1_767_225_600.0):  # 2026-01-01T00:00:00Z
        self.now = start
        self.busy = 0  # HTTP requests in flight
        self._sleepers: list[tuple[float, int]] = []
        self._seq = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self._seq += 1
        me = (self.now + max(0.0, seconds), self._seq)
        heapq.heappush(self._sleepers, me)
        spins, started = 0, time.monotonic()
        try:
            while True:
                await asyncio.sleep(0)
                if self.busy == 0 and self._sleepers[0] == me:
                    spins += 1
                    if spins >= 3:  # let tasks made runnable by the last wake-up reach their next await
                        self.now = max(self.now, me[0])
                        return
                else:
                    spins = 0
                if time.monotonic() - started > 30:
                    raise RuntimeError("virtual clock stalled: a task waits on something that never comes")
        finally:
            self._sleepers.remove(me)
            heapq.heapify(self._sleepers)


class ClockedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that holds a `VirtualClock` still while a request is in flight."""

    def __init__(self, clock: VirtualClock, inner: httpx.AsyncBaseTransport | None = None):
        self.clock = clock
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request):
        self.clock.busy += 1
        try:
            response = await self.inner.handle_async_request(request)
            raw = b"".join([piece async for piece in response.aiter_raw()])  # as sent: the client decodes
            await response.aclose()
            return httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(raw),
                                  extensions=response.extensions)
        finally:
            self.clock.busy -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


class FakeWayback:
    """Configure by attributes (all plain values) before or during a test; read `requests`."""

    def __init__(self, *, clock=time.time, save_per_minute: float | None = 7, cdx_per_minute: float | None = None,
                 max_sessions: int = 5, daily_limit: int = 30000, url_daily_cap: int = 5,
                 capture_seconds: float = 0.0, hold_pending: bool = False, cdx_empty: str = "[]",
                 rate_limit_mode: str = "429", cdx_visible_after: float = 0.0, require_auth: bool = True):
        self.clock = clock
        self.save_per_minute, self.cdx_per_minute = save_per_minute, cdx_per_minute
        self.max_sessions, self.daily_limit, self.url_daily_cap = max_sessions, daily_limit, url_daily_cap
        self.capture_seconds, self.hold_pending = capture_seconds, hold_pending
        self.cdx_empty, self.rate_limit_mode = cdx_empty, rate_limit_mode
        self.cdx_visible_after, self.require_auth = cdx_visible_after, require_auth
        self.captures: list[dict] = []
        self.jobs: dict[str, Job] = {}
        self.requests: list[Recorded] = []
        self.save_faults: list[tuple[int, bool]] = []  # (HTTP status, capture lands anyway)
        self.refusals: dict[str, str] = {}  # url -> url-daily|account-daily|session-limit|blocked-url
        self.refuse_once: dict[str, str] = {}  # the same, for the next POST of that URL only
        self.scripts: dict[str, list] = {}  # url -> ["pending", "success" | ("error", ext, msg)], next job only
        self.begin_in: dict[str, int] = {}
        self.cdx_blocked: set[str] = set()
        self.system_status = "ok"
        self.refuse_keys = 0  # answer the next N authenticated POSTs with 401 (bad keys / IA overload)
        # Hostile replies: url -> fields merged into its next save reply / into its job's status replies
        # (non-string `message`, list `status_ext`, object `job_id`, ...).
        self.save_patch: dict[str, dict] = {}
        self.status_patch: dict[str, dict] = {}
        self.echo_headers = False  # put the request's headers into every reply (a leaky debugging proxy)
        self.fail_all: int | None = None  # answer every request with this HTTP status (an outage)
        # answer every request with a hostile reply: "huge" (300 MB of JSON), "bomb" (1 MB of gzip that
        # inflates to 1 GiB), "retry-after" (429, Retry-After: 86400), "trickle" (a byte a second)
        self.hostile: str | None = None
        self.rejected_429: list[float] = []
        self.lock = threading.RLock()
        self._save_times: list[float] = []
        self._cdx_times: list[float] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeWayback:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-wayback", daemon=True)
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self) -> FakeWayback:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- seeding and reading ------------------------------------------------------------------
    def seed(self, url: str, timestamp: str, status: str = "200", mimetype: str = "text/html",
             visible_at: float = 0.0, body: str | None = None, location: str | None = None) -> None:
        """A capture; `body`: the page as captured (served in `id_` mode), `location`: a captured redirect."""
        digest = hashlib.sha1(f"{url}{timestamp}".encode()).hexdigest()[:32].upper()
        with self.lock:
            self.captures.append({"urlkey": urlkey(url), "timestamp": timestamp, "original": url,
                                  "mimetype": mimetype, "statuscode": status, "digest": digest,
                                  "length": "1234", "visible_at": visible_at, "body": body, "location": location})
            self.captures.sort(key=lambda c: (c["urlkey"], c["timestamp"]))

    def saves(self, url: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path.rstrip("/") == "/save"
                    and (url is None or r.form.get("url", [None])[0] == url)]

    def count(self, prefix: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r.path.startswith(prefix))

    # -- SPN2 ---------------------------------------------------------------------------------
    def _over(self, times: list[float], limit: float | None, now: float) -> bool:
        times[:] = [t for t in times if now - t < 60.0]
        return limit is not None and len(times) >= limit

    def _processing(self, now: float) -> int:
        return sum(1 for j in self.jobs.values() if j.final is None and now - j.submitted_at < HOUR)

    def _today(self, now: float) -> str:
        return ts14(now)[:8]

    def save(self, form: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, str, str]:
        now = self.clock()
        if self.require_auth and "authorization" not in headers and "cookie" not in headers:
            return 401, "text/html", "<html><body><p>You need to be logged in to use Save Page Now.</p></body></html>"
        if self.refuse_keys > 0:
            self.refuse_keys -= 1
            return 401, "application/json", json.dumps({"message": "You need to be logged in to use Save Page Now."})
        if self.save_faults:
            status, lands = self.save_faults.pop(0)
            if lands and form.get("url"):  # 523/timeout although the capture succeeded (§1.3 D)
                self._land(self._new_job(form["url"][0], form, now))
            return status, "text/html", f"<html><body><h1>{status} Server Error</h1></body></html>"
        if self._over(self._save_times, self.save_per_minute, now):
            self.rejected_429.append(now)
            if self.rate_limit_mode == "json":
                return 200, "application/json", json.dumps({"status": "error", "status_ext": "error:too-many-requests",
                                                            "message": "Too many requests."})
            return 429, "text/html", ("<html><head><title>Too Many Requests</title></head><body><h1>Too Many "
                                      "Requests</h1><p>no more than 7 per minute</p></body></html>")
        url = (form.get("url") or [""])[0]
        if not url:
            return 400, "text/html", "<html><body>Bad request: url is missing</body></html>"
        refusal = self._refusal(url, now)
        if refusal:
            return 200, "application/json", json.dumps(refusal)
        for job in self.jobs.values():
            if job.url == url and now - job.submitted_at < HOUR and (job.final or {}).get("status") != "error":
                minutes = int((now - job.submitted_at) // 60)
                return 200, "application/json", json.dumps({
                    "url": url, "job_id": job.job_id,
                    "message": f"The same snapshot had been made {minutes} minutes ago. You can make new "
                               "capture of this URL after 1 hour."})
        if self._processing(now) >= self.max_sessions:
            return 200, "application/json", json.dumps({
                "status": "error", "status_ext": "error:user-session-limit",
                "message": "You have already reached the limit of active sessions. Please try again later."})
        self._save_times.append(now)
        job = self._new_job(url, form, now)
        reply = {"url": url, "job_id": job.job_id}
        if url in self.begin_in:
            reply["message"] = f"Your capture will begin in {self.begin_in[url]}s."
        reply.update(self.save_patch.pop(url, {}))
        return 200, "application/json", json.dumps(reply)

    def _refusal(self, url: str, now: float) -> dict | None:
        kind = self.refuse_once.pop(url, None) or self.refusals.get(url)
        today = self._today(now)
        accepted_today = sum(1 for j in self.jobs.values() if self._today(j.submitted_at) == today)
        if kind == "account-daily" or accepted_today >= self.daily_limit:
            return {"status": "error", "message": f"You cannot make more than {self.daily_limit} captures per day."}
        url_today = sum(1 for c in self.captures if c["urlkey"] == urlkey(url) and c["timestamp"][:8] == today)
        if kind == "url-daily" or url_today >= self.url_daily_cap:
            return {"status": "error", "status_ext": "error:too-many-daily-captures",
                    "message": f"This URL has been already captured {self.url_daily_cap} times today, "
                               "which is a daily limit we have set for that Resource type."}
        if kind == "session-limit":
            return {"status": "error", "status_ext": "error:user-session-limit",
                    "message": "You have already reached the limit of active sessions."}
        if kind == "blocked-url":
            return {"status": "error", "status_ext": "error:blocked-url",
                    "message": "This URL is in the Save Page Now service block list and cannot be captured."}
        return None

    def _new_job(self, url: str, form: dict[str, list[str]], now: float) -> Job:
        n = sum(1 for j in self.jobs.values() if j.url == url)
        job_id = "spn2-" + hashlib.sha1(f"{url}#{n}".encode() if n else url.encode()).hexdigest()
        options = {k: truthy((form.get(k) or [None])[0]) for k in
                   ("capture_all", "capture_outlinks", "capture_screenshot", "skip_first_archive", "force_get")}
        job = Job(job_id, url, now, options, script=list(self.scripts.pop(url, [])) or None)
        window = parse_window((form.get("if_not_archived_within") or [""])[0])
        if window:
            recent = [c for c in self._visible(url, now) if now - epoch14(c["timestamp"]) < window]
            if recent:
                job.existing_ts = recent[-1]["timestamp"]
        self.jobs[job_id] = job
        return job

    def status(self, job_id: str) -> tuple[int, dict]:
        code, reply = self._status(job_id)
        job = self.jobs.get(job_id)
        if job is not None and job.url in self.status_patch:
            reply = dict(reply, **self.status_patch[job.url])
        return code, reply

    def _status(self, job_id: str) -> tuple[int, dict]:
        now = self.clock()
        job = self.jobs.get(job_id)
        if job is None or now - job.submitted_at > HOUR:
            return 404, {"status": "error", "message": f"Job {job_id} not found or expired."}
        if job.final:
            return 200, job.final
        job.polls += 1
        step = "pending"
        if job.script:
            step = job.script.pop(0) if len(job.script) > 1 else job.script[0]
        elif not self.hold_pending and now - job.submitted_at >= self.capture_seconds:
            step = "success"
        if step == "pending":
            return 200, {"status": "pending", "job_id": job_id, "resources": [job.url]}
        if isinstance(step, (tuple, list)):
            _, ext, message = step
            job.final = {"status": "error", "job_id": job_id, "status_ext": ext, "message": message,
                         "exception": message, "resources": []}
            return 200, job.final
        ts = job.existing_ts or ts14(job.submitted_at)
        if not job.existing_ts:
            self._land(job)
        job.final = {"status": "success", "job_id": job_id, "original_url": job.url, "timestamp": ts,
                     "duration_sec": 6.2, "resources": [job.url], "outlinks": [], "http_status": 200,
                     "counters": {"embeds": 0, "outlinks": 0}}
        if job.existing_ts:
            job.final["message"] = "A recent capture already exists."
        return 200, job.final

    def _land(self, job: Job) -> None:
        if not job.landed:
            job.landed = True
            self.seed(job.url, ts14(job.submitted_at), visible_at=job.submitted_at + self.cdx_visible_after)

    def release(self) -> None:
        """Let held jobs finish (and land) on their next poll."""
        with self.lock:
            self.hold_pending = False

    def user_status(self) -> dict:
        now = self.clock()
        processing = self._processing(now)
        today = self._today(now)
        return {"available": max(0, self.max_sessions - processing), "processing": processing,
                "daily_captures": sum(1 for j in self.jobs.values() if self._today(j.submitted_at) == today),
                "daily_captures_limit": self.daily_limit}

    # -- CDX ----------------------------------------------------------------------------------
    def _visible(self, url: str, now: float, prefix: bool = False) -> list[dict]:
        key = urlkey(url)
        return [c for c in self.captures if c["visible_at"] <= now
                and (c["urlkey"].startswith(key) if prefix else c["urlkey"] == key)]

    def cdx(self, q: dict[str, list[str]]) -> tuple[int, str, str]:
        now = self.clock()
        if self._over(self._cdx_times, self.cdx_per_minute, now):
            return 429, "text/html", "<html><body><h1>429 Too Many Requests</h1></body></html>"
        self._cdx_times.append(now)
        one = lambda k, d=None: (q.get(k) or [d])[0]  # noqa: E731
        url = one("url", "")
        prefix = one("matchType") == "prefix" or url.endswith("/*")
        url = url.removesuffix("/*").removesuffix("*")
        if urlkey(url) in {urlkey(b) for b in self.cdx_blocked}:
            return 403, "text/plain", ("org.archive.wayback.exception.AdministrativeAccessControlException: "
                                       "Blocked Site Error")
        rows = self._visible(url, now, prefix)
        if one("from"):
            rows = [r for r in rows if r["timestamp"] >= one("from").ljust(14, "0")]
        if one("to"):
            rows = [r for r in rows if r["timestamp"] <= one("to").ljust(14, "9")]
        for f in q.get("filter", []):
            neg, f = f.startswith("!"), f.removeprefix("!")
            name, _, pattern = f.partition(":")
            rx = re.compile(pattern)
            rows = [r for r in rows if bool(rx.fullmatch(str(r.get(name, "")))) != neg]
        for c in q.get("collapse", []):
            name, _, n = c.partition(":")
            out, last = [], object()
            for r in rows:
                val = str(r.get(name, ""))[: int(n)] if n else r.get(name)
                if val != last:
                    out.append(r)
                last = val
            rows = out
        if one("sort") == "closest" and one("closest"):
            target = epoch14(one("closest"))
            rows = sorted(rows, key=lambda r: (abs(epoch14(r["timestamp"]) - target), r["timestamp"]))
        elif one("sort") == "reverse":
            rows = rows[::-1]
        offset = int(unquote(one("resumeKey", "")).partition("+")[2] or 0) if one("resumeKey") else 0
        rows = rows[offset:]
        limit, more = one("limit"), False
        if limit:
            n = int(limit)
            more = 0 < n < len(rows)
            rows = rows[:n] if n >= 0 else rows[n:]
        fl = tuple(one("fl").split(",")) if one("fl") else DEFAULT_FL
        table = [[str(r.get(f, "")) for f in fl] for r in rows]
        key = quote(f"{urlkey(url)}+{offset + len(table)}") if more and one("showResumeKey") == "true" else None
        if one("output") == "json":
            if not table:
                return 200, "application/json", self.cdx_empty
            body = [list(fl), *table] + ([[], [key]] if key else [])
            return 200, "application/json", json.dumps(body)
        text = "\n".join(" ".join(r) for r in table) + ("\n\n" + key if key else "")
        return 200, "text/plain", text + ("\n" if text else "")

    def available(self, q: dict[str, list[str]]) -> dict:
        url = (q.get("url") or [""])[0]
        reply: dict = {"url": url, "archived_snapshots": {}}
        rows = self._visible(url, self.clock())
        ts = (q.get("timestamp") or [None])[0]
        if ts:
            reply["timestamp"] = ts
            target = epoch14(ts)
            rows = sorted(rows, key=lambda r: abs(epoch14(r["timestamp"]) - target))
        else:
            rows = rows[::-1]
        if rows:
            r = rows[0]
            reply["archived_snapshots"]["closest"] = {
                "available": True, "url": f"http://web.archive.org/web/{r['timestamp']}/{r['original']}",
                "timestamp": r["timestamp"], "status": r["statuscode"]}
        return reply

    def timemap(self, url: str) -> str:
        rows = self._visible(url, self.clock())
        lines = [f"<{url}>; rel=\"original\"",
                 f"<{self.base_url}/web/timemap/link/{url}>; rel=\"self\"; type=\"application/link-format\"",
                 f"<{self.base_url}>; rel=\"timegate\""]
        for i, r in enumerate(rows):
            rel = "memento"
            if i == 0:
                rel = "first memento" if len(rows) > 1 else "first last memento"
            elif i == len(rows) - 1:
                rel = "last memento"
            when = format_datetime(datetime.fromtimestamp(epoch14(r["timestamp"]), UTC), usegmt=True)
            lines.append(f"<{self.base_url}/web/{r['timestamp']}/{r['original']}>; rel=\"{rel}\"; datetime=\"{when}\"")
        return ",\n".join(lines) + "\n"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeWayback/1.0"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    @property
    def fake(self) -> FakeWayback:
        return self.server.fake  # type: ignore[attr-defined]

    def _send(self, status: int, body: str | dict, ctype: str = "application/json", headers: dict | None = None):
        body = self._echo(body, ctype)
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _echo(self, body: str | dict, ctype: str) -> str | dict:
        """With `echo_headers`, the request headers go into every reply: as an object in `message`,
        as text in `status_ext` and an extra field, in error pages, CDX cells and job ids."""
        if not self.fake.echo_headers:
            return body
        seen = dict(self.headers.items())
        auth = seen.get("Authorization", "")
        if isinstance(body, str) and ctype == "application/json":
            data = json.loads(body) if body.strip() else None
            if isinstance(data, dict):
                body = data
            elif isinstance(data, list) and data and isinstance(data[0], list):
                return json.dumps([data[0], *[[*r[:-1], f"{r[-1]} {auth}"] if r else r for r in data[1:]]])
        if isinstance(body, dict):
            body = dict(body, debug=seen, message={"text": body.get("message"), "headers": seen},
                        status_ext=[body.get("status_ext") or "ok", auth])
            if "job_id" in body:
                body["job_id"] = f"{body['job_id']}{auth.replace(' ', '-')}"
            return body
        return f"{body}<!-- request headers: {json.dumps(seen)} -->"

    def _record(self, form: dict[str, list[str]]) -> tuple[str, dict[str, list[str]], dict[str, str]]:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.fake.lock:
            self.fake.requests.append(Recorded(self.command, parts.path, query, form, headers, self.fake.clock()))
        return parts.path, query, headers

    def do_GET(self) -> None:
        self._dispatch({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        self._dispatch(parse_qs(raw, keep_blank_values=True))

    def _dispatch(self, form: dict[str, list[str]]) -> None:
        try:
            self._route(form)
        except Exception as exc:  # a bug in the fake must show as a 500, not a hung client
            self._send(500, f"fake wayback error: {type(exc).__name__}: {exc}", "text/plain")

    def _route(self, form: dict[str, list[str]]) -> None:
        path, query, headers = self._record(form)
        fake = self.fake
        if fake.fail_all is not None:
            return self._send(fake.fail_all, f"<html><h1>{fake.fail_all} Service Unavailable</h1></html>", "text/html")
        if fake.hostile:
            return self._hostile(fake.hostile)
        with fake.lock:
            if path in ("/cdx/search/cdx", "/web/timemap/cdx", "/web/timemap/json"):
                return self._send(*_swap(fake.cdx(query)))
            if path == "/wayback/available":
                return self._send(200, fake.available(query))
            if path.rstrip("/") == "/save" and self.command == "POST":
                status, ctype, body = fake.save(form, headers)
                return self._send(status, body, ctype)
            if path == "/save/status/user":
                if "authorization" not in headers:
                    return self._send(401, {"message": "You need to be logged in to use Save Page Now."})
                return self._send(200, fake.user_status())
            if path == "/save/status/system":
                if fake.system_status == "critical":
                    return self._send(502, "<html>502 Bad Gateway</html>", "text/html")
                return self._send(200, {"status": fake.system_status})
            if path.rstrip("/") == "/save/status" and self.command == "POST":
                return self._send(*fake.status((form.get("job_id") or [""])[0]))
            if path.startswith("/save/status/"):
                return self._send(*fake.status(path.removeprefix("/save/status/")))
            if path.startswith("/web/timemap/link/"):
                target = self.path.split("/web/timemap/link/", 1)[1]
                return self._send(200, fake.timemap(target), "application/link-format")
            match = re.match(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$", self.path)
            if match:
                return self._replay(match.group(1), match.group(3), match.group(2) or "")
            if re.match(r"^/web/https?:", self.path):
                return self._timegate(self.path.removeprefix("/web/"), headers.get("accept-datetime"))
        self._send(404, "<html>Not found</html>", "text/html")

    def _hostile(self, kind: str) -> None:
        if kind == "retry-after":
            return self._send(429, "<html>Too Many Requests</html>", "text/html", {"Retry-After": "86400"})
        body = gzip_bomb() if kind == "bomb" else None
        size = len(body) if body is not None else {"huge": 300 * 1024 * 1024, "trickle": 1000}[kind]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        if body is not None:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        try:
            if body is not None:
                self.wfile.write(body)
            elif kind == "trickle":
                for _ in range(size):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(1)
            else:
                block = b"[" + b" " * (64 * 1024 - 1)  # one JSON array, never closed
                for _ in range(size // len(block)):
                    self.wfile.write(block)
        except OSError:  # the client stopped reading: what a bounded client does
            self.close_connection = True

    def _timegate(self, url: str, accept_datetime: str | None) -> None:
        """A TimeGate (§5): 302 to the capture nearest `Accept-Datetime` (the newest without it), its
        Link header naming the original, the TimeMap and the first, last and chosen mementos."""
        rows = self.fake._visible(url, self.fake.clock())
        if not rows:
            return self._send(404, "<html>Wayback Machine has not archived that URL.</html>", "text/html")
        try:
            target = parsedate_to_datetime(accept_datetime).timestamp() if accept_datetime else None
        except (TypeError, ValueError):
            return self._send(400, "<html>Bad Accept-Datetime</html>", "text/html")
        best = rows[-1] if target is None else min(rows, key=lambda r: abs(epoch14(r["timestamp"]) - target))
        base = self.fake.base_url

        def entry(r: dict, rel: str) -> str:
            when = format_datetime(datetime.fromtimestamp(epoch14(r["timestamp"]), UTC), usegmt=True)
            return f"<{base}/web/{r['timestamp']}/{r['original']}>; rel=\"{rel}\"; datetime=\"{when}\""

        link = ", ".join([f"<{url}>; rel=\"original\"", f"<{base}/web/timemap/link/{url}>; rel=\"timemap\"; "
                          "type=\"application/link-format\"", entry(rows[0], "first memento"),
                          entry(best, "memento"), entry(rows[-1], "last memento")])
        return self._send(302, "", "text/html", {"Location": f"{base}/web/{best['timestamp']}/{best['original']}",
                                                 "Link": link, "Vary": "accept-datetime"})

    def _replay(self, ts: str, url: str, mode: str = "") -> None:
        """A memento (§5): 200 with Memento-Datetime and Link on an exact timestamp, else a 302 to the
        nearest (no Memento-Datetime: the archive's own redirect). A captured redirect is a 3xx that
        carries Memento-Datetime; `id_` serves the page as captured, other modes a replay page."""
        rows = self.fake._visible(url, self.fake.clock())
        if not rows:
            return self._send(404, "<html>Wayback Machine has not archived that URL.</html>", "text/html")
        target = epoch14(ts)
        best = min(rows, key=lambda r: abs(epoch14(r["timestamp"]) - target))
        if best["timestamp"] != ts.ljust(14, "0")[:14]:
            return self._send(302, "", "text/html", {"Location": f"/web/{best['timestamp']}{mode}/{best['original']}"})
        when = format_datetime(datetime.fromtimestamp(target, UTC), usegmt=True)
        base = self.fake.base_url
        link = (f"<{url}>; rel=\"original\", <{base}/web/timemap/link/{url}>; rel=\"timemap\"; "
                f"type=\"application/link-format\", <{base}/web/{best['timestamp']}/{url}>; rel=\"memento\"; "
                f"datetime=\"{when}\"")
        headers = {"Memento-Datetime": when, "Link": link}
        if best.get("location"):
            location = f"/web/{best['timestamp']}{mode}/{best['location']}"
            return self._send(int(best["statuscode"]) if best["statuscode"][:1] == "3" else 302, "", "text/html",
                              headers | {"Location": location})
        body = best.get("body")
        if body is None:
            body = f"<html>archived copy of {url}</html>"
        elif mode != "id_":
            body = f"<html><div id=\"wm-toolbar\">Wayback Machine toolbar</div>{body}</html>"
        status = int(best["statuscode"]) if best["statuscode"].isdigit() else 200
        return self._send(status, body, "text/html; charset=utf-8", headers)


_BOMB: list[bytes] = []


def gzip_bomb() -> bytes:
    """About 1 MB of gzip that inflates to 1 GiB of zeros, built in a fraction of a second: after a full
    flush, each further MiB of zeros compresses to the same bytes, so one block is repeated."""
    if not _BOMB:
        import struct
        import zlib

        mib = bytes(1 << 20)
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        first = z.compress(mib) + z.flush(zlib.Z_FULL_FLUSH)
        again = z.compress(mib) + z.flush(zlib.Z_FULL_FLUSH)
        crc = 0
        for _ in range(1024):
            crc = zlib.crc32(mib, crc)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
        _BOMB.append(header + first + again * 1023 + z.flush() + struct.pack("<II", crc, (1 << 30) & 0xFFFFFFFF))
    return _BOMB[0]


def _swap(reply: tuple[int, str, str]) -> tuple[int, str, str]:
    status, ctype, body = reply
    return status, body, ctype
