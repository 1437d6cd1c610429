"""Side-by-side benchmark: archiver's checker against lychee on the miniweb loopback web.

    .venv/bin/python benchmarks/check_bench.py --n 2000 --peers archiver lychee
    .venv/bin/python benchmarks/check_bench.py --rss-50k          # archiver only, N=50,000

Each peer gets a FRESH miniweb (/work/shared/bench/miniweb.py, 8 hosts as 8 ports on
127.0.0.1, 100 ms per response) and the same URL list from make_urls.py, and runs under
/usr/bin/time -v, which gives wall time, peak RSS and CPU. archiver runs through the library
(`check_urls`, concurrency 64, per-host limits lifted, allow_private) in a child process of this
script; it computes everything a Snapshot needs (SHA-256, charset, title, text) but stores
nothing. archiver-cli is the whole `archiver check` command: lint the list, fetch and classify,
and commit every check, snapshot (zlib) and header set to a fresh SQLite archive.db as it arrives. lychee gets --max-concurrency 64 --host-concurrency 64 --host-request-interval 0s.
Verdicts are scored against truth.tsv (broken = alive is False).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(os.environ.get("BENCH_DIR", "/work/shared/bench"))
LYCHEE = os.environ.get("LYCHEE", "/tmp/peers/venv/bin/lychee")
ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------ worker ---

async def _work(urls_file: str, out_file: str, concurrency: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from archiver.check.fetch import FetchSettings, check_urls, make_client

    settings = FetchSettings(concurrency=concurrency, per_host=concurrency, allow_private=True)
    statuses: collections.Counter = collections.Counter()
    snapshot_bytes = 0

    def urls():
        with open(urls_file) as f:
            for line in f:
                if line.strip():
                    yield line.strip()

    started = time.monotonic()
    async with make_client(settings) as client:
        with open(out_file, "w") as out:
            async for r in check_urls(client, urls(), settings):
                statuses[r.status] += 1
                snapshot_bytes += r.snapshot.size if r.snapshot else 0
                verdict = "broken" if r.alive is False else "ok"
                out.write(f"{r.url}\t{verdict}\t{r.status}\t{r.http_status}\t{r.elapsed_ms}\n")
    try:  # httpcore tries `import sniffio` for every lock it creates; a miss costs ~0.1 ms each
        import sniffio  # noqa: F401
        has_sniffio = True
    except ImportError:
        has_sniffio = False
    return {"wall_inside_s": round(time.monotonic() - started, 3), "statuses": dict(statuses),
            "snapshot_bytes": snapshot_bytes, "sniffio": has_sniffio}


def worker_main(argv: list[str]) -> int:
    urls_file, out_file, concurrency = argv[0], argv[1], int(argv[2])
    stats = asyncio.run(_work(urls_file, out_file, concurrency))
    print(json.dumps(stats), file=sys.stderr)
    return 0


# ------------------------------------------------------------ driver ---

class MiniWeb:
    def __init__(self, out: Path, name: str, port: int, latency_ms: float, slow_ms: float):
        self.stats_file = out / f"{name}.miniweb.json"
        ready = out / f"{name}.miniweb.ready"
        ready.unlink(missing_ok=True)
        self.log = open(out / f"{name}.miniweb.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "miniweb.py"), "--port", str(port), "--host-mode", "ports",
             "--latency-ms", str(latency_ms), "--slow-ms", str(slow_ms), "--max-seconds", "1200",
             "--stats-file", str(self.stats_file), "--ready-file", str(ready)],
            stderr=self.log)
        for _ in range(100):
            if ready.exists():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise SystemExit(f"miniweb did not start, see {self.log.name}")

    def stop(self) -> dict:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        self.log.close()
        return json.loads(self.stats_file.read_text())


def time_v(path: Path) -> dict:
    fields = {}
    for line in path.read_text().splitlines():
        key, _, value = line.strip().rpartition(": ")
        fields[key] = value
    h, _, rest = fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].rpartition(":")
    wall = float(rest) + sum(float(x) * 60 ** (i + 1) for i, x in enumerate(reversed(h.split(":"))) if x)
    return {"wall_s": round(wall, 2), "rss_mb": round(int(fields["Maximum resident set size (kbytes)"]) / 1024, 1),
            "cpu_s": round(float(fields["User time (seconds)"]) + float(fields["System time (seconds)"]), 2)}


def run_peer(peer: str, out: Path, n: int, conc: int) -> None:
    if peer == "archiver":
        cmd = [sys.executable, __file__, "--_worker", str(out / "urls.txt"),
               str(out / "archiver.verdicts.tsv"), str(conc)]
    elif peer == "archiver-cli":  # the whole `archiver check`: lint, fetch, classify, store in SQLite
        db = out / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        cmd = [str(Path(sys.executable).with_name("archiver")), "check", str(out / "urls.txt"), "--db", str(db),
               "--allow-private", "--concurrency", str(conc), "--per-host", str(conc), "--format", "json"]
    elif peer == "lychee":
        cmd = [LYCHEE, "--no-progress", "--max-concurrency", str(conc), "--host-concurrency", str(conc),
               "--host-request-interval", "0s", "--format", "json", "--output", str(out / "lychee.json"),
               str(out / "urls.html")]
    else:
        raise SystemExit(f"unknown peer {peer}")
    with open(out / f"{peer}.stdout", "w") as so, open(out / f"{peer}.stderr", "w") as se:
        proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", str(out / f"{peer}.time"), *cmd],
                                stdout=so, stderr=se, cwd=out)
        peak = _tree_rss_peak(proc)
    (out / f"{peer}.tree_rss_mb").write_text(f"{peak / 1024:.1f}\n")


def _tree_rss_peak(proc: subprocess.Popen, every: float = 0.1) -> int:
    """Wait for `proc`; the peak of the SUMMED memory (kB) of it and all its descendants, as PSS
    (shared pages divided among the processes that share them, so nothing is counted twice).
    /usr/bin/time's figure is the largest single process, which hides worker processes."""
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_rss_kb(pid) for pid in _descendants(proc.pid)))
        time.sleep(every)
    return peak


def _descendants(root: int) -> list[int]:
    parent_of = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    parent_of[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    tree, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        tree.append(pid)
        frontier.extend(p for p, pp in parent_of.items() if pp == pid)
    return tree


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def verdicts(peer: str, out: Path, truth: dict) -> dict:
    if peer == "archiver-cli":
        results = json.loads((out / "archiver-cli.stdout").read_text())["results"]
        return {r["url"]: "broken" if r["alive"] is False else "ok" for r in results}
    if peer == "archiver":
        v = {}
        for line in (out / "archiver.verdicts.tsv").read_text().splitlines():
            url, verdict, *_ = line.split("\t")
            v[url] = verdict
        return v
    sys.path.insert(0, str(BENCH))
    import score  # the shared scorer's lychee parser

    broken, _meta = score.parse_lychee(out / "lychee.json")
    return {url: broken.get(url, "ok") for url in truth}


def score_peer(v: dict, truth: dict) -> dict:
    tp = sum(1 for u, (k, e) in truth.items() if e == "broken" and v.get(u) == "broken")
    fp = sum(1 for u, (k, e) in truth.items() if e == "alive" and v.get(u) == "broken")
    fn = sum(1 for u, (k, e) in truth.items() if e == "broken" and v.get(u) != "broken")
    soft = [u for u, (k, _) in truth.items() if k == "soft404"]
    ok_kind = lambda kind: sum(1 for u, (k, _) in truth.items() if k == kind and v.get(u) == "ok")  # noqa: E731
    return {"flagged": sum(1 for x in v.values() if x == "broken"), "tp": tp, "fp": fp, "fn": fn,
            "soft404": f"{sum(1 for u in soft if v.get(u) == 'broken')}/{len(soft)}",
            "ratelimit_ok": f"{ok_kind('ratelimit')}/{sum(1 for k, _ in truth.values() if k == 'ratelimit')}",
            "slow_ok": f"{ok_kind('slow')}/{sum(1 for k, _ in truth.values() if k == 'slow')}",
            "missing": sum(1 for u in truth if u not in v)}


def bench(n: int, peers: list[str], out: Path, port: int, conc: int, latency: float, slow: float) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(BENCH / "make_urls.py"), "-n", str(n), "--port", str(port),
                    "--host-mode", "ports", "--out-dir", str(out)], check=True)
    truth = {}
    for line in (out / "truth.tsv").read_text().splitlines()[1:]:
        url, kind, expected = line.split("\t")
        truth[url] = (kind, expected)
    rows = []
    for peer in peers:
        web = MiniWeb(out, peer, port, latency, slow)
        try:
            run_peer(peer, out, n, conc)
        finally:
            stats = web.stop()
        label = peer
        if peer == "archiver":
            inside = json.loads((out / "archiver.stderr").read_text().strip().splitlines()[-1])
            label += " (+sniffio)" if inside["sniffio"] else ""
        row = {"peer": label, **time_v(out / f"{peer}.time"),
               "tree_rss_mb": float((out / f"{peer}.tree_rss_mb").read_text()), "requests": stats["requests"],
               "peak_in_flight": stats["peak_in_flight"], "connections": stats["connections"],
               **score_peer(verdicts(peer, out, truth), truth)}
        row["urls_per_s"] = round(n / row["wall_s"], 1)
        rows.append(row)
        print(f"{peer}: {json.dumps(row)}", file=sys.stderr)
    (out / "results.json").write_text(json.dumps(rows, indent=1) + "\n")
    return rows


def table(rows: list[dict], n: int) -> str:
    base = next((r["wall_s"] for r in rows if r["peer"] == "lychee"), None)
    head = ("| peer | wall s | vs lychee | URLs/s | peak RSS MB (all processes) | CPU s | HTTP reqs | peak in-flight "
            "/ conns | flagged broken | TP | FP | FN | soft-404 caught | 429 → ok | slow ok |")
    lines = [f"N = {n}", "", head, "|" + "---|" * 15]
    for r in rows:
        ratio = f"{r['wall_s'] / base:.2f}x" if base else "-"
        lines.append(f"| {r['peer']} | {r['wall_s']:.2f} | {ratio} | {r['urls_per_s']} | {r['tree_rss_mb']} | "
                     f"{r['cpu_s']} | {r['requests']} | {r['peak_in_flight']} / {r['connections']} | "
                     f"{r['flagged']} | {r['tp']} | {r['fp']} | {r['fn']} | {r['soft404']} | "
                     f"{r['ratelimit_ok']} | {r['slow_ok']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_worker"]:
        return worker_main(argv[1:])
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2000, help="number of URLs (default 2000)")
    p.add_argument("--peers", nargs="+", default=["archiver-cli", "archiver", "lychee"], choices=["archiver", "archiver-cli", "lychee"])
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--latency-ms", type=float, default=100.0)
    p.add_argument("--slow-ms", type=float, default=2000.0)
    p.add_argument("--port", type=int, default=18800, help="first of 8 miniweb ports (default 18800)")
    p.add_argument("--out", type=Path, help="default /tmp/archiver-bench/N<n>")
    p.add_argument("--rss-50k", action="store_true",
                   help="archiver-cli only (or --peers), N=50,000, latency 10 ms, slow 200 ms: peak RSS with "
                        "many URLs")
    a = p.parse_args(argv)
    if a.rss_50k:
        explicit = any(x.startswith("--peers") for x in argv)
        a.n, a.latency_ms, a.slow_ms = 50_000, 10.0, 200.0
        a.peers = a.peers if explicit else ["archiver-cli"]
    out = a.out or Path(f"/tmp/archiver-bench/N{a.n}")
    rows = bench(a.n, a.peers, out, a.port, a.concurrency, a.latency_ms, a.slow_ms)
    text = table(rows, a.n)
    (out / "results.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
