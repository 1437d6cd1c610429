"""Proxies and trusted certificates, read as curl and httpx read them, for every stage's HTTP client.

The environment: `HTTPS_PROXY` / `HTTP_PROXY` (either case) for their scheme, `ALL_PROXY` for both,
`NO_PROXY` for exceptions (a host, a domain suffix with or without a leading dot, an IP address, a
`host:port`, or `*`), `SSL_CERT_FILE` and `SSL_CERT_DIR` for the certificates to trust instead of
certifi's bundle. A configured proxy (`--proxy`, `proxy` in archiver.toml) takes the place of the
environment's proxies but still honours `NO_PROXY`; a configured CA bundle (`--ca-bundle`,
`ca_bundle`) the place of `SSL_CERT_FILE`. A proxy's user and password are sent to the proxy and
never shown: `shown` prints a proxy URL without them.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

__all__ = ["Network", "shown"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Network:
    """Where requests go and whom they trust. `proxy`: a proxy URL for every request not excepted by
    NO_PROXY (None: the environment's); `ca_bundle`: a PEM file of CAs to trust (None: SSL_CERT_FILE,
    SSL_CERT_DIR, else certifi)."""

    proxy: str | None = None
    ca_bundle: str | None = None

    def __repr__(self) -> str:  # a proxy's password never shows in a repr or a traceback
        return f"Network(proxy={shown(self.proxy) if self.proxy else None!r}, ca_bundle={self.ca_bundle!r})"

    def proxy_for(self, url: str) -> str | None:
        """The proxy URL a request to `url` goes through, or None (direct)."""
        return self.router()(url)

    def httpx_proxy(self, url: str) -> httpx.Proxy | str | None:
        """The proxy for `url` as an httpx client takes it: an https:// proxy's own certificate is checked
        against the same CAs as the sites' (given a plain URL, httpx checks it against certifi's; an
        http:// proxy takes no TLS context)."""
        proxy = self.proxy_for(url)
        if proxy is None or not proxy.lower().startswith("https:"):
            return proxy
        import httpx

        return httpx.Proxy(proxy, ssl_context=self.ssl_context())

    def router(self) -> Callable[[str], str | None]:
        """`proxy_for` with the environment read now, once, as curl reads it when it starts: a check
        session asks it for every request of its run, and one run follows one setting throughout."""
        no_proxy, every = _env("no_proxy"), self.proxy or _env("all_proxy") or None
        by_scheme = {scheme: self.proxy or _env(f"{scheme}_proxy") or every for scheme in ("http", "https")}
        if every is None and not any(by_scheme.values()):
            return lambda url: None

        def route(url: str) -> str | None:
            parts = urlsplit(url)
            # a `host:port` exception names the port the request goes to, the scheme's when the URL has none
            if _bypass(parts.hostname or "", parts.port or _DEFAULT_PORTS.get(parts.scheme), no_proxy):
                return None
            return by_scheme.get(parts.scheme, every)

        return route

    def no_proxy(self) -> list[str]:
        """NO_PROXY's entries (hosts, domain suffixes, addresses, networks, host:port), as given."""
        return [e.strip() for e in _env("no_proxy").split(",") if e.strip()]

    def proxies(self) -> list[str]:
        """Every proxy a request may go through (their hosts are the user's choice, private or not)."""
        found = [self.proxy] if self.proxy else [_env(n) for n in ("http_proxy", "https_proxy", "all_proxy")]
        return [p for p in found if p]

    def problem(self) -> str | None:
        """Why a configured proxy cannot be used (a SOCKS proxy, no host), or None. Said before the first
        request: a proxy spoken to in the wrong protocol would fail every check as an outage."""
        for proxy in self.proxies():
            try:
                parts = urlsplit(proxy)
                usable = parts.scheme in ("http", "https") and bool(parts.hostname)
            except ValueError:  # a broken IPv6 literal, say
                usable = False
            if not usable:
                return (f"the proxy {shown(proxy)!r} is not an http:// or https:// proxy URL with a host "
                        "(SOCKS proxies are not supported)")
        return None

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context trusting the configured CAs (built once per setting)."""
        return _context(self.ca_bundle or os.environ.get("SSL_CERT_FILE") or None,
                        None if self.ca_bundle else os.environ.get("SSL_CERT_DIR") or None)


@lru_cache(maxsize=8)
def _context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    if cafile is None and capath is None:
        import certifi

        cafile = certifi.where()
    return ssl.create_default_context(cafile=cafile, capath=capath)


def _env(name: str) -> str:
    """An environment variable in lower case or, failing that, upper case (curl reads http_proxy only in
    lower case, as a CGI guard; httpx and requests read both: so do we)."""
    return (os.environ.get(name) or os.environ.get(name.upper()) or "").strip()


def _bypass(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether NO_PROXY excepts `host` (and `port`): curl's and httpx's forms."""
    if not no_proxy or not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, want_port = _split_port(entry)
        if want_port is not None and want_port != port:
            continue
        name = name.lstrip(".").rstrip(".")
        if host == name or host.endswith("." + name):
            return True
        if "/" in name and _in_network(host, name):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [::1]:8080
        name, _, rest = entry[1:].partition("]")
        return name, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, int(port) if port.isdigit() else None
    return entry, None


def _in_network(host: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def shown(url: str) -> str:
    """A proxy URL as it may be printed: user and password replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:  # unparsable: keep only what follows the last "@", if any
        scheme, sep, rest = url.partition("://")
        return f"{scheme}{sep}***@{rest.rpartition('@')[2]}" if "@" in rest else url
    if parts.username is None and parts.password is None:
        return url
    netloc = "***@" + parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=netloc).geturl()
