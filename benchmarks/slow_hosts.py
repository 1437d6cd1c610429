"""Healthy pages on slow hosts at full size (issue 19): 400 URLs on 2 hosts that answer each page in 1 s,
checked at archiver's defaults; every verdict must be `ok`, none `timeout`.

Before the time limits measured the server rather than the queue (check/hop.py), 10 of these came out
failing/timeout ("no complete answer within 60 s"): the wait for the host's turn counted against each
URL's limit. The run takes over a minute of wall time and little CPU (the servers sleep), so the suite
holds a scaled-down version (tests/test_time_limits.py: 10 URLs at 0.4 s, one request at a time, a 2 s
limit, the last URL waiting 3.6 s for its turn) and this script the full size.

    python benchmarks/slow_hosts.py [--results]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver.check.fetch import FetchSettings, check_urls, make_client  # noqa: E402
from tests.web import TestWeb  # noqa: E402


def run(urls: int, delay: float) -> tuple[collections.Counter, float, float]:
    """Verdict counts, wall seconds and CPU seconds of checking `urls` pages spread over two hosts."""
    settings = FetchSettings(allow_private=True)  # the defaults, but loopback allowed

    async def go(pages: list[str]) -> collections.Counter:
        async with make_client(settings) as client:
            return collections.Counter([r.status async for r in check_urls(client, pages, settings)])

    with TestWeb() as web:
        pages = [web.url(f"/page/slow{i}?delay={delay:g}", host) for i in range(urls // 2) for host in ("main", "other")]
        wall, cpu = time.monotonic(), time.process_time()
        counted = asyncio.run(go(pages))
        return counted, time.monotonic() - wall, time.process_time() - cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--urls", type=int, default=400)
    p.add_argument("--delay", type=float, default=1.0, help="seconds each page takes")
    p.add_argument("--results", action="store_true", help="write the figures into benchmarks/RESULTS.md")
    args = p.parse_args()
    counted, wall, cpu = run(args.urls, args.delay)
    line = (f"{args.urls} URLs on 2 hosts, each page {args.delay:g} s, defaults (per-host 2 growing to 8, 60 s per "
            f"URL): {dict(sorted(counted.items()))}, {wall:.1f} s wall, {cpu:.2f} s CPU")
    print(line)
    if args.results:
        from benchmarks.results import write_section

        write_section("slow_hosts", "python benchmarks/slow_hosts.py --results", line)
    return 0 if counted == {"ok": args.urls} else 1


if __name__ == "__main__":
    sys.exit(main())
