"""When the first and last requests leave, archiver against lychee (tuned, 100 ms servers).

    .venv/bin/python benchmarks/first_request.py [--pairs 3]
    .venv/bin/python benchmarks/first_request.py --peers archiver --before /tmp/base   # before/after, alternated

Runs each tool under `strace --seccomp-bpf -f -e trace=connect` (only connect() is stopped, so the
overhead is small) on check_bench's 2,000 URLs and prints, per run, the seconds from start to the
first and the last connect() to the miniweb and from the last connect() to exit: start-up, the
fetching phase and the tail (slow pages, Retry-After waits) apart. Needs strace.

`--before SRC` adds a peer "before": archiver run from another checkout's source (SRC holds its
`archiver/` package, e.g. `git archive COMMIT archiver | tar -x -C SRC`), byte-compiled as this
one is and put first on PYTHONPATH, in turn with the others.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import time
from pathlib import Path

import check_bench as cb
import installed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--port", type=int, default=18800)
    p.add_argument("--peers", default="archiver,lychee", help="comma-separated: archiver, lychee")
    p.add_argument("--before", metavar="SRC", help="also run archiver from SRC/archiver (see above)")
    a = p.parse_args()
    installed.byte_compile()
    peers = a.peers.split(",") + (["before"] if a.before else [])
    if a.before and not compileall.compile_dir(str(Path(a.before) / "archiver"), quiet=1):
        raise SystemExit(f"byte-compiling {a.before}/archiver failed")
    out = Path(f"/tmp/archiver-bench/first2000-{a.port}")
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(cb.BENCH / "make_urls.py"), "-n", "2000", "--port", str(a.port),
                    "--host-mode", "ips", "--out-dir", str(out)], check=True, stdout=subprocess.DEVNULL)
    print(f"N = 2000, latency 100 ms, tuned, load average {cb.load()}")
    for peer in peers * a.pairs:
        web = cb.MiniWeb(out, f"first-{peer}", a.port, 100, 2000)
        try:
            trace = out / f"{peer}.strace"
            env = {**os.environ, "PYTHONPATH": a.before} if peer == "before" else None
            started = time.time()
            subprocess.run(["strace", "--seccomp-bpf", "-f", "-ttt", "-e", "trace=connect", "-o", str(trace),
                            *cb.command("archiver" if peer == "before" else peer, "tuned", out, 64)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            ended = time.time()
        finally:
            web.stop()
        connects = [float(line.split()[1]) for line in trace.read_text().splitlines()
                    if "connect(" in line and f"htons({a.port})" in line]
        print(f"{peer:8}  wall {ended - started:5.2f} s  first request +{connects[0] - started:.2f} s  "
              f"last connect +{connects[-1] - started:.2f} s  then {ended - connects[-1]:.2f} s to exit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
