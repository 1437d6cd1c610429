"""Workers on one PostgreSQL: throughput with 1, 2 and 4 `archiver worker`s, CPU per URL against a run
in one process on archive.db, and the most requests one host ever had in flight (issue 20).

    .venv/bin/python benchmarks/scale_bench.py                       # 20,000 URLs, 100 hosts, 100 ms
    .venv/bin/python benchmarks/scale_bench.py --urls 4000 --rounds 1
    .venv/bin/python benchmarks/scale_bench.py --results             # ... and replace its section of RESULTS.md

The web is served by this script on loopback: `--hosts` listening ports on 127.0.0.1 (one host each,
as archiver keys hosts by scheme, name and port), every answer a small HTML page after
`--latency-ms`, and a count per port of the requests in flight, whose peak is the per-host maximum
concurrency the server saw. PostgreSQL is a throwaway cluster (tests/conftest_postgres.py's
`initdb`/`pg_ctl`), a new database per measurement. Each measurement: N workers started and ready,
then `archiver check notes.txt --queue` (defaults: per host 2 at first, up to 8; each worker 16
jobs at once) timed from start to exit; CPU is user+system of the check process, the workers
(their start-up included) and the PostgreSQL server's processes. The SQLite line is the same URLs
checked in one process (`--processes 1 --concurrency 16`, one worker's concurrency) on archive.db.
Worker counts are interleaved over rounds (1, 2, 4, then 4, 2, 1, ...) so the machine's load falls
on all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ARCHIVER = [sys.executable, "-m", "archiver"]
PAGE = ("<!DOCTYPE html><html><head><title>Page {n}</title></head><body><h1>Page {n}</h1>"
        + "<p>Text of a page that a document cites, long enough to be judged a real page.</p>" * 12
        + "</body></html>")


class Web:
    """`hosts` ports on 127.0.0.1 answering after `latency` seconds, counting requests in flight per port."""

    def __init__(self, hosts: int, latency: float):
        self.hosts, self.latency = hosts, latency
        self.ports: list[int] = []
        self.in_flight: Counter = Counter()
        self.peak: Counter = Counter()
        self.requests = 0
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> Web:
        self._thread.start()
        self._ready.wait(30)
        return self

    def __exit__(self, *exc) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def reset(self) -> None:
        self.peak.clear()
        self.requests = 0

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        servers = []
        for _ in range(self.hosts):
            server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
            servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])
        self._ready.set()
        await self._stop.wait()
        for server in servers:
            server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        try:
            while line := await reader.readline():
                while await reader.readline() not in (b"\r\n", b"\n", b""):
                    pass
                path = line.split()[1].decode() if len(line.split()) > 1 else "/"
                self.in_flight[port] += 1
                self.requests += 1
                self.peak[port] = max(self.peak[port], self.in_flight[port])
                try:
                    await asyncio.sleep(self.latency)
                    status, body = ("200 OK", PAGE.format(n=path).encode()) if path.startswith("/p/") else \
                        ("404 Not Found", b"<html><head><title>404 Not Found</title></head><body>Not found</body></html>")
                    writer.write(f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                    await writer.drain()
                finally:
                    self.in_flight[port] -= 1
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def server_cpu(url: str) -> float:
    """CPU seconds (user + system) so far of every PostgreSQL server process of the cluster at `url`."""
    import psycopg

    with psycopg.connect(url) as conn:
        data = conn.execute("SHOW data_directory").fetchone()[0]
    pid = int(Path(data, "postmaster.pid").read_text().split()[0])
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid or int(proc.name) == pid:  # the postmaster and its backends
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_child(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one command, its output discarded."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv[2:5])} exited {proc.returncode}: {err[-2000:]}")
    return time.monotonic() - start, usage.ru_utime + usage.ru_stime, proc.returncode


def queued(db: str, workdir: Path, workers: int, concurrency: int) -> tuple[float, float, float]:
    """(wall, client CPU, server CPU) of one queued check with `workers` workers."""
    procs, logs, cpu = [], [], 0.0
    for n in range(workers):
        log = open(workdir / f"worker-{n}.log", "w")  # noqa: SIM115 - closed below
        logs.append(log)
        procs.append(subprocess.Popen([*ARCHIVER, "worker", "--db", db, "--concurrency", str(concurrency)],
                                      cwd=workdir, stdout=log, stderr=subprocess.STDOUT))
    try:
        deadline = time.monotonic() + 120
        while sum("taking jobs" in (workdir / f"worker-{n}.log").read_text() for n in range(workers)) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError("workers did not start: " + (workdir / "worker-0.log").read_text()[-2000:])
            time.sleep(0.1)
        before = server_cpu(db)
        wall, cpu, _ = run_child([*ARCHIVER, "check", "notes.txt", "--db", db, "--queue", "--allow-private",
                                  "--format", "json"], workdir)
        server = server_cpu(db) - before
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            if p.returncode is None:  # not reaped yet (a worker that died early was, by poll)
                _, _, usage = os.wait4(p.pid, 0)
                p.returncode = 0
                cpu += usage.ru_utime + usage.ru_stime
        for log in logs:
            log.close()
    return wall, cpu, server


def new_database(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--urls", type=int, default=20_000)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--latency-ms", type=float, default=100.0)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--concurrency", type=int, default=16, help="jobs at once per worker")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--results", action="store_true", help="replace this benchmark's section of RESULTS.md")
    args = ap.parse_args()
    from tests.conftest_postgres import _bindir, cluster

    counts = [int(w) for w in args.workers.split(",")]
    bindir = _bindir()
    if bindir is None:
        sys.exit("PostgreSQL is not installed (no initdb/pg_ctl)")
    workdir = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    results: dict[str, list[tuple[float, float, float]]] = {}
    peaks: list[int] = []
    try:
        with Web(args.hosts, args.latency_ms / 1000) as web, cluster(bindir) as server:
            urls = [f"http://127.0.0.1:{web.ports[i % args.hosts]}/p/{i}" for i in range(args.urls)]
            (workdir / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(urls)), encoding="utf-8")
            order = [c for r in range(args.rounds) for c in (counts if r % 2 == 0 else counts[::-1])]
            for i, w in enumerate(order + ["sqlite"] * args.rounds):
                web.reset()
                if w == "sqlite":
                    db = str(workdir / f"archive-{i}.db")
                    wall, cpu, _ = run_child([*ARCHIVER, "check", "notes.txt", "--db", db, "--allow-private",
                                              "--processes", "1", "--concurrency", str(args.concurrency),
                                              "--format", "json"], workdir)
                    measured = (wall, cpu, 0.0)
                else:
                    measured = queued(new_database(server, f"bench{i}"), workdir, int(w), args.concurrency)
                    peaks.append(max(web.peak.values()))
                results.setdefault(str(w), []).append(measured)
                wall, cpu, srv = measured
                print(f"{w} workers: {args.urls / wall:7.1f} URL/s, wall {wall:6.1f} s, client CPU "
                      f"{cpu / args.urls * 1000:.2f} ms/URL, server CPU {srv / args.urls * 1000:.2f} ms/URL, "
                      f"requests {web.requests}, per-host peak {max(web.peak.values())}", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lines = report(results, peaks, args)
    print("\n".join(lines))
    if args.results:
        sys.path.insert(0, str(Path(__file__).parent))
        from results import write_section

        write_section("scale_bench", " ".join([".venv/bin/python benchmarks/scale_bench.py", *sys.argv[1:]]),
                      "\n".join(lines))


def report(results: dict, peaks: list[int], args) -> list[str]:
    load = os.getloadavg()
    lines = [f"{args.urls:,} URLs over {args.hosts} hosts at {args.latency_ms:g} ms, each worker {args.concurrency} "
             f"jobs at once, per-host limits at their defaults (2, up to 8); medians of {args.rounds} interleaved "
             f"rounds; load average {load[0]:.1f} at the end (`{' '.join(sys.argv[1:]) or 'defaults'}`).", "",
             "| run | URL/s | wall s | client CPU ms/URL | PostgreSQL CPU ms/URL |", "|---|---|---|---|---|"]
    one = None
    for key, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs) / args.urls * 1000
        srv = statistics.median(r[2] for r in runs) / args.urls * 1000
        rate = args.urls / wall
        one = rate if key == "1" else one
        name = "archive.db, one process" if key == "sqlite" else f"{key} worker{'s' if key != '1' else ''}"
        scale = f" ({rate / one:.2f}x)" if one and key not in ("1", "sqlite") else ""
        lines.append(f"| {name} | {rate:.0f}{scale} | {wall:.1f} | {cpu:.2f} | {srv:.2f} |")
    lines += ["", f"The most requests any one host had in flight at the server, over every queued run: {max(peaks)}."]
    return lines


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536)) if resource.getrlimit(resource.RLIMIT_NOFILE)[1] >= 65536 else None
    main()
