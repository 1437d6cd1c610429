"""Side-by-side benchmark: the whole `archiver check` against lychee on the miniweb loopback web.

    .venv/bin/python benchmarks/check_bench.py                      # N=2000, tuned and defaults, 3 pairs
    .venv/bin/python benchmarks/check_bench.py --latency-ms 10 --settings tuned
    .venv/bin/python benchmarks/check_bench.py --rss-50k            # archiver only, N=50,000
    .venv/bin/python benchmarks/check_bench.py --results            # ... and replace its section of RESULTS.md

miniweb (/work/shared/bench/miniweb.py) serves 8 hosts on 8 DISTINCT loopback addresses,
127.0.0.2-127.0.0.9 (lychee keys its per-host limits by host name, not port: 8 ports on one IP
would serialise lychee at its defaults). Every run gets a fresh miniweb and the same URL list
(make_urls.py, seed 42). Settings:
- tuned: global concurrency 64, per-host limits lifted on both sides (archiver `--concurrency 64
  --per-host 64`; lychee `--max-concurrency 64 --host-concurrency 64 --host-request-interval 0s`);
- defaults: each tool as installed (archiver only gets `--allow-private`, lychee nothing).
Runs are interleaved (archiver, lychee, lychee, archiver, ...) so a change of load hits both; the
ratio reported is the median of the per-pair ratios, with its range. CPU is user+system of the
whole process tree (/usr/bin/time), memory the peak of PSS summed over the tree. Verdicts are
scored against truth.tsv (broken = alive is False for archiver; lychee's error and timeout maps).
The floor is what the latency alone allows at concurrency 64: max(slowest URL, request-seconds / 64).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from installed import byte_compile
from results import write_section

BENCH = Path(os.environ.get("BENCH_DIR", "/work/shared/bench"))
LYCHEE = os.environ.get("LYCHEE", "/tmp/peers/venv/bin/lychee")
ARCHIVER = str(Path(sys.executable).with_name("archiver"))


# ------------------------------------------------------------ processes ---

def tree_pss_peak(proc: subprocess.Popen, every: float = 0.2) -> int:
    """Wait for `proc`; the peak of the SUMMED memory (kB) of it and all its descendants, as PSS
    (shared pages divided among the processes that share them, so nothing is counted twice).
    /usr/bin/time's figure is the largest single process, which hides worker processes."""
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_pss_kb(pid) for pid in _descendants(proc.pid)))
        time.sleep(every)
    return peak


def _descendants(root: int) -> list[int]:
    """`root` and its descendants, from /proc/PID/task/TID/children (cheap: no scan of /proc)."""
    tree, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        tree.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as fh:
                    frontier.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return tree


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(cmd: list[str], out: Path, name: str) -> dict:
    """Run `cmd` under /usr/bin/time -v: wall s, CPU s (user + system, children included), peak PSS MB."""
    with open(out / f"{name}.stdout", "w") as so, open(out / f"{name}.stderr", "w") as se:
        proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", str(out / f"{name}.time"), *cmd],
                                stdout=so, stderr=se, cwd=out)
        peak = tree_pss_peak(proc)
    fields = {}
    for line in (out / f"{name}.time").read_text().splitlines():
        key, _, value = line.strip().rpartition(": ")
        fields[key] = value
    h, _, rest = fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].rpartition(":")
    wall = float(rest) + sum(float(x) * 60 ** (i + 1) for i, x in enumerate(reversed(h.split(":"))) if x)
    cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "pss_mb": round(peak / 1024, 1)}


class MiniWeb:
    def __init__(self, out: Path, name: str, port: int, latency_ms: float, slow_ms: float):
        self.stats_file = out / f"{name}.miniweb.json"
        ready = out / f"{name}.miniweb.ready"
        ready.unlink(missing_ok=True)
        self.log = open(out / f"{name}.miniweb.log", "w")  # noqa: SIM115 - open while the server runs; closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "miniweb.py"), "--port", str(port), "--host-mode", "ips",
             "--latency-ms", str(latency_ms), "--slow-ms", str(slow_ms), "--max-seconds", "3600",
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


# ------------------------------------------------------------ peers ---

def command(peer: str, setting: str, out: Path, conc: int) -> list[str]:
    if peer == "archiver":
        db = out / "bench.db"
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        tuned = ["--concurrency", str(conc), "--per-host", str(conc)] if setting == "tuned" else []
        return [ARCHIVER, "check", str(out / "urls.txt"), "--db", str(db), "--allow-private", *tuned,
                "--format", "json"]
    tuned = (["--max-concurrency", str(conc), "--host-concurrency", str(conc), "--host-request-interval", "0s"]
             if setting == "tuned" else [])
    return [LYCHEE, "--no-progress", *tuned, "--format", "json", "--output", str(out / "lychee.json"),
            str(out / "urls.html")]


def verdicts(peer: str, out: Path, truth: dict) -> dict:
    if peer == "archiver":
        results = json.loads((out / "archiver.stdout").read_text())["results"]
        return {r["url"]: "broken" if r["alive"] is False else "ok" for r in results}
    sys.path.insert(0, str(BENCH))
    import score  # the shared scorer's lychee parser

    broken, _meta = score.parse_lychee(out / "lychee.json")
    return {url: broken.get(url, "ok") for url in truth}


def score_peer(v: dict, truth: dict) -> dict:
    expected = {u: e for u, (_, e) in truth.items()}
    soft = [u for u, (k, _) in truth.items() if k == "soft404"]
    return {"fp": sum(1 for u, e in expected.items() if e == "alive" and v.get(u) == "broken"),
            "fn": sum(1 for u, e in expected.items() if e == "broken" and v.get(u) != "broken"),
            "soft404": f"{sum(1 for u in soft if v.get(u) == 'broken')}/{len(soft)}",
            "missing": sum(1 for u in truth if u not in v)}


def run_once(peer: str, setting: str, out: Path, a, truth: dict) -> dict:
    web = MiniWeb(out, peer, a.port, a.latency_ms, a.slow_ms)
    try:
        row = timed(command(peer, setting, out, a.concurrency), out, peer)
    finally:
        stats = web.stop()
    row.update(score_peer(verdicts(peer, out, truth), truth), requests=stats["requests"],
               peak_in_flight=stats["peak_in_flight"])
    print(f"{setting} {peer}: {json.dumps(row)}", file=sys.stderr)
    return row


def floor_s(truth: dict, latency_ms: float, slow_ms: float, conc: int) -> float:
    kinds = [k for k, _ in truth.values()]
    extra_hops = {"redir": 1, "chain": 3, "ratelimit": 1}
    requests = len(kinds) + sum(extra_hops.get(k, 0) for k in kinds)
    slot_s = requests * latency_ms / 1000 + kinds.count("slow") * slow_ms / 1000
    slowest = (slow_ms + latency_ms) / 1000 if "slow" in kinds else latency_ms / 1000 * 4
    return round(max(slowest, slot_s / conc), 2)


# ------------------------------------------------------------ report ---

def summary(rows: list[dict], n: int, floor: float) -> dict:
    def med(key):
        return statistics.median(r[key] for r in rows)

    return {"wall_s": med("wall_s"), "wall_range": (min(r["wall_s"] for r in rows), max(r["wall_s"] for r in rows)),
            "cpu_ms_per_url": round(med("cpu_s") / n * 1000, 2), "pss_mb": max(r["pss_mb"] for r in rows),
            "x_floor": round(med("wall_s") / floor, 2), "requests": rows[0]["requests"],
            "peak_in_flight": max(r["peak_in_flight"] for r in rows),
            "fp": max(r["fp"] for r in rows), "fn": max(r["fn"] for r in rows),
            "soft404": rows[-1]["soft404"], "missing": max(r["missing"] for r in rows)}


def table(results: dict, n: int, a) -> str:
    lines = [f"N = {n}, latency {a.latency_ms:g} ms, slow pages +{a.slow_ms:g} ms, {a.pairs} interleaved pairs "
             f"per setting, load average before: {results['load_before']}, after: {results['load_after']}", "",
             "| setting | peer | wall s (median, range) | archiver/lychee (median of pairs, range) | × floor "
             "| CPU ms per URL | peak PSS MB | HTTP reqs | peak in flight | FP | FN | soft-404 caught |",
             "|" + "---|" * 12]
    for setting, res in results["settings"].items():
        ratios = res["ratios"]
        ratio = f"**{statistics.median(ratios):.2f}×** ({min(ratios):.2f}–{max(ratios):.2f})"
        for peer in ("archiver", "lychee"):
            s = res[peer]
            lines.append(f"| {setting} (floor {res['floor']} s) | {peer} | {s['wall_s']:.2f} ({s['wall_range'][0]:.2f}–"
                         f"{s['wall_range'][1]:.2f}) | {ratio if peer == 'archiver' else ''} | {s['x_floor']} | "
                         f"{s['cpu_ms_per_url']} | {s['pss_mb']} | {s['requests']} | {s['peak_in_flight']} | "
                         f"{s['fp']} | {s['fn']} | {s['soft404']} |")
    return "\n".join(lines)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2000, help="number of URLs (default 2000)")
    p.add_argument("--settings", nargs="+", default=["tuned", "defaults"], choices=["tuned", "defaults"])
    p.add_argument("--pairs", type=int, default=3, help="interleaved archiver/lychee pairs per setting (default 3)")
    p.add_argument("--concurrency", type=int, default=64, help="the tuned global concurrency (default 64)")
    p.add_argument("--latency-ms", type=float, default=100.0)
    p.add_argument("--slow-ms", type=float, default=2000.0)
    p.add_argument("--port", type=int, default=18800, help="miniweb's port on 127.0.0.2-9 (default 18800)")
    p.add_argument("--out", type=Path, help="default /tmp/archiver-bench/N<n>")
    p.add_argument("--rss-50k", action="store_true",
                   help="archiver only at defaults, N=50,000, latency 10 ms, slow 200 ms: peak memory with many URLs")
    p.add_argument("--results", action="store_true", help="also write the table into benchmarks/RESULTS.md, "
                   "replacing this setting's section")
    a = p.parse_args(argv)
    if a.rss_50k:
        a.n, a.latency_ms, a.slow_ms = 50_000, 10.0, 200.0
    byte_compile()  # time archiver as installed (installed.py)
    out = a.out or Path(f"/tmp/archiver-bench/N{a.n}")
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(BENCH / "make_urls.py"), "-n", str(a.n), "--port", str(a.port),
                    "--host-mode", "ips", "--out-dir", str(out)], check=True, stdout=subprocess.DEVNULL)
    truth = {}
    for line in (out / "truth.tsv").read_text().splitlines()[1:]:
        url, kind, expected = line.split("\t")
        truth[url] = (kind, expected)
    if a.rss_50k:
        row = run_once("archiver", "defaults", out, a, truth)
        line = (f"N = {a.n} (latency 10 ms, slow +200 ms), archiver check at defaults: {row['wall_s']} s wall, "
                f"{round(row['cpu_s'] / a.n * 1000, 2)} ms CPU per URL, peak PSS {row['pss_mb']} MB (all processes), "
                f"FP {row['fp']}, FN {row['fn']}, soft-404 {row['soft404']}")
        print(line)
        if a.results:
            write_section("check_bench --rss-50k", "python benchmarks/check_bench.py --rss-50k", line)
        return 0
    results = {"load_before": load(), "settings": {}}
    for setting in a.settings:
        rows = {"archiver": [], "lychee": []}
        for i in range(a.pairs):
            order = ("archiver", "lychee") if i % 2 == 0 else ("lychee", "archiver")
            for peer in order:
                rows[peer].append(run_once(peer, setting, out, a, truth))
        floor = floor_s(truth, a.latency_ms, a.slow_ms, a.concurrency)
        results["settings"][setting] = {
            "floor": floor, "ratios": [x["wall_s"] / y["wall_s"] for x, y in zip(rows["archiver"], rows["lychee"])],
            **{peer: summary(r, a.n, floor) for peer, r in rows.items()}, "runs": rows}
    results["load_after"] = load()
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    text = table(results, a.n, a)
    (out / "results.md").write_text(text + "\n")
    print(text)
    if a.results:
        command = " ".join(["python benchmarks/check_bench.py", *(x for x in (argv or sys.argv[1:]) if x != "--results")])
        write_section(f"check_bench N={a.n} latency={a.latency_ms:g}ms {'+'.join(a.settings)}", command, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
