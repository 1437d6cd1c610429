"""The private-address guard against IPv6 forms that embed an IPv4 address (issue 11, item 9)."""

from __future__ import annotations

import asyncio

import pytest

from archiver.check.addresses import embedded_ipv4, is_private
from archiver.check.fetch import FetchSettings, check_one, make_client

REFUSED = [
    "2002:7f00:1::",                      # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",                  # 6to4 of 169.254.169.254 (cloud metadata)
    "2002:0a00:0001::",                   # 6to4 of 10.0.0.1
    "64:ff9b::7f00:1",                    # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",                 # NAT64 of 169.254.169.254
    "64:ff9b:1::c0a8:1",                  # local-use NAT64 of 192.168.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "::127.0.0.1", "::10.0.0.1",          # IPv4-compatible (deprecated)
    "::1", "::", "fe80::1%eth0",
]
ALLOWED = ["2002:808:808::", "64:ff9b::808:808", "::ffff:8.8.8.8", "2606:4700:4700::1111", "8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_embedded_private_ipv4_is_refused(address: str) -> None:
    assert is_private(address) is True


@pytest.mark.parametrize("address", ALLOWED)
def test_embedded_public_ipv4_is_fetched(address: str) -> None:
    assert is_private(address) is False


def test_embedded_forms_are_unpacked() -> None:
    import ipaddress

    assert [str(a) for a in embedded_ipv4(ipaddress.IPv6Address("2002:a9fe:a9fe::1"))] == ["169.254.169.254"]
    assert [str(a) for a in embedded_ipv4(ipaddress.IPv6Address("64:ff9b::7f00:1"))] == ["127.0.0.1"]


@pytest.mark.parametrize("address", ["2002:7f00:1::", "64:ff9b::a9fe:a9fe", "::ffff:127.0.0.1"])
def test_fetch_refuses_a_literal_6to4_or_nat64_host_without_connecting(address: str) -> None:
    async def go():
        async with make_client() as client:
            return await check_one(client, f"http://[{address}]/latest/meta-data/", FetchSettings())

    result = asyncio.run(go())
    assert result.status == "skipped" and "refused private address" in result.error
