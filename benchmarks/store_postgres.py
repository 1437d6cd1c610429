"""The PostgreSQL store against archive.db: recording a check run's results, and reading a document.

    .venv/bin/python benchmarks/store_postgres.py            # N=2000, 3 rounds, interleaved
    .venv/bin/python benchmarks/store_postgres.py --pg postgresql://user@host/db   # a server of yours

The check results are store_cpu.py's (one real `check_urls` run against the check_bench web,
captured once). Each round, interleaved SQLite then PostgreSQL, into a new store:
- "record": the results replayed through the run's writer (check/recorder.py) into `open_store(url)`;
- "document": a document of N citations (N/4 distinct URLs) through `save_document`.
Timed as the client's CPU (`time.process_time`: this process, not the PostgreSQL server's) and
wall-clock time, per check or per citation, best of the rounds. Without --pg a throwaway cluster is
started on loopback (tests/conftest_postgres.py), fsync off: a lower bound for a real server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path

import store_cpu

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def _record(url: str, results: list) -> tuple[float, float]:
    from archiver.check.recorder import Recorder
    from archiver.check.state import ConfirmPolicy
    from archiver.clock import utcnow
    from archiver.store import open_store

    store = open_store(url)
    try:
        recorder = Recorder(store, await store.start_run("check"), ConfirmPolicy(), utcnow, lambda r, i: None)
        cpu, wall = time.process_time(), time.perf_counter()
        for r in results:
            await recorder.put(r)
        await recorder.close()
        return time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await store.close()


async def _document(url: str, urls: list[str], n: int) -> tuple[float, float]:
    from archiver.models import Citation, Repaired
    from archiver.store import open_store

    repaired = [Repaired(Citation("bench.txt", i, str(i), urls[i % len(urls)]), urls[i % len(urls)]) for i in range(n)]
    store = open_store(url)
    try:
        await store.all_urls()  # connected and migrated before the clock starts
        cpu, wall = time.process_time(), time.perf_counter()
        await store.save_document("bench.txt", "text", None, repaired)
        return time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await store.close()


def _fresh_postgres(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


@contextlib.contextmanager
def _server(given: str | None):
    if given:
        yield given
        return
    from tests.conftest_postgres import _bindir, cluster

    bindir = _bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL here (initdb, pg_ctl): give --pg URL")
    with cluster(bindir) as url:
        yield url


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--port", type=int, default=18951)
    p.add_argument("--pg", help="a PostgreSQL server URL whose user may create databases")
    a = p.parse_args()
    results = store_cpu.results_for(a.n, a.port, False)
    urls = list(dict.fromkeys(r.url for r in results))[: max(1, a.n // 4)]
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with _server(a.pg) as server, tempfile.TemporaryDirectory() as folder:
        for i in range(a.rounds):
            for backend in ("sqlite", "postgresql"):
                for what in ("record", "document"):
                    url = (f"sqlite:///{folder}/{what}{i}.db" if backend == "sqlite"
                           else _fresh_postgres(server, f"bench_{what}{i}"))
                    work = _record(url, results) if what == "record" else _document(url, urls, a.n)
                    times.setdefault((backend, what), []).append(asyncio.run(work))
    n = len(results)
    print(f"N = {n} check results, {a.n} citations of {len(urls)} URLs; load average {store_cpu.cb.load()}")
    for (backend, what), runs in times.items():
        unit = "check" if what == "record" else "citation"
        cpu, wall = min(c for c, _ in runs), min(w for _, w in runs)
        count = n if what == "record" else a.n
        print(f"{backend:10} {what:8}: {cpu / count * 1e6:6.0f} us CPU, {wall / count * 1e6:6.0f} us wall per {unit}"
              f" (best of {len(runs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
