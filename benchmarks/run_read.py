"""Reading one check run out of a long history: what a cron user's daily re-check pays at its end.

    .venv/bin/python benchmarks/run_read.py                # 30 runs x 2,000 checks, best of 5

Builds an archive.db with `--runs` check runs of the same `--n` results (store_cpu.py's captured
ones, recorded through `_record` as a run does), then times, in CPU (time.process_time, best of
`--rounds`), what reading the newest run costs: `run_counts`, `run_rows` (read to the end),
`checked_in_run` and `held_back`; with the `checks_run` index (schema 5) and on a copy without it.
Prints each query's plan (EXPLAIN QUERY PLAN) both ways. Also times recording one more run with
and without the index: what maintaining it costs.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import check_bench as cb
import store_cpu as sc

READS = ("run_counts", "run_rows", "checked_in_run", "held_back")


def build(folder: str, results: list, runs: int) -> Path:
    store = sc.fresh_store(folder, results)
    for _ in range(runs):
        sc.replay(store, results)  # one run each (runs 1 to `runs`)
    store.close()
    return Path(folder) / "archive.db"


def read_once(store, run_id: int, name: str) -> float:
    started = time.process_time()
    if name == "run_rows":
        for _ in store.run_rows(run_id):
            pass
    else:
        getattr(store, name)(run_id)
    return time.process_time() - started


def plans(db: Path, run_id: int) -> list[str]:
    """The plan of each run-reading query, as SQLite chose it."""
    from archiver.store.sqlite import Store

    out: list[str] = []
    with Store(db) as store:
        queries: list[str] = []
        store.db.conn.set_trace_callback(queries.append)
        for name in READS:
            read_once(store, run_id, name)
        store.db.conn.set_trace_callback(None)
        for sql in dict.fromkeys(q for q in queries if q.lstrip().upper().startswith("SELECT")):
            steps = store.db.conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            out.append(f"  {sql[:90]}...\n" + "".join(f"      {s[3]}\n" for s in steps))
    return out


def timings(db: Path, run_id: int, rounds: int) -> dict[str, float]:
    from archiver.store.sqlite import Store

    best: dict[str, float] = {}
    with Store(db) as store:
        for _ in range(rounds):
            for name in READS:
                best[name] = min(best.get(name, 9e9), read_once(store, run_id, name))
    return best


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--port", type=int, default=18950)
    a = p.parse_args()
    cb.byte_compile()
    results = sc.results_for(a.n, a.port, False)
    with tempfile.TemporaryDirectory() as folder:
        db = build(folder, results, a.runs)
        bare = Path(folder) / "bare.db"
        shutil.copy(db, bare)
        with sqlite3.connect(bare) as conn:
            conn.execute("DROP INDEX checks_run")
        run_id = a.runs  # the newest
        figures = {label: timings(path, run_id, a.rounds) for label, path in (("index", db), ("no index", bare))}
        for label, path in (("with checks_run", db), ("without it", bare)):
            print(f"query plans, {label}:")
            print("".join(plans(path, run_id)))
        more = {}
        for label, path in (("index", db), ("no index", bare)):
            from archiver.store.sqlite import Store

            with Store(path) as store:
                more[label] = sc.replay(store, results)
    print(f"{a.runs} runs x {a.n} checks; reading run {run_id}, CPU ms, best of {a.rounds}; "
          f"load average {cb.load()}")
    print(f"{'':16s} {'with checks_run':>16s} {'without':>10s}")
    for name in READS:
        print(f"{name:16s} {figures['index'][name] * 1e3:16.1f} {figures['no index'][name] * 1e3:10.1f}")
    print(f"recording run {a.runs + 1}: {more['index'] / a.n * 1e6:.0f} us per check with the index, "
          f"{more['no index'] / a.n * 1e6:.0f} us without (one replay each: noisy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
