"""Benchmark: capture QA of 300 dead links against the fake Wayback on loopback, unpaced.

Each link has three bad captures (a soft 404, a login wall, a redirect stub) closer to its access
date than its one good capture, so QA fetches four captures per link: the worst case the issue
names. The Wayback stage's matching runs first (CDX, paced at 6000/min here), then the capture stage
with its pace lifted (replay_per_minute=0), so the figure is archiver's own cost per judged capture:
fetch over loopback, decode, classify, similarity, SQLite writes. A real archive's pace (60 a minute
by default) dominates any real run.

    .venv/bin/python benchmarks/captures_bench.py [--urls 300] [--good-first]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver.captures.stage import CaptureSettings, run_captures  # noqa: E402
from archiver.models import Citation, Repaired  # noqa: E402
from archiver.store.sqlite import Store  # noqa: E402
from archiver.store.sqlite.threaded import ThreadedStore  # noqa: E402
from archiver.wayback.client import WaybackClient, WaybackConfig  # noqa: E402
from archiver.wayback.policy import ArchiveSettings, archive_urls  # noqa: E402
from tests.fakewayback import FakeWayback  # noqa: E402
from tests.test_captures import ARTICLE, LOGIN, SOFT_404, STUB  # noqa: E402


def build(path: Path, fake: FakeWayback, n: int, bad: bool) -> tuple[Store, list[str]]:
    urls = [f"https://site{i}.example/report/{i}" for i in range(n)]
    for u in urls:
        if bad:
            fake.seed(u, "20200614000000", body=SOFT_404)
            fake.seed(u, "20200610000000", body=LOGIN)
            fake.seed(u, "20200601000000", body=STUB)
        fake.seed(u, "20200901000000", body=ARTICLE)
    store = Store(path)
    from datetime import date

    store.save_document("bench.md", "markdown", None, [
        Repaired(Citation("bench.md", i + 1, str(i + 1), u, accessed=date(2020, 6, 15)), u) for i, u in enumerate(urls)])
    store.db.conn.execute("UPDATE urls SET state = 'dead', last_status = 'not-found'")
    return store, urls


async def go(fake: FakeWayback, store: Store, urls: list[str]) -> tuple[float, float, dict]:
    aio = ThreadedStore.borrowing(store)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            client = WaybackClient(http, WaybackConfig(base_url=fake.base_url, cdx_per_minute=6000))
            await archive_urls(aio, client, urls, ArchiveSettings())
            wall, cpu = time.perf_counter(), time.process_time()
            report = await run_captures(aio, lambda u: http, urls, CaptureSettings(verify=True, replay_per_minute=0),
                                        wayback=client)
            return time.perf_counter() - wall, time.process_time() - cpu, report.summary
    finally:
        await aio.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--urls", type=int, default=300)
    ap.add_argument("--good-first", action="store_true", help="each link's matched capture is good (the common case)")
    args = ap.parse_args()
    n = args.urls
    with tempfile.TemporaryDirectory() as tmp, FakeWayback(cdx_per_minute=None) as fake:
        store, urls = build(Path(tmp) / "archive.db", fake, n, not args.good_first)
        before, cdx = fake.count("/web/"), fake.count("/cdx")
        wall, cpu, summary = asyncio.run(go(fake, store, urls))
        fetched = fake.count("/web/") - before
        lookups = fake.count("/cdx") - cdx - n  # beyond the Wayback stage's one per link
        load = Path("/proc/loadavg").read_text().split()[0]
        print(f"{n} links, {fetched} captures fetched ({fetched / n:.1f} per link), {lookups} extra CDX lookups, "
              f"verdicts {summary}")
        print(f"capture stage: {wall:.2f} s wall, {cpu:.2f} s CPU (this process, server thread included), "
              f"{1000 * cpu / fetched:.2f} ms CPU per judged capture; peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; load {load}")
        store.close()


if __name__ == "__main__":
    main()
