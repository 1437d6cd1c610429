"""The Save Page Now 2 and CDX protocol as values: reply types, retry classes and pure parsers.

Every reply shape in shared/reference/wayback-api.md §1.3/§1.4 (accepted, accepted with a message,
refused with HTTP 200 and no job id, HTTP-level failures) becomes a value; each `status_ext` and the
human messages SPN-SH matches map to a retry class (§1.5). Nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..models import Capture

PUBLIC_BASE = "https://web.archive.org"

def archive_url(base: str, timestamp: str, url: str) -> str:
    """The replay link. Built on the configured base so links work against a self-hosted Wayback."""
    return f"{base.rstrip('/')}/web/{timestamp}/{url}"


# Retry classes (§1.5, §8.5).
TRANSIENT = "transient"  # retry soon, a bounded number of times
PERMANENT = "permanent"  # record the failure and move on
QUOTA_URL_DAY = "quota-url-day"  # this URL hit its per-URL daily cap: it IS archived today
QUOTA_ACCOUNT_DAY = "quota-account-day"  # the account's daily quota: stop until 00:00 UTC
SESSION_LIMIT = "session-limit"  # our concurrent sessions are full: wait for available > 0
TARGET_THROTTLED = "target-throttled"  # the target host throttles SPN: wait ≥ 60 s / 10 min
RATE_LIMITED = "rate-limited"  # HTTP 429 to us: back off the whole endpoint family
AUTH = "auth"  # HTTP 401: keys missing or refused


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
    unusable_job: bool = False  # accepted, but with a job id that cannot be polled: never resubmit now

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

    @property
    def day_spent(self) -> bool:
        """The account's captures for the UTC day are used up, by whichever of its clients."""
        return bool(self.daily_captures_limit) and (self.daily_captures or 0) >= (self.daily_captures_limit or 0)

    @property
    def sessions(self) -> int | None:
        """The account's capture sessions in all, free and busy, when the reply says both."""
        return None if self.available is None or self.processing is None else self.available + self.processing


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
    status_ext, message = code_of(status_ext), text_of(message)
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


def json_or_none(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


# -- tolerant field readers ---------------------------------------------------------------------
# A reply is JSON written by a server we do not control: any field may be missing, null, a number,
# a list or an object. These readers turn whatever arrived into the type the values promise, so a
# strange reply becomes a strange value, never an exception (which would leave a capture in
# 'submitting').

TEXT_LIMIT = 500  # characters kept of any server-written text (message, status_ext, ...)
_JOB_ID = re.compile(r"^[\w.:-]{1,200}$")
_TS14 = re.compile(r"^\d{14}$")


def text_of(value, limit: int = TEXT_LIMIT) -> str | None:
    """A server-written field as text: strings as they are, anything else as compact JSON."""
    if value is None or value == "" or value == [] or value == {}:
        return None
    if not isinstance(value, str):
        try:
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        except (TypeError, ValueError):
            value = repr(value)
    value = " ".join(value.split())
    return (value[: limit - 1] + "…" if len(value) > limit else value) or None


def code_of(value) -> str | None:
    """`status_ext`: a string, or the first string of a list."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return text_of(value, 100) if isinstance(value, str) else None


def job_id_of(value) -> str | None:
    """A job id we can put in a status URL, or None (then the reply did not accept anything)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    value = str(value).strip()
    return value if _JOB_ID.match(value) else None


def timestamp_of(value) -> str | None:
    value = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return value if _TS14.match(value) else None


def int_of(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_save_reply(url: str, http_status: int, body: str) -> SaveResult:
    """Every shape `POST /save` answers with (§1.3 A–D); the HTTP status alone cannot tell them."""
    data = json_or_none(body)
    if http_status == 429:
        return SaveResult(url, http_status=429, retry_class=RATE_LIMITED, error="HTTP 429 Too Many Requests")
    if http_status == 401:
        return SaveResult(url, http_status=401, retry_class=AUTH,
                          error="HTTP 401: Save Page Now wants valid keys",
                          message=text_of(data.get("message")) if isinstance(data, dict) else None)
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
    message, ext = text_of(data.get("message")), code_of(data.get("status_ext"))
    job_id = job_id_of(data.get("job_id"))
    if job_id:
        return SaveResult(url, job_id=job_id, message=message, http_status=http_status,
                          begin_in=parse_begin_in(message))
    if data.get("job_id") not in (None, ""):  # a job id we cannot use: the POST may have been accepted
        return SaveResult(url, message=message, status_ext=ext, http_status=http_status, unusable_job=True,
                          error=f"accepted with a job id archiver cannot use: {text_of(data.get('job_id'), 80)}")
    cls, wait = classify(ext, message)
    return SaveResult(url, message=message, status_ext=ext, http_status=http_status,
                      retry_class=cls, retry_after=wait)


def parse_job_status(job_id: str, http_status: int, body: str) -> JobStatus:
    data = json_or_none(body)
    if not isinstance(data, dict) or http_status >= 400:
        message = text_of(data.get("message")) if isinstance(data, dict) else None
        return JobStatus(job_id, "unknown", request_status=http_status, message=message,
                         error=f"HTTP {http_status}" if http_status >= 400 else "unparsable status reply",
                         retry_class=RATE_LIMITED if http_status == 429 else None)
    raw_status = data.get("status")
    status = raw_status if isinstance(raw_status, str) and raw_status in ("pending", "success", "error") \
        else "unknown"
    resources = data.get("resources", data.get("ressources"))
    message, ext = text_of(data.get("message")), code_of(data.get("status_ext"))
    cls = classify(ext, message)[0] if status == "error" else None
    original = data.get("original_url")
    return JobStatus(
        job_id=job_id_of(data.get("job_id")) or job_id, status=status,
        timestamp=timestamp_of(data.get("timestamp")),
        original_url=original if isinstance(original, str) and original.startswith(("http://", "https://"))
        else None,
        status_ext=ext, message=message, http_status=int_of(data.get("http_status")),
        resources=tuple(r for r in resources if isinstance(r, str)) if isinstance(resources, list) else (),
        download_size=int_of(data.get("download_size")), request_status=http_status,
        retry_class=cls,
    )


def parse_cdx(http_status: int, body: str, fields: tuple[str, ...] = ()) -> CdxResult:
    """output=json: header row, data rows, and `[], [key]` framing for the resume key (§4). A header
    row without one of the `fields` asked for (fl) is an error: every reader of the rows needs them."""
    if http_status == 429:
        return CdxResult(http_status=429, error="HTTP 429 Too Many Requests")
    if "AdministrativeAccessControlException" in body or "Blocked Site Error" in body:
        return CdxResult(http_status=http_status, error="blocked site (excluded from the Wayback Machine)")
    if http_status >= 400:
        return CdxResult(http_status=http_status, error=f"HTTP {http_status}")
    if not body.strip():
        return CdxResult(http_status=http_status)
    data = json_or_none(body)
    if not isinstance(data, list):
        return CdxResult(http_status=http_status, error="unparsable CDX reply")
    if not data:
        return CdxResult(http_status=http_status)
    if not isinstance(data[0], list):
        return CdxResult(http_status=http_status, error="unparsable CDX reply")
    header, rows, resume = [str(h) for h in data[0]], [], None
    if absent := [f for f in fields if f not in header]:
        return CdxResult(http_status=http_status, error=f"CDX reply without {', '.join(absent)} in its header row")
    body_rows = data[1:]
    for i, row in enumerate(body_rows):
        if not isinstance(row, list):
            continue  # not a row: skip it rather than fail the lookup
        nxt = body_rows[i + 1] if i + 1 < len(body_rows) else None
        if row == [] and isinstance(nxt, list) and nxt:
            resume = str(nxt[0])
            break
        rows.append(dict(zip(header, (str(v) for v in row))))
    return CdxResult(rows=tuple(rows), resume_key=resume, http_status=http_status)
