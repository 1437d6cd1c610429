"""The private-address guard: every hop's URL parsed, its host resolved once per run, and its addresses
refused when private (unless allow_private). The approved addresses go to the session's resolver
(http/resolver.py), the only addresses a connection is made to."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from ..urls.hosts import LOCAL_SUFFIXES
from ..urls.keys import DEFAULT_PORTS
from .addresses import is_private
from .failures import Skip
from .http import Session
from .target import Target, parse

__all__ = ["Guard", "Resolver", "local_name", "system_resolver"]

Resolver = Callable[[str, int], Awaitable[list[str]]]

# re.A: ASCII case only (re.I alone lets 'ı' and 'K', the Kelvin sign, pass as letters)
_HOSTNAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_-]{1,63})*\.?$", re.I | re.A)
# RFC 6761: .invalid never resolves, so answer without asking the network.
_NEVER_RESOLVES = re.compile(r"(^|\.)invalid\.?$", re.I | re.A)
# Names that only a local network resolves: a single label (completed by the resolver's search
# domains), and the suffixes never delegated in public DNS (urls/hosts.LOCAL_SUFFIXES).
_LOCAL_NAME = re.compile(r"^[^.]+\.?$|(^|\.)(" + "|".join(map(re.escape, LOCAL_SUFFIXES)) + r")\.?$", re.I | re.A)
KEEP = 4096  # hosts whose addresses a run keeps


def local_name(host: str) -> bool:
    """Whether `host` is a name only a local network resolves (a single label, .local, .internal, ...)."""
    return bool(_LOCAL_NAME.search(host))


async def system_resolver(host: str, port: int) -> list[str]:
    """Addresses of `host` via the system resolver (loop.getaddrinfo): IPv4 and IPv6 both, for the
    session's happy eyeballs."""
    if _NEVER_RESOLVES.search(host):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # getaddrinfo's order (RFC 6724: IPv6 first where it is routed), which happy eyeballs keeps
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Guard:
    def __init__(self, session: Session, resolver: Resolver, allow_private: bool):
        self.session, self.resolver, self.allow_private = session, resolver, allow_private
        self.dns: OrderedDict[str, list[str]] = OrderedDict()

    async def check(self, url: str) -> tuple[Target, list[str]]:
        """The URL parsed, and the addresses it may be fetched from (checked unless allow_private)."""
        try:
            u = parse(url)
        except (TypeError, ValueError) as e:  # httpx.InvalidURL is a ValueError
            raise Skip(f"malformed URL: {e}") from None
        if u.scheme not in ("http", "https"):
            raise Skip(f"not an HTTP(S) URL: scheme {u.scheme or 'missing'!r}")
        if not u.host:
            raise Skip("malformed URL: no host")
        host = u.host
        addresses = self.dns.get(host)  # a name resolved before, or an address literal seen before
        if addresses is None:
            try:
                addresses = [str(ipaddress.ip_address(host.strip("[]")))]
                self._remember(host, addresses)
            except ValueError:
                pass  # a name (resolved below, outside this handler: a DNS error must not chain to it)
        if addresses is None:
            if len(host) > 253 or not _HOSTNAME.match(host):
                raise Skip(f"malformed URL: invalid host {host!r}")
            addresses = await self._resolve(u)
        if not self.allow_private:
            # The session connects to these very addresses (no second lookup that could answer
            # differently: DNS rebinding); Host and TLS still name the host.
            for address in addresses:
                if is_private(address):
                    raise Skip(f"refused private address {address} (use --allow-private)")
        self.session.resolver.approve(host, addresses)
        return u, addresses

    async def _resolve(self, u: Target) -> list[str]:
        try:
            addresses = await self.resolver(u.host, u.port or DEFAULT_PORTS[u.scheme])  # errors are not cached
        except socket.gaierror:
            if self.session.proxy_for(u.url) is None:
                raise
            # Behind a proxy the proxy resolves names, and the network may give the checker none: the
            # guard has no address to judge, and the proxy (the user's choice) reaches the host. A name
            # that only a local network resolves would reach that network through the proxy: refused.
            if not self.allow_private and _LOCAL_NAME.search(u.host):
                raise Skip(f"refused local name {u.host!r}: only the proxy could resolve it, to an address "
                           "archiver cannot check (use --allow-private)") from None
            return []
        self._remember(u.host, addresses)
        return addresses

    def _remember(self, host: str, addresses: list[str]) -> None:
        self.dns[host] = addresses
        if len(self.dns) > KEEP:
            self.dns.popitem(last=False)
