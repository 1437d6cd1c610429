"""Time limits measure the server, not the queue: a URL is failed for timeout only when its own requests
took too long, never for waiting its host's turn, a global slot or the byte budget (check/hop.py)."""

from __future__ import annotations

import asyncio
import collections

from archiver.check.fetch import FetchSettings, check_urls, make_client
from tests.zoo import Zoo


def statuses(urls, settings: FetchSettings, **kw) -> collections.Counter:
    async def go():
        async with make_client(settings) as client:
            return collections.Counter([r.status async for r in check_urls(client, urls, settings, **kw)])

    return asyncio.run(go())


def test_urls_queued_at_a_slow_host_are_not_timed_out_by_the_queue(test_web) -> None:
    """One request at a time to a host that answers in 0.4 s, 10 URLs and a 2 s limit per URL: the last
    ones wait 3.6 s for their turn. Before, the wait counted and they came out `timeout`. The full size of
    issue 19 (400 URLs on 2 hosts at 1 s a page, defaults: over a minute of sleeping servers) is
    benchmarks/slow_hosts.py."""
    urls = [test_web.url(f"/page/queued{i}?delay=0.4", "other") for i in range(10)]
    settings = FetchSettings(allow_private=True, per_host=1, per_host_max=1, concurrency=16, probe_soft404=False,
                             total_timeout=2.0, retries=0)
    assert statuses(urls, settings) == {"ok": 10}


def test_large_pages_on_few_hosts_finish_without_a_false_timeout() -> None:
    """64 pages of 3 MiB on 4 hosts (names for one loopback server), 2 requests per host, a byte budget of
    two pages and the soft-404 probe on: pages wait for the budget holding their host's slots while the
    oldest waits for its host's probe. Every page must end in a verdict about the page, none `timeout`."""
    words = b"<html><head><title>Report</title></head><body><p>" + b"a long report on many things " * 110_000
    page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(words), words)
    hosts = [f"site{i}.example" for i in range(4)]

    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with Zoo() as zoo:
        zoo.default = page
        urls = [zoo.url(f"/report/{i}", host=hosts[i % 4]) for i in range(64)]
        settings = FetchSettings(allow_private=True, per_host=2, per_host_max=2, concurrency=64, retries=0,
                                 max_body=4 << 20, body_budget=6 << 20, total_timeout=20, probe_timeout=5)
        counted = statuses(urls, settings, resolver=resolver)
    assert sum(counted.values()) == 64
    assert "timeout" not in counted, counted
    assert counted == {"soft-404": 64} or counted == {"ok": 64}, counted  # one verdict for one kind of page
