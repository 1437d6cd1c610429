"""CPU of storing checks: `check/recorder.py Recorder` -> `Store.record_checks`, replayed in isolation.

    .venv/bin/python benchmarks/store_cpu.py               # N=2000, best of 5
    .venv/bin/python benchmarks/store_cpu.py --profile     # and a cProfile of one replay

The CheckResults of one real `check_urls` run against the check_bench web (10 ms servers) are
captured once (pickled in /tmp/archiver-bench/store{N}/results.pickle; --recapture to redo), then
replayed through the run's writer (check/recorder.py, groups of 256 or 0.25 s) into a fresh archive.db
whose urls rows exist (as after `lint` recorded the citations), timed with `time.process_time` (the
process: the event loop's thread and the store's):
- "first check": a fresh archive.db, as in the check bench;
- "re-check": the same results again into the same archive.db (previous state, snapshots known).
Each figure is the best of `--rounds`, in microseconds of CPU per check.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pickle
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import check_bench as cb


async def _capture(urls: list[str]) -> list:
    from archiver.check.fetch import FetchSettings, check_urls, make_client

    fs = FetchSettings(concurrency=64, per_host=64, per_host_max=64, allow_private=True)
    async with make_client(fs) as client:
        return [r async for r in check_urls(client, urls, fs)]


def results_for(n: int, port: int, recapture: bool) -> list:
    out = Path(f"/tmp/archiver-bench/store{n}")
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "results.pickle"
    if cache.exists() and not recapture:
        return pickle.loads(cache.read_bytes())
    subprocess.run([sys.executable, str(cb.BENCH / "make_urls.py"), "-n", str(n), "--port", str(port),
                    "--host-mode", "ips", "--out-dir", str(out)], check=True, stdout=subprocess.DEVNULL)
    urls = (out / "urls.txt").read_text().split()
    web = cb.MiniWeb(out, "store", port, 10, 200)
    try:
        results = asyncio.run(_capture(urls))
    finally:
        web.stop()
    cache.write_bytes(pickle.dumps(results))
    return results


def replay(store, results: list) -> float:
    """CPU seconds to record `results` as one check run does (the writer task, the store's thread)."""
    from archiver.check.recorder import Recorder
    from archiver.check.state import ConfirmPolicy
    from archiver.clock import utcnow
    from archiver.store.sqlite.threaded import ThreadedStore

    async def go() -> float:
        aio = ThreadedStore.borrowing(store)
        try:
            recorder = Recorder(aio, await aio.start_run("check"), ConfirmPolicy(), utcnow, lambda r, i: None)
            started = time.process_time()
            for r in results:
                await recorder.put(r)
            await recorder.close()
            return time.process_time() - started
        finally:
            await aio.close()

    return asyncio.run(go())


def fresh_store(folder: str, results: list):
    from archiver.store.sqlite import Store

    for suffix in ("", "-wal", "-shm"):
        Path(f"{folder}/archive.db{suffix}").unlink(missing_ok=True)
    store = Store(f"{folder}/archive.db")
    with store.db.atomic():
        for r in results:
            store.url_id(r.url)
    return store


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--port", type=int, default=18950)
    p.add_argument("--recapture", action="store_true")
    p.add_argument("--profile", action="store_true")
    a = p.parse_args()
    results = results_for(a.n, a.port, a.recapture)
    first, again = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(a.rounds):
            store = fresh_store(folder, results)
            first.append(replay(store, results))
            again.append(replay(store, results))
            store.close()
        if a.profile:
            store = fresh_store(folder, results)
            prof = cProfile.Profile()
            prof.runcall(replay, store, results)
            store.close()
            pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    n = len(results)
    print(f"N = {n} check results, {sum(1 for r in results if r.snapshot)} with a snapshot, "
          f"{len({r.snapshot.sha256 for r in results if r.snapshot})} distinct; load average {cb.load()}")
    print(f"first check: {min(first) / n * 1e6:.0f} us CPU per check (best of {a.rounds}: "
          f"{', '.join(f'{x / n * 1e6:.0f}' for x in first)})")
    print(f"re-check:    {min(again) / n * 1e6:.0f} us CPU per check (best of {a.rounds}: "
          f"{', '.join(f'{x / n * 1e6:.0f}' for x in again)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
