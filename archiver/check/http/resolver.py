"""The session's resolver: a connection goes only to an address the private-address guard approved.

The checker resolves each host itself (fetch's guard, through an injectable resolver), refuses private
addresses, and hands the approved list here. aiohttp then connects to exactly those (no second
lookup that could answer differently: DNS rebinding), IPv4 and IPv6 together so that its happy
eyeballs can race them, while Host, SNI and the certificate check still name the host. The hosts of
the configured proxies are the user's choice and resolve as usual, private or not. Any other name
has no address here: a request the guard did not see never connects.
"""

from __future__ import annotations

import ipaddress
import socket
from collections import OrderedDict

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

__all__ = ["GuardResolver"]

_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
KEEP = 4096  # hosts whose approved addresses are kept (the guard's own cache is as large)


class GuardResolver(AbstractResolver):
    def __init__(self, passthrough: frozenset[str] = frozenset()):
        self.approved: OrderedDict[str, list[str]] = OrderedDict()
        self.passthrough = passthrough  # proxy hosts
        self._system: ThreadedResolver | None = None

    def approve(self, host: str, addresses: list[str]) -> None:
        host = host.rstrip(".").lower()  # as `resolve` looks it up: `example.org.` is `example.org`
        self.approved[host] = addresses
        self.approved.move_to_end(host)
        if len(self.approved) > KEEP:
            self.approved.popitem(last=False)

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        addresses = self.approved.get(host.rstrip(".").lower())
        if addresses is None:
            if host in self.passthrough:
                self._system = self._system or ThreadedResolver()
                return await self._system.resolve(host, port, family)
            raise OSError(f"no address approved for {host!r}")
        found: list[ResolveResult] = []
        for address in addresses:
            ip = ipaddress.ip_address(address)
            fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            if family in (socket.AF_UNSPEC, fam):
                found.append(ResolveResult(hostname=host, host=address, port=port, family=fam, proto=0, flags=_NUMERIC))
        if not found:
            raise OSError(f"no approved address of {host!r} in the family asked for")
        return found

    async def close(self) -> None:
        if self._system is not None:
            await self._system.close()
