"""Names and addresses reserved for examples and documentation: a URL on one is an example, not a
source, so it is never checked or archived.

RFC 2606 and RFC 6761: example.com, example.net, example.org and their subdomains, and the
top-level names .example, .test and .invalid. RFC 5737: 192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24 (IPv4 documentation); RFC 3849: 2001:db8::/32 (IPv6 documentation).
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["example_host"]

_NAMES = re.compile(r"(?i)(?:^|\.)(?:example\.(?:com|net|org)|[^.]+\.(?:example|test|invalid)|example|test|invalid)\.?$")
_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                                     "2001:db8::/32"))
_HOST = re.compile(r"(?i)^(?:[a-z][a-z0-9+.-]*:)?//(?:[^@/?#]*@)?(\[[^\]]+\]|[^/:?#\s]+)")


def example_host(url: str) -> str | None:
    """The reserved host of `url` (with or without a scheme), or None."""
    m = _HOST.match(url) or _HOST.match("//" + url.lstrip("/"))
    if not m:
        return None
    host = m.group(1).strip("[]").lower()
    if _NAMES.search(host):
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return host if any(address in n for n in _NETWORKS) else None
