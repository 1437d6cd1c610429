"""URL keys every stage shares: a host, an origin (per-host limits, the outage guard, duplicate
detection), and the login-walled platforms (lint warns U302, check expects `login-required`, archive
does not submit them unless `force_login_walled`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

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
