"""Facts every stage shares, each defined once: URL keys, login-walled platforms, time, identity.

    host_of / origin_of         keys for per-host limits, the outage guard and duplicate detection
    login_walled_platform       the platforms whose pages crawlers and archives see as a login wall;
                                lint warns (U302), check expects `login-required`, archive does not
                                submit them unless `force_login_walled`
    utcnow / iso / ts14 / epoch_of / iso_of_epoch   the clock and its text forms
    USER_AGENT                  what archiver calls itself on the network
    CONCURRENCY ... BODY_BUDGET, default_processes   the fetch defaults
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import overload
from urllib.parse import urlsplit

from . import __version__

USER_AGENT = f"archiver/{__version__} (+https://github.com/archiver-project/archiver)"

# Sites that show crawlers (and so the Wayback Machine) a login wall instead of the cited post.
LOGIN_WALLED = ("facebook.com", "fb.com", "instagram.com", "x.com", "twitter.com", "linkedin.com",
                "tiktok.com", "threads.net", "vk.com")

DEFAULT_PORTS = {"http": 80, "https": 443}

# Fetch defaults, shared by config.Settings (what a user sets) and check.fetch.FetchSettings (what a
# check run gets): one place, so the two cannot drift apart.
CONCURRENCY = 64  # URLs in flight, all hosts together
PER_HOST = 2  # requests in flight per host at first, adapting (check/hosts.py) ...
PER_HOST_MAX = 8  # ... up to this many
READ_TIMEOUT = 20.0  # seconds per read, not per body
RETRIES = 2  # extra attempts after connection errors, 5xx and 429
MAX_BODY = 50 * 1024 * 1024  # decoded bytes kept (and hashed) per page
BODY_BUDGET = 256 * 1024 * 1024  # decoded body bytes all checks in flight hold at once (check/budget.py)
TEXT_EXCERPT = 4000  # characters of a page's main text a snapshot keeps (Snapshot.text, snapshots.text)


def default_processes() -> int:
    """One process per core but one, at most 4: 1 (no workers) on a 2-core machine.

    Measured there (benchmarks/check_bench.py, 2,000 URLs): 2 workers cost 10.2 s of CPU and took
    longer than 1 process at 6.5 s. Each worker (check/workers.py) pays ~0.5 s of CPU to start (a
    fresh interpreter importing httpx, aiohttp then, and archiver) plus pickling every result to the
    parent, and on 2 cores it competes with the parent, which writes archive.db. Beyond 4 the
    network is the limit."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def host_of(url: str) -> str:
    """The lower-case host name of `url` ("" when it has none or cannot be parsed)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def origin_of(url: str) -> str:
    """scheme://host:port with the default port filled in, so `http://a.org` and `http://a.org:80/x`
    share one key (per-host limits, the outage guard's count of hosts)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    return f"{scheme}://{(parts.hostname or '').lower()}:{port or DEFAULT_PORTS.get(scheme, 0)}"


def login_walled_platform(url: str) -> str | None:
    """The login-walled platform `url` belongs to (facebook.com for m.facebook.com/...), or None."""
    lowered = url.lower()
    if not any(p in lowered for p in LOGIN_WALLED):  # the host is part of the URL: most URLs stop here
        return None
    host = host_of(url)
    return next((p for p in LOGIN_WALLED if host == p or host.endswith("." + p)), None)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@overload
def iso(when: datetime) -> str: ...
@overload
def iso(when: None) -> None: ...
def iso(when: datetime | None) -> str | None:
    """ISO 8601 in UTC to the second, as archive.db stores every time; naive datetimes are UTC."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")


def iso_of_epoch(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def ts14(epoch: float) -> str:
    """A Wayback timestamp (YYYYMMDDhhmmss, UTC)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d%H%M%S")


def epoch_of(text: str | None) -> float | None:
    """Epoch seconds from an ISO datetime, a 'YYYY-MM-DD' date or a (prefix of a) 14-digit Wayback
    timestamp; None for anything else."""
    if not text:
        return None
    try:
        if text.isdigit():
            return datetime.strptime(text[:14] + "00000101000000"[len(text[:14]):], "%Y%m%d%H%M%S").replace(
                tzinfo=UTC).timestamp()
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
