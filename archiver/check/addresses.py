"""The private-address guard: which resolved addresses archiver refuses to fetch by default.

Why its own module: the rule is security-sensitive and easy to get subtly wrong. An IPv6 address
can carry an IPv4 address inside it, and a network that routes that form reaches the embedded
host: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, deprecated), 6to4 (2002:AABB:CCDD::
/16, RFC 3056), Teredo (2001::/32, RFC 4380: the client address is stored inverted) and NAT64
(64:ff9b::/96 and the local-use 64:ff9b:1::/48, RFC 6052/8215). Python's `ipaddress` calls 6to4 and
NAT64 addresses global, so each form is unpacked and the embedded IPv4 address judged as well.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_private", "embedded_ipv4"]

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_COMPAT = ipaddress.ip_network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    out: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped:
        out.append(ip.ipv4_mapped)
    if ip.sixtofour:
        out.append(ip.sixtofour)
    if ip.teredo:
        out.extend(ip.teredo)  # (server, client)
    if ip in _COMPAT and int(ip) > 1:  # ::a.b.c.d (not :: or ::1)
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if any(ip in net for net in _NAT64):
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return out


def _refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local
            or ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def is_private(address: str) -> bool:
    """True for an address archiver must not fetch without --allow-private: private, loopback,
    link-local, multicast, reserved, unspecified, or an IPv6 form that embeds such an IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = embedded_ipv4(ip)
        if embedded:  # the packet ends up at the embedded host: judge that (::ffff:8.8.8.8 is 8.8.8.8)
            return any(_refused(v4) for v4 in embedded)
    return _refused(ip)
