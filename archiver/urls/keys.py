"""URL keys every stage shares: a host, an origin (per-host limits, the outage guard, duplicate
detection), and the login-walled platforms (lint warns U302, check expects `login-required`, archive
does not submit them unless `force_login_walled`).
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from .hosts import ascii_host

# Sites that show crawlers (and so the Wayback Machine) a login wall instead of the cited post.
LOGIN_WALLED = ("facebook.com", "fb.com", "instagram.com", "x.com", "twitter.com", "linkedin.com",
                "tiktok.com", "threads.net", "vk.com")

DEFAULT_PORTS = {"http": 80, "https": 443}


def host_of(url: str) -> str:
    """The lower-case host name of `url` ("" when it has none or cannot be parsed)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def origin_of(url: str) -> str:
    """scheme://host[:port] as the checker's requests name it (check/target.Target.key, httpx's normal
    form; tests/test_facts.py holds the two together): scheme and host in lower case, the host in its
    wire form (IDNA 2008 / UTS 46), the scheme's default port and any userinfo left out. So
    `http://A.org`, `http://a.org:80/x` and `http://straße.de` and `http://xn--strae-oqa.de` each share
    one key: per-host limits, which worker process owns a host, the outage guard's count of hosts."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if not host.isascii():
        with contextlib.suppress(ValueError):  # a host no client reaches is a key all the same
            host = ascii_host(host) + ("." if host.endswith(".") else "")  # a fully qualified name stays one
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" if port is None or port == DEFAULT_PORTS.get(scheme) else f"{scheme}://{host}:{port}"


def login_walled_platform(url: str) -> str | None:
    """The login-walled platform `url` belongs to (facebook.com for m.facebook.com/...), or None."""
    lowered = url.lower()
    if not any(p in lowered for p in LOGIN_WALLED):  # the host is part of the URL: most URLs stop here
        return None
    host = host_of(url)
    return next((p for p in LOGIN_WALLED if host == p or host.endswith("." + p)), None)
