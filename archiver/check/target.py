"""The URL of each request the checker makes: httpx's parse, with a fast path for plain URLs.

Every hop of every check passes the URL guard, and `httpx.URL` costs about 60 us per parse and
250 us per redirect join (measured), a tenth of the checker's CPU per URL. Most cited URLs are
plain: lower-case http(s), an ASCII host name or IPv4 address, no user info, no default port, no
fragment, no dot segments, and only characters httpx leaves as they are. For those, httpx's
normal form is the text itself, so `parse` checks that with one regular expression and builds the
parts from the match; anything else goes through httpx.URL, which decides (and raises InvalidURL)
as before. tests/test_target.py holds the fast path to httpx's answers.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import TYPE_CHECKING, NamedTuple

from ..urls.hosts import ASCII_LABEL, ascii_url
from ..urls.keys import DEFAULT_PORTS

if TYPE_CHECKING:
    import httpx

__all__ = ["InvalidURL", "Target", "join", "parse"]


class InvalidURL(ValueError):
    """What httpx.URL refused, and why (httpx's InvalidURL is no ValueError)."""

_LABEL = ASCII_LABEL  # the one host rule (urls/hosts.py)
# What httpx leaves unchanged in a path or query: unreserved, sub-delims, ":@" (and "/", "?") and
# percent escapes.
_PCHARS = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_SEGMENT = rf"/(?!\.\.?(?:[/?]|\Z)){_PCHARS}*"  # never "." or "..": httpx would remove them
_QUERY = rf"\?(?:{_PCHARS}|[/?])*"
_PLAIN = re.compile(rf"(https?)://({_LABEL}(?:\.{_LABEL})*)(?::([1-9][0-9]{{0,4}}))?((?:{_SEGMENT})*)({_QUERY})?\Z")
_PLAIN_REFERENCE = re.compile(rf"(?:{_SEGMENT})+(?:{_QUERY})?\Z")  # an absolute path, as in Location: /a?b
_DOTTED_QUAD = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\Z")


class Target(NamedTuple):  # a tuple: built in a fraction of a frozen dataclass's time
    """A parsed URL: `url` is httpx's normal form; `key` is its origin in the one form every stage uses
    (urls/keys.origin_of: per-host limits, probes, which worker owns the host)."""

    url: str
    scheme: str
    host: str  # ASCII (IDNA-encoded), IPv6 without brackets
    port: int | None  # None: the scheme's default
    key: str
    parsed: httpx.URL | None = None  # None: the fast path parsed it, and `url` is `key` + path + query

    @property
    def plain(self) -> bool:
        return self.parsed is None

    def with_path(self, path: str) -> str:
        """The same origin with another path, no query and no fragment."""
        if self.parsed is None:
            return self.key + path
        return str(self.parsed.copy_with(path=path, query=None, fragment=None))


def _fast(url: str) -> Target | None:
    m = _PLAIN.match(url)
    if m is None:
        return None
    scheme, host, port_text = m.group(1), m.group(2), m.group(3)
    port = int(port_text) if port_text else None
    if port is not None and (port > 65535 or port == DEFAULT_PORTS[scheme]):
        return None  # httpx refuses it, or drops the default port
    if _DOTTED_QUAD.match(host) and not _valid_ipv4(host):
        return None  # httpx says why
    netloc = f"{host}:{port}" if port is not None else host
    return Target(url, scheme, host, port, f"{scheme}://{netloc}")


@functools.lru_cache(maxsize=1024)
def _valid_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def parse(url: str) -> Target:
    """`url` parsed as httpx parses it; raises InvalidURL (a ValueError) or TypeError where httpx.URL raises."""
    if isinstance(url, str) and (target := _fast(url)) is not None:
        return target
    u = _httpx_url(ascii_url(url) if isinstance(url, str) else url)  # a non-ASCII host as the host rule reads it
    # the key in its one form (urls/keys.origin_of; tests/test_target.py holds them together): httpx keeps
    # a default port after an upper-case scheme (`HTTPS://a.org:443`), which would split one host's limits
    netloc = u.netloc.decode("ascii")
    if u.port is not None and u.port == DEFAULT_PORTS.get(u.scheme):
        netloc = netloc.rpartition(":")[0]
    key = f"{u.scheme}://{netloc}"
    return Target(str(u), u.scheme, u.raw_host.decode("ascii"), u.port, key, u)


def join(base: Target, location: str) -> str:
    """A redirect's Location resolved against `base`, as httpx.URL.join does (raises InvalidURL)."""
    if base.parsed is not None:
        return str(_join(base.parsed, location))
    # httpx's join drops an empty query and a ";" at the end of the path (urljoin's parameters)
    if not location.endswith("?") and ";" not in location:
        if location.startswith("/") and not location.startswith("//") and _PLAIN_REFERENCE.match(location):
            return base.key + location
        if (target := _fast(location)) is not None:
            return target.url
    return str(_join(_httpx_url(base.url), location))


def _httpx_url(url: str) -> httpx.URL:
    import httpx  # only for URLs the fast path leaves to it: imported when first needed

    try:
        return httpx.URL(url)
    except httpx.InvalidURL as e:
        raise InvalidURL(str(e)) from None


def _join(base: httpx.URL, location: str) -> httpx.URL:
    import httpx

    try:
        return base.join(location)
    except httpx.InvalidURL as e:
        raise InvalidURL(str(e)) from None
