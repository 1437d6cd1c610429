"""Benchmark: archive 500 cited URLs against the fake Wayback with SPN2's and CDX's real limits.

Both sides run on one scaled clock (default: one simulated minute per real second), injected into
the client's pacers and the fake server's rate windows. The fake enforces the documented hard
limits (§1.7, §4 of shared/reference/wayback-api.md): 7 saves/min with keys, 30 CDX lookups/min,
with 429 beyond them; the client paces itself at 6/min and 24/min. 20% of the URLs already have a
capture from the last 30 days, so submitting them would be redundant.

    .venv/bin/python benchmarks/wayback_bench.py [--urls 500] [--scale 60] [--sessions 5]

Prints: captures per simulated minute vs the ceiling, 429s received (target 0), redundant
submissions (target 0), CDX lookups per minute vs the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver.models import Citation, Repaired  # noqa: E402
from archiver.store.sqlite import Store  # noqa: E402
from archiver.store.sqlite.threaded import ThreadedStore  # noqa: E402
from archiver.wayback.client import WaybackClient, WaybackConfig, WaybackKeys  # noqa: E402
from archiver.wayback.policy import ArchiveSettings, archive_urls  # noqa: E402
from benchmarks.results import write_section  # noqa: E402
from tests.fakewayback import FakeWayback, ScaledClock, ts14  # noqa: E402


def peak_per_minute(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if s <= t < s + 60) for s in times), default=0)


def tightest(times: list[float], n: int) -> float:
    """The shortest time spanned by n consecutive events (n = limit + 1 must span ≥ 60 s)."""
    times = sorted(times)
    return min((times[i + n - 1] - times[i] for i in range(len(times) - n + 1)), default=float("inf"))


def build_store(path: Path, urls: list[str]) -> Store:
    store = Store(path)
    store.save_document("bench.md", "markdown", None,
                        [Repaired(Citation("bench.md", i + 1, str(i + 1), u), u) for i, u in enumerate(urls)])
    store.db.conn.execute("UPDATE urls SET state = 'alive', last_status = 'ok'")
    return store


async def run(fake: FakeWayback, store: Store, clock: ScaledClock, sessions: int):
    config = WaybackConfig(base_url=fake.base_url, keys=WaybackKeys.of("bench-access", "bench-secret"),
                           save_per_minute=6, cdx_per_minute=24)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=20)) as http:
        client = WaybackClient(http, config, clock=clock, sleep=clock.sleep, rng=random.Random(1))
        aio = ThreadedStore.borrowing(store)
        try:
            report = await archive_urls(aio, client, None, ArchiveSettings(max_concurrency=sessions))
        finally:
            await aio.close()
        return report, dict(client.stats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=500)
    ap.add_argument("--scale", type=float, default=60.0, help="simulated seconds per real second")
    ap.add_argument("--sessions", type=int, default=5, help="the account's concurrent capture sessions")
    ap.add_argument("--capture-seconds", type=float, default=30.0, help="simulated time one capture takes")
    ap.add_argument("--results", action="store_true", help="also write the figures into benchmarks/RESULTS.md")
    args = ap.parse_args()

    clock = ScaledClock(args.scale)
    urls = [f"https://site{i % 37}.example/article/{i}" for i in range(args.urls)]
    recent = set(random.Random(2).sample(urls, args.urls // 5))
    with tempfile.TemporaryDirectory() as tmp, FakeWayback(
            clock=clock, save_per_minute=7, cdx_per_minute=30, max_sessions=args.sessions,
            capture_seconds=args.capture_seconds) as fake:
        for u in recent:
            fake.seed(u, ts14(clock() - random.Random(u).uniform(1, 29) * 86400))
        store = build_store(Path(tmp) / "archive.db", urls)
        real0, sim0 = time.monotonic(), clock()
        report, stats = asyncio.run(run(fake, store, clock, args.sessions))
        real, sim = time.monotonic() - real0, clock() - sim0
        store.close()
        posts = fake.saves()
        post_times = [p.at for p in posts]
        cdx_times = [r.at for r in fake.requests if r.path == "/cdx/search/cdx"]

    per_url = Counter(p.form["url"][0] for p in posts)
    redundant = sum(n - 1 for n in per_url.values()) + sum(1 for u in per_url if u in recent)
    accepted = len(posts) - len(fake.rejected_429)
    span = (max(post_times) - min(post_times)) / 60 if len(post_times) > 1 else 0.0
    cdx_span = (max(cdx_times) - min(cdx_times)) / 60 if len(cdx_times) > 1 else 0.0
    summary = report.summary
    lines: list[str] = []

    def say(text: str) -> None:
        lines.append(text)
        print(text)

    say(f"URLs: {args.urls} ({len(recent)} captured in the last 30 days); scale {args.scale:g}x; "
          f"{args.sessions} sessions; captures take {args.capture_seconds:g} s")
    say(f"simulated time: {sim / 60:.1f} min; real time: {real:.1f} s")
    say("actions: " + ", ".join(f"{k} {v}" for k, v in summary.items() if v))
    say(f"captures per simulated minute: {accepted / span if span else 0:.2f} achieved "
          f"(peak {peak_per_minute(post_times)} in any 60 s) vs ceiling 7/min hard, 6/min client pacing")
    say(f"shortest span of 7 consecutive POSTs at the server: {tightest(post_times, 7):.2f} s "
          f"(client spacing 6 x 10.2 s = 61.2 s; the difference is network/event-loop jitter)")
    say(f"429s received: {stats['save_429']} on /save, {stats['cdx_429']} on CDX (target 0)")
    say(f"redundant submissions: {redundant} (target 0); POSTs {len(posts)} for {len(per_url)} URLs")
    say(f"CDX lookups per simulated minute: {len(cdx_times) / cdx_span if cdx_span else 0:.2f} "
          f"(peak {peak_per_minute(cdx_times)} in any 60 s) vs limit 30/min hard, 24/min client; "
          f"{len(cdx_times)} lookups")
    say(f"job status polls: {stats['status']}")

    if args.results:
        write_section("wayback_bench", "python benchmarks/wayback_bench.py", "```\n" + "\n".join(lines) + "\n```")


if __name__ == "__main__":
    main()
